package tabular

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// csvBlockSize is how many bytes the splitter reads at a time; a chunk handed
// to a worker is about this size (more when a record spans blocks). 1 MiB
// keeps the chunks cheap to allocate: fresh 4 MiB objects measured several
// times slower to fill.
const csvBlockSize = 1 << 20

const (
	encUTF8    = "utf-8"
	encGB18030 = "gb18030"
	encUTF16   = "utf-16"
)

// csvReader reads CSV and TSV files. One goroutine reads blocks of the file
// (csvBlockSize) into strings and cuts them at record boundaries (a newline
// outside quotes, found by quote parity); Workers goroutines decode, check
// and parse the chunks, slicing the fields out of the chunk's string (one
// allocation per chunk for the text, one per batch for the fields); Next
// hands the batches out in source order. At most 2*Workers+2 chunks are in
// flight, so memory stays around (2*Workers+4) blocks of text plus their
// parsed batches, or more only when single records are longer than a block
// (at most MaxLineBytes each).
type csvReader struct {
	t     Table
	opts  Options
	f     *os.File
	src   io.Reader // the data after the header
	cols  []string
	delim byte
	enc   string

	dataLine int64 // line of the first byte of src
	dataOff  int64 // offset in the (decoded for UTF-16) stream of src's first byte

	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	order   chan *csvJob

	waiting *csvJob
	pending []*Batch
	pendErr error
	err     error
	read    atomic.Int64

	// free holds released batches for the workers to refill (Release).
	free chan *Batch
}

type csvJob struct {
	text string
	line int64 // line of data[0]
	off  int64 // stream offset of data[0]
	res  chan csvResult
}

type csvResult struct {
	batches []*Batch
	err     error
}

