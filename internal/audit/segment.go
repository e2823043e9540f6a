package audit

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Payload segments.
//
// Payloads (salt ‖ canonical event) are appended to segment files, one
// sequence of segments per sensitivity class, so that retention can delete
// whole files: payloads/<class>/<YYYYMMDD>-<NNNNNN>.seg, named by the UTC day
// the segment was started and a sequence number. A segment is rotated when it
// reaches Options.SegmentMaxBytes or the day changes.
//
// Record format (all integers big-endian):
//
//	u32 n                 length of salt ‖ canonical (32 < n ≤ maxPayloadLen)
//	[32]byte commitment   SHA-256(salt ‖ canonical), the leaf data in the log
//	[n]byte  salt ‖ canonical
//
// Appends are group-committed: one writer goroutine takes every payload
// waiting, writes them and fsyncs each touched segment once before any of the
// waiting Appends proceeds to the log. Only the newest segment of a class can
// have a torn tail (older ones were fsync'd before the next one was created);
// Open scans it and truncates a torn tail, which can only hold payloads that
// were never acknowledged.
const (
	recHeaderLen  = 4 + 32
	maxPayloadLen = saltLen + 4096
	segSuffix     = ".seg"
)

// Location is where a payload record lives.
type Location struct {
	Segment string // path relative to payloads/, e.g. "general/20261127-000001.seg"
	Offset  int64  // offset of the record header
	Len     uint32 // length of salt ‖ canonical
}

type payloadReq struct {
	class Class
	c     [32]byte
	data  []byte // salt ‖ canonical
	done  chan error
	loc   Location
}

// segmentWriter group-commits payload records.
type segmentWriter struct {
	root     string // DIR/payloads
	maxBytes int64
	now      func() time.Time
	log      *slog.Logger

	reqs chan *payloadReq
	quit chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex // held by the writer goroutine while committing, and by seal
	open    map[Class]*openSegment
	pending map[*openSegment]*bufio.Writer // segments written in this batch, not yet synced
}

type openSegment struct {
	f    *os.File
	name string // relative to root
	day  string
	seq  int
	size int64
}

func newSegmentWriter(root string, maxBytes int64, now func() time.Time, log *slog.Logger) (*segmentWriter, error) {
	w := &segmentWriter{root: root, maxBytes: maxBytes, now: now, log: log,
		reqs: make(chan *payloadReq, 4096), quit: make(chan struct{}), open: map[Class]*openSegment{},
		pending: map[*openSegment]*bufio.Writer{}}
	for c := range validClasses {
		if err := w.recover(c); err != nil {
			w.closeFiles()
			return nil, err
		}
	}
	w.wg.Add(1)
	go w.run()
	return w, nil
}

// segmentNames lists a class's segment files in order (relative to root).
func segmentNames(root string, c Class) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(root, string(c)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, segSuffix) && !strings.HasPrefix(n, ".") {
			out = append(out, string(c)+"/"+n)
		}
	}
	slices.Sort(out)
	return out, nil
}

func parseSegName(name string) (day string, seq int, ok bool) {
	base := strings.TrimSuffix(filepath.Base(name), segSuffix)
	d, s, found := strings.Cut(base, "-")
	if !found || len(d) != 8 || len(s) != 6 {
		return "", 0, false
	}
	if _, err := fmt.Sscanf(s, "%06d", &seq); err != nil {
		return "", 0, false
	}
	return d, seq, true
}

// recover opens the newest segment of class c for appending, truncating a torn tail.
func (w *segmentWriter) recover(c Class) error {
	names, err := segmentNames(w.root, c)
	if err != nil {
		return fmt.Errorf("audit: payload segments: %w", err)
	}
	if len(names) == 0 {
		return nil
	}
	last := names[len(names)-1]
	if _, err := os.Stat(filepath.Join(w.root, prunedDir, strings.ReplaceAll(strings.TrimSuffix(last, segSuffix), "/", "-")+".prune")); err == nil {
		// Being pruned (a prune interrupted by a crash): never append to it.
		return nil
	}
	day, seq, ok := parseSegName(last)
	if !ok {
		return fmt.Errorf("audit: payload segment %s: unexpected name", last)
	}
	p := filepath.Join(w.root, last)
	good, err := scanSegment(p, func(Location, [32]byte, []byte) error { return nil })
	var ce *corruptRecord
	if err != nil && !errors.As(err, &ce) {
		return fmt.Errorf("audit: payload segment %s: %w", last, err)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("audit: payload segment: %w", err)
	}
	if ce != nil {
		w.log.Warn("audit: truncating torn payload segment tail", "segment", last, "offset", good, "reason", ce.msg)
		if err := f.Truncate(good); err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("audit: payload segment %s: truncate torn tail: %w", last, err)
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("audit: payload segment: %w", err)
	}
	w.open[c] = &openSegment{f: f, name: last, day: day, seq: seq, size: good}
	return nil
}

