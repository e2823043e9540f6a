package transfer

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/xborder/xborder/internal/suite"
)

// Progress counts a transfer's chunks and plaintext bytes so far, across
// resumed streams: chunks sealed on the provider, verified on the consumer.
type Progress struct {
	Chunks uint64
	Bytes  int64
}

// WriterConfig configures a [Writer].
type WriterConfig struct {
	// Key is the provider's transfer key (NewKey). Required.
	Key *Key
	// Signer is the provider's signing key; its algorithm must be in the
	// key's suite. Required.
	Signer suite.Signer
	// ChunkSize is the plaintext size of every chunk but the last;
	// 0 means DefaultChunkSize.
	ChunkSize int
	// Size, when positive, is the plaintext size the stream declares in
	// its header; Close fails if a different number of bytes was written.
	// 0 or less declares no size.
	Size int64
	// OnProgress, when set, is called after each chunk is written.
	OnProgress func(Progress)
	// Rand is the source of the stream salt (crypto/rand when nil).
	Rand io.Reader
}

// resumeState is where a resumed stream starts: chunk index, plaintext
// bytes before it, and the digest of those bytes.
type resumeState struct {
	start uint64
	bytes int64
	h     hash.Hash
}

// writerHooks let the Provider stop a stream at a chunk boundary and keep
// digest checkpoints.
type writerHooks struct {
	gate       func() error
	checkpoint func(chunks uint64, bytes int64, h hash.Hash)
}

// Writer encrypts a plaintext into a stream. It holds one chunk in memory
// whatever the total size. Close writes the final chunk and the signed
// trailer; it does not close the underlying writer. A Writer is not safe
// for concurrent use.
type Writer struct {
	dst     io.Writer
	b       Binding
	aead    cipher.AEAD
	signer  suite.Signer
	cs      int
	size    int64 // -1: not declared
	h       hash.Hash
	buf     []byte // record header || plaintext, sealed in place
	n       int    // plaintext bytes in buf
	index   uint64 // next chunk index
	sealed  int64  // plaintext bytes in chunks already written
	nonce   [nonceSize]byte
	aad     chunkAAD
	err     error
	closed  bool
	hooks   writerHooks
	onProg  func(Progress)
	receipt *Receipt
}

// NewWriter writes the stream prelude and the signed header to w and
// returns a Writer for the plaintext.
func NewWriter(w io.Writer, cfg WriterConfig) (*Writer, error) {
	return newWriter(w, cfg, resumeState{}, writerHooks{})
}

func newWriter(w io.Writer, cfg WriterConfig, rs resumeState, hooks writerHooks) (*Writer, error) {
	k := cfg.Key
	if k == nil || k.secret == nil {
		return nil, errors.New("transfer: writer: no key")
	}
	if cfg.Signer == nil {
		return nil, errors.New("transfer: writer: no signer")
	}
	s := k.b.Suite
	if !s.Supports(cfg.Signer.Alg()) {
		return nil, fmt.Errorf("transfer: writer: signer algorithm %s is not in suite %s", cfg.Signer.Alg(), s.Name())
	}
	cs := cfg.ChunkSize
	if cs == 0 {
		cs = DefaultChunkSize
	}
	if cs < MinChunkSize || cs > MaxChunkSize {
		return nil, fmt.Errorf("transfer: writer: chunk size %d outside [%d, %d]", cs, MinChunkSize, MaxChunkSize)
	}
	size := cfg.Size
	if size <= 0 {
		size = -1
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	hdr := &Header{Binding: k.b, KeyAgreement: k.ka, SigAlg: cfg.Signer.Alg(), ChunkSize: cs, Size: size,
		Start: rs.start, Salt: make([]byte, saltSize), ConsumerKey: k.consumerPub, ProviderKey: k.providerPub}
	if _, err := io.ReadFull(r, hdr.Salt); err != nil {
		return nil, fmt.Errorf("transfer: writer: drawing the stream salt: %w", err)
	}
	body, err := hdr.marshalUnsigned()
	if err != nil {
		return nil, err
	}
	sig, err := cfg.Signer.Sign(headerSigned(body))
	if err != nil {
		return nil, fmt.Errorf("transfer: writer: signing the header: %w", err)
	}
	if len(sig) != sigSize {
		return nil, fmt.Errorf("transfer: writer: %d-byte signature, want %d", len(sig), sigSize)
	}
	body = append(body, sig...)
	aead, err := streamAEAD(s, k.secret, hdr.Salt)
	if err != nil {
		return nil, err
	}
	wr := &Writer{
		dst: w, b: k.b, aead: aead, signer: cfg.Signer, cs: cs, size: size,
		h: rs.h, index: rs.start, sealed: rs.bytes, aad: newChunkAAD(k.b.TransferID),
		hooks: hooks, onProg: cfg.OnProgress,
	}
	if wr.h == nil {
		wr.h = s.Hash()
	}
	// One buffer: the record header, then the plaintext, sealed in place
	// into ciphertext and tag. ReadFrom reads one byte past a chunk to know
	// it is not the last, which the tag's room holds.
	wr.buf = make([]byte, recordHdrSize+cs+tagSize)
	pre := make([]byte, 0, preludeSize+recordHdrSize+len(body))
	pre = append(append(pre, magic...), Version, recHeader)
	pre = binary.BigEndian.AppendUint32(pre, uint32(len(body)))
	if _, err := w.Write(append(pre, body...)); err != nil {
		return nil, fmt.Errorf("transfer: writing the header: %w", err)
	}
	return wr, nil
}

// Write encrypts p. Chunks are written as they fill; the last one waits
// for Close.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.check(len(p)); err != nil {
		return 0, err
	}
	total := 0
	for len(p) > 0 {
		if w.n == w.cs {
			if err := w.flush(false); err != nil {
				return total, err
			}
		}
		k := copy(w.buf[recordHdrSize+w.n:recordHdrSize+w.cs], p)
		w.n += k
		p = p[k:]
		total += k
	}
	return total, nil
}