func openCSV(ctx context.Context, t Table, opts Options) (Reader, error) {
	f, err := os.Open(t.Path)
	if err != nil {
		return nil, &Error{Path: t.Path, Msg: "cannot open file", Hint: "check that the file is readable", Err: err}
	}
	r := &csvReader{t: t, opts: opts, f: f, free: make(chan *Batch, 2*opts.Workers+4)}
	if err := r.init(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *csvReader) errorf(line int64, hint string, format string, args ...any) *Error {
	return &Error{Path: r.t.Path, Table: r.t.Name, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

const encodingHint = `convert the file to UTF-8, or state its encoding explicitly (utf-8 or gb18030)`

// init detects the encoding and the delimiter and reads the header.
func (r *csvReader) init() error {
	var src io.Reader = r.f
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(src, head)
	head = head[:n]
	eof := false
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		eof = true
	} else if err != nil {
		return &Error{Path: r.t.Path, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
	}
	var off int64
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		head = head[len(utf8BOM):]
		off = int64(len(utf8BOM))
		r.enc = encUTF8
	case bytes.HasPrefix(head, gb18030BOM):
		// U+FEFF encoded in GB18030: the file says what it is.
		head = head[len(gb18030BOM):]
		off = int64(len(gb18030BOM))
		r.enc = encGB18030
	case hasUTF16BOM(head):
		// Decode the whole stream; the rest of the reader sees UTF-8.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		src = transform.NewReader(io.MultiReader(bytes.NewReader(head), r.f), dec)
		r.enc = encUTF16
		head = make([]byte, sniffBytes)
		n, err = io.ReadFull(src, head)
		head = head[:n]
		eof = false
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
		} else if err != nil {
			return &Error{Path: r.t.Path, Msg: "cannot decode UTF-16 text", Hint: "convert the file to UTF-8", Err: err}
		}
	}
	switch strings.ToLower(strings.ReplaceAll(r.opts.Encoding, "_", "-")) {
	case "":
		if r.enc == "" {
			r.enc = detectEncoding(head, eof)
			if r.enc == "" {
				return r.errorf(0, encodingHint, "text is neither valid UTF-8 nor GB18030")
			}
		}
	case "utf-8", "utf8":
		if r.enc == encUTF16 {
			return r.errorf(0, "remove the encoding option to decode UTF-16", "file has a UTF-16 byte order mark but UTF-8 was requested")
		}
		r.enc = encUTF8
	case "gb18030", "gbk", "gb2312", "cp936":
		if r.enc != "" && r.enc != encGB18030 {
			return r.errorf(0, "remove the encoding option", "file has a Unicode byte order mark but GB18030 was requested")
		}
		r.enc = encGB18030
	default:
		return r.errorf(0, `use "", "utf-8" or "gb18030"`, "unsupported encoding %q", r.opts.Encoding)
	}

	// Skip blank lines, then find the end of the header record, reading
	// more when it is longer than the sample.
	line := int64(1)
	for {
		for len(head) > 0 && (head[0] == '\n' || head[0] == '\r' && len(head) > 1 && head[1] == '\n') {
			k := 1
			if head[0] == '\r' {
				k = 2
			}
			head = head[k:]
			off += int64(k)
			line++
		}
		if len(head) > 0 || eof {
			break
		}
		head = make([]byte, sniffBytes)
		n, err := io.ReadFull(src, head)
		head = head[:n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
		} else if err != nil {
			return &Error{Path: r.t.Path, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
		}
	}
	if len(head) == 0 {
		return r.errorf(0, "there is nothing to assess; remove the file from the export or re-export it", "empty file")
	}
	end := firstBoundary(head)
	for end < 0 && !eof {
		if len(head) > r.opts.MaxLineBytes {
			return r.errorf(line, "check the quoting of the header, or raise the line limit", "line too long: the header is longer than %d bytes", r.opts.MaxLineBytes)
		}
		more := make([]byte, len(head), 2*len(head)+sniffBytes)
		copy(more, head)
		n, err := io.ReadFull(src, more[len(head):cap(more)])
		head = more[:len(head)+n]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
		} else if err != nil {
			return &Error{Path: r.t.Path, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
		}
		end = firstBoundary(head)
	}
	if end < 0 {
		end = len(head)
	}
	if end > r.opts.MaxLineBytes {
		return r.errorf(line, "check the quoting of the header, or raise the line limit", "line too long: the header is longer than %d bytes", r.opts.MaxLineBytes)
	}
	hdr := string(head[:end])
	if r.enc == encGB18030 {
		b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(head[:end])
		if err != nil || bytes.Contains(b, []byte("\uFFFD")) {
			return r.errorf(line, encodingHint, "header is not valid GB18030 text")
		}
		hdr = string(b)
	} else if !utf8.ValidString(hdr) {
		return r.errorf(line, encodingHint, "header is not valid UTF-8 text")
	}
	if r.t.Format == TSV {
		r.delim = '\t'
	} else {
		r.delim = sniffDelimiter(hdr)
	}
	fields, _, nl, perr := parseRecord(hdr, 0, r.delim, nil)
	if perr != nil {
		return r.errorf(line+int64(perr.nl), perr.hint, "header: %s", perr.msg)
	}
	if len(fields) > r.opts.MaxColumns {
		return r.errorf(line, "raise the column limit, or check the delimiter", "too many columns: %d (limit %d)", len(fields), r.opts.MaxColumns)
	}
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	r.cols = uniqueNames(fields)
	r.dataLine = line + int64(nl)
	if end == len(head) && nl == 0 && eof {
		r.dataLine = line + 1
	}
	r.dataOff = off + int64(end)
	r.src = io.MultiReader(bytes.NewReader(head[end:]), src)
	r.read.Store(r.dataOff)
	return nil
}

// detectEncoding chooses UTF-8 or GB18030 from a sample, "" when neither fits.
func detectEncoding(sample []byte, complete bool) string {
	if validUTF8Prefix(sample) {
		return encUTF8
	}
	if !complete {
		if i := bytes.LastIndexByte(sample, '\n'); i >= 0 {
			sample = sample[:i+1]
		}
	}
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(sample)
	if err == nil && !bytes.Contains(b, []byte("\uFFFD")) {
		return encGB18030
	}
	return ""
}

// sniffDelimiter picks the most frequent of comma, semicolon, tab and pipe
// outside quotes in the header; comma on a tie or when none occurs.
func sniffDelimiter(hdr string) byte {
	var counts [4]int
	cands := [4]byte{',', ';', '\t', '|'}
	inQ := false
	for i := 0; i < len(hdr); i++ {
		c := hdr[i]
		if c == '"' {
			inQ = !inQ
			continue
		}
		if inQ {
			continue
		}
		if c == '\n' {
			break
		}
		for k, d := range cands {
			if c == d {
				counts[k]++
			}
		}
	}
	best := 0
	for k := 1; k < len(cands); k++ {
		if counts[k] > counts[best] {
			best = k
		}
	}
	return cands[best]
}

// firstBoundary returns the index just past the first newline outside
// quotes, or -1.
func firstBoundary(b []byte) int {
	inQ := false
	for i, c := range b {
		switch c {
		case '"':
			inQ = !inQ
		case '\n':
			if !inQ {
				return i + 1
			}
		}
	}
	return -1
}

// lastBoundary returns the index just past the last newline outside quotes,
// or -1. b must start at a record boundary. A newline is outside quotes when
// an even number of quotes precede it; the quotes are counted with the
// vectorised strings.Count, then, if the last newline is inside a quoted
// field, walked back newline by newline. Quote parity is exact for valid
// CSV; in invalid CSV the parser reports the first quoting error before a
// misplaced cut could matter.
func lastBoundary(b string) int {
	nl := strings.LastIndexByte(b, '\n')
	if nl < 0 {
		return -1
	}
	odd := strings.Count(b[:nl], `"`)&1 == 1
	for odd {
		prev := strings.LastIndexByte(b[:nl], '\n')
		if prev < 0 {
			return -1
		}
		if strings.Count(b[prev:nl], `"`)&1 == 1 {
			odd = false
		}
		nl = prev
	}
	return nl + 1
}

// recErr is a quoting error inside a record; nl is the number of newlines
// between the start of the record and the error.
type recErr struct {
	msg  string
	hint string
	nl   int
}

const quoteHint = `fields containing the delimiter, quotes or newlines must be enclosed in double quotes, with inner quotes doubled ("")`

// parseRecord parses the record starting at s[pos], appending its fields to
// dst. It returns the fields, the index just past the record, and the number
// of newlines consumed (including the terminating one). Unquoted fields are
// found with strings.IndexByte within the current line; the position of the
// next quote on the line is kept so that a quote inside an unquoted field is
// caught without rescanning.
func parseRecord(s string, pos int, delim byte, dst []string) ([]string, int, int, *recErr) {
	nl := 0
	lineEnd, quoteAt := -1, -1
	for {
		if pos < len(s) && s[pos] == '"' {
			startNL := nl
			pos++
			start := pos
			esc := false
			for {
				q := strings.IndexByte(s[pos:], '"')
				if q < 0 {
					return dst, len(s), nl + strings.Count(s[pos:], "\n"), &recErr{msg: "unterminated quoted field", hint: "a field opened with a double quote is never closed; " + quoteHint, nl: startNL}
				}
				nl += strings.Count(s[pos:pos+q], "\n")
				pos += q + 1
				if pos < len(s) && s[pos] == '"' {
					esc = true
					pos++
					continue
				}
				break
			}
			v := s[start : pos-1]
			if esc {
				v = strings.ReplaceAll(v, `""`, `"`)
			}
			dst = append(dst, v)
			if pos >= len(s) {
				return dst, pos, nl, nil
			}
			switch c := s[pos]; {
			case c == delim:
				pos++
				continue
			case c == '\n':
				return dst, pos + 1, nl + 1, nil
			case c == '\r' && pos+1 < len(s) && s[pos+1] == '\n':
				return dst, pos + 2, nl + 1, nil
			case c == '\r' && pos+1 == len(s):
				return dst, pos + 1, nl, nil
			}
			return dst, pos, nl, &recErr{msg: "unexpected character after a closing quote", hint: quoteHint, nl: nl}
		}
		if pos > lineEnd {
			if i := strings.IndexByte(s[pos:], '\n'); i >= 0 {
				lineEnd = pos + i
			} else {
				lineEnd = len(s)
			}
			quoteAt = -1
		}
		if quoteAt < pos {
			if i := strings.IndexByte(s[pos:lineEnd], '"'); i >= 0 {
				quoteAt = pos + i
			} else {
				quoteAt = lineEnd
			}
		}
		end := lineEnd
		if i := strings.IndexByte(s[pos:lineEnd], delim); i >= 0 {
			end = pos + i
		}
		if quoteAt < end {
			return dst, pos, nl, &recErr{msg: "double quote inside an unquoted field", hint: quoteHint, nl: nl}
		}
		v := s[pos:end]
		if end < lineEnd {
			dst = append(dst, v)
			pos = end + 1
			continue
		}
		if n := len(v); n > 0 && v[n-1] == '\r' {
			v = v[:n-1]
		}
		dst = append(dst, v)
		if end == len(s) {
			return dst, end, nl, nil
		}
		return dst, end + 1, nl + 1, nil
	}
}

func (r *csvReader) Columns() []string { return r.cols }

func (r *csvReader) BytesRead() int64 {
	n := r.read.Load()
	if r.t.Size > 0 && n > r.t.Size {
		n = r.t.Size
	}
	return n
}

func (r *csvReader) start() {
	r.started = true
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	inflight := 2*r.opts.Workers + 2
	r.order = make(chan *csvJob, inflight)
	work := make(chan *csvJob, r.opts.Workers)
	r.wg.Add(1 + r.opts.Workers)
	go r.split(ctx, work)
	for i := 0; i < r.opts.Workers; i++ {
		go func() {
			defer r.wg.Done()
			for job := range work {
				job.res <- r.parseChunk(job)
			}
		}()
	}
}

// split reads the source and cuts it into chunks of whole records. Each
// chunk is read into a strings.Builder, so its text becomes a string
// without another copy; the workers slice the fields out of it.
func (r *csvReader) split(ctx context.Context, work chan<- *csvJob) {
	defer r.wg.Done()
	defer close(r.order)
	defer close(work)
	line, off := r.dataLine, r.dataOff
	send := func(job *csvJob, toWorkers bool) bool {
		select {
		case r.order <- job:
		case <-ctx.Done():
			return false
		}
		if !toWorkers {
			return true
		}
		select {
		case work <- job:
			return true
		case <-ctx.Done():
			return false
		}
	}
	fail := func(err error) {
		job := &csvJob{res: make(chan csvResult, 1)}
		job.res <- csvResult{err: err}
		send(job, false)
	}
	scratch := make([]byte, min(128<<10, r.opts.blockSize))
	carry := ""
	eof := false
	for !eof {
		// Read a block of new bytes after the carry (the partial record
		// left by the previous block).
		want := r.opts.blockSize
		if len(carry) > want/2 {
			want = len(carry) + r.opts.blockSize
		}
		var sb strings.Builder
		sb.Grow(want)
		sb.WriteString(carry)
		for sb.Len() < want && !eof {
			n, err := r.src.Read(scratch[:min(len(scratch), want-sb.Len())])
			sb.Write(scratch[:n])
			if err == io.EOF {
				eof = true
			} else if err != nil {
				fail(&Error{Path: r.t.Path, Table: r.t.Name, Line: line, Msg: "cannot read file", Hint: "check that the file is readable and not truncated", Err: err})
				return
			}
			if ctx.Err() != nil {
				return
			}
		}
		text := sb.String()
		cut := len(text)
		if !eof {
			cut = lastBoundary(text)
			if cut < 0 {
				if len(text) > r.opts.MaxLineBytes {
					fail(r.errorf(line, "a record this long usually means a missing closing quote; "+quoteHint, "line too long: the record starting here exceeds %d bytes", r.opts.MaxLineBytes))
					return
				}
				carry = text
				continue
			}
		}
		carry = text[cut:]
		if cut == 0 {
			continue
		}
		job := &csvJob{text: text[:cut], line: line, off: off, res: make(chan csvResult, 1)}
		line += int64(strings.Count(job.text, "\n"))
		off += int64(cut)
		if !send(job, true) {
			return
		}
	}
}

// parseChunk decodes and parses one chunk of whole records into batches.
func (r *csvReader) parseChunk(job *csvJob) csvResult {
	s := job.text
	invalidAt := -1
	if r.enc == encGB18030 {
		var err error
		s, err = simplifiedchinese.GB18030.NewDecoder().String(s)
		if err != nil {
			return csvResult{err: r.errorf(job.line, encodingHint, "cannot decode GB18030 text")}
		}
		if i := strings.Index(s, "\uFFFD"); i >= 0 {
			invalidAt = i
		}
	} else if !utf8.ValidString(s) {
		invalidAt = firstInvalidUTF8(s)
	}

	ncols := len(r.cols)
	maxRows := r.opts.BatchRows
	var res csvResult
	line := job.line
	pos := 0
	var b *Batch
	var backing []string
	var lines []int64
	stale := 0 // values left in a reused backing array by its last batch
	finish := func() {
		if b == nil {
			return
		}
		// Drop the references a reused array still holds beyond the new
		// rows, so that it does not keep old chunks' text alive.
		if stale > len(backing) {
			clear(backing[len(backing):stale])
		}
		b.backing = backing
		if len(b.Rows) == 0 {
			b = nil
			return
		}
		b.Lines = lines
		res.batches = append(res.batches, b)
		b = nil
	}
	for pos < len(s) {
		c := s[pos]
		if c == '\n' || c == '\r' && (pos+1 == len(s) || s[pos+1] == '\n') {
			if c == '\r' {
				pos++
			}
			if pos < len(s) {
				pos++
				line++
			}
			continue
		}
		if b == nil {
			// Size the backing array from what is left of the chunk: a
			// row takes at least ncols bytes (delimiters and newline).
			est := min(maxRows, (len(s)-pos)/max(1, ncols)+1)
			if done := len(res.batches) * maxRows; done > 0 {
				perRow := max(1, pos/done)
				est = min(est, (len(s)-pos)/perRow+(len(s)-pos)/perRow/8+16)
			}
			b, backing, stale = r.batchFor(est, ncols)
			b.FirstLine = line
			lines = nil
		}
		// Parse straight into the batch's backing array.
		k := len(backing)
		fields, next, nl, perr := parseRecord(s, pos, r.delim, backing)
		backing = fields
		if invalidAt >= 0 && next > invalidAt {
			finish()
			at := line + int64(strings.Count(s[pos:invalidAt], "\n"))
			res.err = r.errorf(at, encodingHint, "text is not valid %s", encName(r.enc))
			return res
		}
		if perr != nil {
			finish()
			res.err = r.errorf(line+int64(perr.nl), perr.hint, "%s", perr.msg)
			return res
		}
		if next-pos > r.opts.MaxLineBytes {
			finish()
			res.err = r.errorf(line, "a record this long usually means a missing closing quote; "+quoteHint, "line too long: the record starting here exceeds %d bytes", r.opts.MaxLineBytes)
			return res
		}
		if len(fields)-k != ncols {
			finish()
			res.err = r.errorf(line, "every row must have as many fields as the header; check the delimiter and the quoting of this line", "row has %d fields but the header has %d", len(fields)-k, ncols)
			return res
		}
		b.Rows = append(b.Rows, backing[k:k+ncols:k+ncols])
		// Lines is filled only once a row is not on the line after the
		// previous one's.
		if n := int64(len(b.Rows) - 1); lines == nil && line != b.FirstLine+n {
			lines = make([]int64, n, cap(b.Rows))
			for i := range lines {
				lines[i] = b.FirstLine + int64(i)
			}
		}
		if lines != nil {
			lines = append(lines, line)
		}
		line += int64(nl)
		pos = next
		if len(b.Rows) == maxRows {
			finish()
		}
	}
	finish()
	return res
}

// batchFor returns an empty batch for about est rows: a released one when
// one is large enough, else a new one. stale is the number of values the
// reused backing array still holds from its previous batch.
func (r *csvReader) batchFor(est, ncols int) (b *Batch, backing []string, stale int) {
	select {
	case fb := <-r.free:
		if cap(fb.Rows) >= est && cap(fb.backing) >= est*ncols {
			*fb = Batch{Rows: fb.Rows[:0], backing: fb.backing}
			return fb, fb.backing[:0], len(fb.backing)
		}
	default:
	}
	return &Batch{Rows: make([][]string, 0, est)}, make([]string, 0, est*ncols), 0
}

// Release hands a batch the caller is done with back for reuse (Releaser).
// Batches beyond what the reader keeps, and batches of other readers, are
// left to the garbage collector.
func (r *csvReader) Release(b *Batch) {
	if b == nil || b.backing == nil {
		return
	}
	select {
	case r.free <- b:
	default:
	}
}

func encName(enc string) string {
	if enc == encGB18030 {
		return "GB18030"
	}
	return "UTF-8"
}

func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// Next returns the next batch in source order.
func (r *csvReader) Next(ctx context.Context) (*Batch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !r.started {
		r.start()
	}
	for {
		if len(r.pending) > 0 {
			b := r.pending[0]
			r.pending[0] = nil
			r.pending = r.pending[1:]
			return b, nil
		}
		if r.pendErr != nil {
			r.err = r.pendErr
			return nil, r.err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		job := r.waiting
		if job == nil {
			var ok bool
			select {
			case job, ok = <-r.order:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if !ok {
				r.err = io.EOF
				return nil, io.EOF
			}
			r.waiting = job
		}
		select {
		case res := <-job.res:
			r.waiting = nil
			r.pending = res.batches
			r.pendErr = res.err
			if job.text != "" {
				r.read.Store(job.off + int64(len(job.text)))
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (r *csvReader) Close() error {
	if r.started && r.cancel != nil {
		r.cancel()
		// Drain so that the splitter and the workers can finish.
		go func() {
			for range r.order {
			}
		}()
		r.wg.Wait()
		r.cancel = nil
	}
	if r.err == nil {
		r.err = errors.New("tabular: reader closed")
	}
	return r.f.Close()
}