// corruptRecord reports a record that does not parse or does not match its
// commitment, at Offset.
type corruptRecord struct {
	off int64
	msg string
	c   *[32]byte // the commitment in the record header, when the header is intact
}

func (e *corruptRecord) Error() string { return fmt.Sprintf("record at offset %d: %s", e.off, e.msg) }

// scanSegment reads every record of the segment at path p, checking framing
// and commitment, calling fn for each. It returns the offset just after the
// last good record; a *corruptRecord error names the first bad one.
func scanSegment(p string, fn func(loc Location, c [32]byte, data []byte) error) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return scanReader(f, st.Size(), filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), fn)
}

// scanReader scans size bytes of records from rd; rel names the segment in
// the Locations passed to fn (offsets relative to rd's start).
func scanReader(rd io.Reader, size int64, rel string, fn func(loc Location, c [32]byte, data []byte) error) (int64, error) {
	r := bufio.NewReaderSize(rd, 1<<20)
	var off int64
	var hdr [recHeaderLen]byte
	buf := make([]byte, maxPayloadLen)
	for off < size {
		if size-off < recHeaderLen {
			return off, &corruptRecord{off: off, msg: "truncated header"}
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return off, err
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n <= saltLen || n > maxPayloadLen {
			return off, &corruptRecord{off: off, msg: fmt.Sprintf("bad length %d", n)}
		}
		if size-off-recHeaderLen < int64(n) {
			return off, &corruptRecord{off: off, msg: "truncated record"}
		}
		data := buf[:n]
		if _, err := io.ReadFull(r, data); err != nil {
			return off, err
		}
		var c [32]byte
		copy(c[:], hdr[4:])
		if sha256.Sum256(data) != c {
			return off, &corruptRecord{off: off, msg: "payload does not match its commitment", c: &c}
		}
		if err := fn(Location{Segment: rel, Offset: off, Len: n}, c, data); err != nil {
			return off, err
		}
		off += recHeaderLen + int64(n)
	}
	return off, nil
}

// readRecord reads the record at loc and checks it against commitment c.
func readRecord(root string, loc Location, c [32]byte) ([]byte, error) {
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(loc.Segment)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, recHeaderLen+int(loc.Len))
	if _, err := f.ReadAt(b, loc.Offset); err != nil {
		return nil, fmt.Errorf("%s at %d: %w", loc.Segment, loc.Offset, err)
	}
	if binary.BigEndian.Uint32(b[:4]) != loc.Len || [32]byte(b[4:recHeaderLen]) != c {
		return nil, fmt.Errorf("%s at %d: record header does not match the index", loc.Segment, loc.Offset)
	}
	data := b[recHeaderLen:]
	if sha256.Sum256(data) != c {
		return nil, fmt.Errorf("%s at %d: payload does not match the commitment in the log", loc.Segment, loc.Offset)
	}
	return data, nil
}

// write queues the payloads rs and waits until all are durable or one
// failed.
func (w *segmentWriter) write(ctx context.Context, rs ...*payloadReq) error {
	for _, r := range rs {
		r.done = make(chan error, 1)
		select {
		case w.reqs <- r:
		case <-w.quit:
			return errors.New("audit: log is closed")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var first error
	for _, r := range rs {
		select {
		case err := <-r.done:
			if first == nil {
				first = err
			}
		case <-w.quit:
			return errors.New("audit: log is closed")
		case <-ctx.Done():
			// The writes may still complete; the payloads are then orphans.
			return ctx.Err()
		}
	}
	return first
}

func (w *segmentWriter) run() {
	defer w.wg.Done()
	batch := make([]*payloadReq, 0, 4096)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < cap(batch) {
				select {
				case r := <-w.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			w.mu.Lock()
			err := w.commit(batch)
			w.mu.Unlock()
			for _, r := range batch {
				r.done <- err
			}
		case <-w.quit:
			return
		}
	}
}

// commit writes a batch and fsyncs each touched segment once.
func (w *segmentWriter) commit(batch []*payloadReq) error {
	clear(w.pending)
	for _, r := range batch {
		s, err := w.segmentFor(r.class, int64(recHeaderLen+len(r.data)))
		if err != nil {
			return err
		}
		bw := w.pending[s]
		if bw == nil {
			bw = bufio.NewWriterSize(s.f, 256<<10)
			w.pending[s] = bw
		}
		var hdr [recHeaderLen]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(r.data)))
		copy(hdr[4:], r.c[:])
		r.loc = Location{Segment: s.name, Offset: s.size, Len: uint32(len(r.data))}
		bw.Write(hdr[:])
		bw.Write(r.data)
		s.size += int64(recHeaderLen + len(r.data))
	}
	for s, bw := range w.pending {
		if err := w.flushSync(s, bw); err != nil {
			return err
		}
	}
	clear(w.pending)
	return nil
}