// ReadFrom encrypts everything r yields until io.EOF, reading straight
// into the chunk buffer. It does not call Close.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := w.check(0); err != nil {
			return total, err
		}
		// Room for one byte past the chunk: a full chunk followed by more
		// data is not the final one.
		m, err := r.Read(w.buf[recordHdrSize+w.n : recordHdrSize+w.cs+1])
		if m > 0 {
			if cerr := w.check(m); cerr != nil {
				return total, cerr
			}
		}
		w.n += m
		total += int64(m)
		if w.n == w.cs+1 {
			extra := w.buf[recordHdrSize+w.cs]
			w.n = w.cs
			if ferr := w.flush(false); ferr != nil {
				return total, ferr
			}
			w.buf[recordHdrSize] = extra
			w.n = 1
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func (w *Writer) check(more int) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("transfer: write after Close")
	}
	if w.size >= 0 && w.sealed+int64(w.n)+int64(more) > w.size {
		w.err = fmt.Errorf("transfer: writing more than the declared size of %d bytes", w.size)
		return w.err
	}
	return nil
}

// flush seals the buffered plaintext as chunk w.index and writes it.
func (w *Writer) flush(final bool) error {
	if w.hooks.gate != nil {
		if err := w.hooks.gate(); err != nil {
			w.err = err
			return err
		}
	}
	if w.index >= maxChunks {
		w.err = fmt.Errorf("transfer: more than %d chunks", uint64(maxChunks))
		return w.err
	}
	pt := w.buf[recordHdrSize : recordHdrSize+w.n]
	w.h.Write(pt)
	ct := w.aead.Seal(pt[:0], chunkNonce(&w.nonce, w.index), pt, w.aad.set(w.index, final))
	w.buf[0] = recChunk
	if final {
		w.buf[0] = recFinal
	}
	binary.BigEndian.PutUint32(w.buf[1:], uint32(len(ct)))
	if _, err := w.dst.Write(w.buf[:recordHdrSize+len(ct)]); err != nil {
		w.err = fmt.Errorf("transfer: writing chunk %d: %w", w.index, err)
		return w.err
	}
	w.index++
	w.sealed += int64(w.n)
	w.n = 0
	if w.onProg != nil {
		w.onProg(Progress{Chunks: w.index, Bytes: w.sealed})
	}
	if w.hooks.checkpoint != nil {
		w.hooks.checkpoint(w.index, w.sealed, w.h)
	}
	return nil
}

// Close writes the final chunk and the trailer, whose signed receipt
// Receipt then returns.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.size >= 0 && w.sealed+int64(w.n) != w.size {
		w.err = fmt.Errorf("transfer: %d bytes written, the header declared %d", w.sealed+int64(w.n), w.size)
		return w.err
	}
	// A resumed stream that starts after the final chunk (the consumer
	// lost only the trailer) has nothing to seal: n is 0 only there, or
	// for an empty plaintext, whose single chunk is the empty final one.
	if w.n > 0 || w.index == 0 {
		if err := w.flush(true); err != nil {
			return err
		}
	} else if w.hooks.gate != nil {
		if err := w.hooks.gate(); err != nil {
			w.err = err
			return err
		}
	}
	rc := newReceipt(w.b, w.signer.Alg())
	rc.Chunks, rc.Size, rc.Digest = w.index, w.sealed, w.h.Sum(nil)
	m, err := rc.message()
	if err != nil {
		w.err = err
		return err
	}
	if rc.Signature, err = w.signer.Sign(m); err != nil {
		w.err = fmt.Errorf("transfer: signing the trailer: %w", err)
		return w.err
	}
	if _, err := w.dst.Write(rc.marshalTrailer()); err != nil {
		w.err = fmt.Errorf("transfer: writing the trailer: %w", err)
		return w.err
	}
	w.receipt = rc
	return nil
}

// Receipt returns the signed receipt after a successful Close, else nil.
func (w *Writer) Receipt() *Receipt { return w.receipt }

var (
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
)