func (w *segmentWriter) flushSync(s *openSegment, bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return w.fail(s, err)
	}
	if err := s.f.Sync(); err != nil {
		return w.fail(s, err)
	}
	return nil
}

// fail handles a write error: the segment's tail is unknown, so it is
// closed and re-recovered (truncating any partial record) before the next write.
func (w *segmentWriter) fail(s *openSegment, err error) error {
	delete(w.pending, s)
	for c, o := range w.open {
		if o == s {
			s.f.Close()
			delete(w.open, c)
			if rerr := w.recover(c); rerr != nil {
				w.log.Error("audit: payload segment recovery failed", "segment", s.name, "error", rerr)
			}
		}
	}
	return fmt.Errorf("audit: payload segment %s: %w", s.name, err)
}

// segmentFor returns the open segment for class c, rotating when the day
// changed or the segment would exceed maxBytes.
func (w *segmentWriter) segmentFor(c Class, need int64) (*openSegment, error) {
	day := w.now().UTC().Format("20060102")
	s := w.open[c]
	if s != nil && s.day == day && (s.size == 0 || s.size+need <= w.maxBytes) {
		return s, nil
	}
	if s != nil {
		if bw := w.pending[s]; bw != nil {
			if err := w.flushSync(s, bw); err != nil {
				return nil, err
			}
			delete(w.pending, s)
		}
		if err := s.f.Close(); err != nil {
			return nil, fmt.Errorf("audit: payload segment %s: %w", s.name, err)
		}
		delete(w.open, c)
	}
	seq, err := w.nextSeq(c, day)
	if err != nil {
		return nil, fmt.Errorf("audit: payload segments: %w", err)
	}
	dir := filepath.Join(w.root, string(c))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("audit: payload segments: %w", err)
	}
	name := fmt.Sprintf("%s/%s-%06d%s", c, day, seq, segSuffix)
	f, err := os.OpenFile(filepath.Join(w.root, filepath.FromSlash(name)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: payload segment: %w", err)
	}
	// The new name must be durable before records in it are acknowledged.
	if err := syncDir(dir); err == nil {
		err = syncDir(w.root)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: payload segment: %w", err)
	}
	s = &openSegment{f: f, name: name, day: day, seq: seq}
	w.open[c] = s
	return s, nil
}

// nextSeq returns one more than the largest sequence number used for class c
// on day, counting segments already pruned (their manifests keep the name).
func (w *segmentWriter) nextSeq(c Class, day string) (int, error) {
	names, err := segmentNames(w.root, c)
	if err != nil {
		return 0, err
	}
	ents, err := os.ReadDir(filepath.Join(w.root, prunedDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	for _, e := range ents {
		if rest, ok := strings.CutPrefix(e.Name(), string(c)+"-"); ok && strings.HasSuffix(rest, ".prune") {
			names = append(names, string(c)+"/"+strings.TrimSuffix(rest, ".prune")+segSuffix)
		}
	}
	seq := 0
	for _, n := range names {
		if d, q, ok := parseSegName(n); ok && d == day && q > seq {
			seq = q
		}
	}
	return seq + 1, nil
}

// seal stops appending to segment name (relative to root) if it is open, so
// that it can be pruned; the next payload of its class starts a new segment.
func (w *segmentWriter) seal(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for c, s := range w.open {
		if s.name == name {
			s.f.Close()
			delete(w.open, c)
		}
	}
}

func (w *segmentWriter) closeFiles() {
	for c, s := range w.open {
		s.f.Close()
		delete(w.open, c)
	}
}

// close stops the writer after pending requests already taken are done.
func (w *segmentWriter) close() {
	close(w.quit)
	w.wg.Wait()
	w.closeFiles()
}
