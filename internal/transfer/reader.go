package transfer

import (
	"bytes"
	"crypto"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/xborder/xborder/internal/suite"
)

// ReaderConfig is what a consumer knows before the stream starts.
type ReaderConfig struct {
	// Binding must equal the provider's, field by field.
	Binding
	// Key is the consumer's ephemeral private key (NewConsumerKey), whose
	// public half went to the provider. Required.
	Key suite.AgreementKey
	// ProviderKey is the provider's signing public key, from its DID
	// document. Required.
	ProviderKey crypto.PublicKey
	// OnProgress, when set, is called after each chunk verifies.
	OnProgress func(Progress)
}

// Reader decrypts and verifies a stream. Read returns a chunk's plaintext
// only once the whole chunk has authenticated, and io.EOF only once the
// trailer's digest, counts and signature have been checked, so a caller
// must treat the data as complete only at io.EOF.
//
// A Reader holds one chunk in memory whatever the total size. After an
// error, Resume continues the same transfer from a new stream that starts
// at Next: the digest and counts carry over. A Reader is not safe for
// concurrent use.
type Reader struct {
	cfg ReaderConfig
	src io.Reader

	// Transfer state, kept across streams.
	transferKey []byte
	first       *Header
	h           hash.Hash
	next        uint64 // chunks verified
	bytes       int64  // plaintext bytes verified
	finalSeen   bool
	receipt     *Receipt

	// Stream state.
	hdr   *Header
	aead  cipher.AEAD
	aad   chunkAAD
	nonce [nonceSize]byte
	rec   [recordHdrSize]byte
	buf   []byte
	pt    []byte // verified plaintext not yet returned
	err   error
	done  bool
}

// NewReader returns a Reader of the stream src. It reads nothing until the
// first Read. src may be nil if Resume supplies the first stream.
func NewReader(src io.Reader, cfg ReaderConfig) (*Reader, error) {
	if err := cfg.Binding.validate(); err != nil {
		return nil, err
	}
	if cfg.Key == nil {
		return nil, errors.New("transfer: reader: no consumer key")
	}
	if cfg.ProviderKey == nil {
		return nil, errors.New("transfer: reader: no provider key")
	}
	if _, err := suite.AlgOf(cfg.ProviderKey); err != nil {
		return nil, fmt.Errorf("transfer: reader: provider key: %w", err)
	}
	return &Reader{cfg: cfg, src: src, h: cfg.Suite.Hash(), aad: newChunkAAD(cfg.TransferID)}, nil
}

// Next is the index of the first chunk not yet verified: the value a
// resumed stream must start from. Chunks below it have verified (their
// plaintext is returned or buffered in the Reader).
func (r *Reader) Next() uint64 { return r.next }

// Progress returns the chunks and bytes verified so far.
func (r *Reader) Progress() Progress { return Progress{Chunks: r.next, Bytes: r.bytes} }

// Header returns the header of the current stream, nil before it is read.
func (r *Reader) Header() *Header { return r.hdr }

// Receipt returns the provider's verified receipt once Read has returned
// io.EOF, else nil.
func (r *Reader) Receipt() *Receipt { return r.receipt }

// Resume continues the transfer from src, a new stream whose header must
// start at Next. Plaintext verified but not yet read is kept.
func (r *Reader) Resume(src io.Reader) error {
	if r.done {
		return errors.New("transfer: resuming a stream that is complete")
	}
	r.src, r.hdr, r.aead, r.err = src, nil, nil, nil
	return nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.pt) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.advance()
	}
	n := copy(p, r.pt)
	r.pt = r.pt[n:]
	return n, nil
}

// WriteTo writes the verified plaintext to w without an intermediate
// copy. It returns nil at the end of a verified stream, w's error as is,
// and the Reader's errors as Read returns them.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.pt) > 0 {
			m, err := w.Write(r.pt)
			r.pt = r.pt[m:]
			total += int64(m)
			if err != nil {
				return total, err
			}
			continue
		}
		if r.done {
			return total, nil
		}
		if r.err != nil {
			return total, r.err
		}
		r.err = r.advance()
	}
}

// advance reads one record: the header of a new stream, a chunk (whose
// plaintext it leaves in r.pt), or the trailer.
func (r *Reader) advance() error {
	if r.src == nil {
		return errors.New("transfer: reader: no stream (call Resume)")
	}
	if r.hdr == nil {
		return r.readHeader()
	}
	if _, err := io.ReadFull(r.src, r.rec[:]); err != nil {
		if r.finalSeen {
			return truncated("before the trailer", err)
		}
		return truncated(fmt.Sprintf("before chunk %d", r.next), err)
	}
	typ, n := r.rec[0], binary.BigEndian.Uint32(r.rec[1:])
	switch typ {
	case recChunk, recFinal:
		return r.readChunk(typ == recFinal, n)
	case recTrailer:
		return r.readTrailer(n)
	case recHeader:
		return malformed("a second header after chunk %d", r.next)
	}
	return malformed("record of unknown type 0x%02x after chunk %d", typ, r.next)
}

func (r *Reader) readHeader() error {
	h, err := ReadHeader(r.src)
	if err != nil {
		return err
	}
	c := r.cfg
	switch {
	case h.Suite != c.Suite:
		return mismatch("stream is in suite %s, want %s", h.Suite.Name(), c.Suite.Name())
	case h.TransferID != c.TransferID:
		return mismatch("stream is for transfer %q, want %q", h.TransferID, c.TransferID)
	case h.AgreementID != c.AgreementID:
		return mismatch("stream is under agreement %q, want %q", h.AgreementID, c.AgreementID)
	case h.ProviderDID != c.ProviderDID:
		return mismatch("stream is from provider %q, want %q", h.ProviderDID, c.ProviderDID)
	case h.ConsumerDID != c.ConsumerDID:
		return mismatch("stream is for consumer %q, want %q", h.ConsumerDID, c.ConsumerDID)
	case h.KeyAgreement.Name() != c.Key.KeyAgreement().Name():
		return mismatch("stream uses key agreement %s, our key is %s", h.KeyAgreement.Name(), c.Key.KeyAgreement().Name())
	case !bytes.Equal(h.ConsumerKey, c.Key.PublicBytes()):
		return mismatch("stream is encrypted to another consumer key")
	}
	if err := h.Verify(c.ProviderKey); err != nil {
		return err
	}
	if h.Start != r.next {
		return mismatch("stream starts at chunk %d, want %d", h.Start, r.next)
	}
	if f := r.first; f != nil {
		switch {
		case h.ChunkSize != f.ChunkSize:
			return mismatch("resumed stream has chunk size %d, the transfer %d", h.ChunkSize, f.ChunkSize)
		case h.Size != f.Size:
			return mismatch("resumed stream declares size %d, the transfer %d", h.Size, f.Size)
		case !bytes.Equal(h.ProviderKey, f.ProviderKey):
			return mismatch("resumed stream has another provider ephemeral key")
		}
	} else {
		k, err := consumerTransferKey(c.Binding, c.Key, h.ProviderKey)
		if err != nil {
			return err
		}
		r.transferKey, r.first = k, h
		r.buf = make([]byte, h.ChunkSize+tagSize)
	}
	aead, err := streamAEAD(c.Suite, r.transferKey, h.Salt)
	if err != nil {
		return err
	}
	r.hdr, r.aead = h, aead
	return nil
}

func (r *Reader) readChunk(final bool, n uint32) error {
	i, cs := r.next, r.hdr.ChunkSize
	if r.finalSeen {
		return chunkErr(i, ErrMalformed, "after the final chunk")
	}
	if final {
		if n < tagSize || n > uint32(cs+tagSize) {
			return chunkErr(i, ErrMalformed, "final chunk record of %d bytes", n)
		}
		if n == tagSize && i > 0 {
			return chunkErr(i, ErrMalformed, "empty final chunk after chunk 0")
		}
	} else if n != uint32(cs+tagSize) {
		return chunkErr(i, ErrMalformed, "chunk record of %d bytes, want %d", n, cs+tagSize)
	}
	if size := r.hdr.Size; size >= 0 {
		last := chunkCount(size, cs) - 1
		switch {
		case !final && i >= last:
			return chunkErr(i, ErrMalformed, "not final, but the declared size of %d bytes ends here", size)
		case final && i != last:
			return chunkErr(i, ErrMalformed, "final, but the declared size of %d bytes ends at chunk %d", size, last)
		case final && int64(n-tagSize) != size-int64(i)*int64(cs):
			return chunkErr(i, ErrMalformed, "final chunk of %d bytes, the declared size leaves %d", n-tagSize, size-int64(i)*int64(cs))
		}
	}
	ct := r.buf[:n]
	if _, err := io.ReadFull(r.src, ct); err != nil {
		return &ChunkError{Index: i, Err: truncated("inside the chunk", err)}
	}
	pt, err := r.aead.Open(ct[:0], chunkNonce(&r.nonce, i), ct, r.aad.set(i, final))
	if err != nil {
		return chunkErr(i, ErrChunkAuth, "")
	}
	r.h.Write(pt)
	r.next++
	r.bytes += int64(len(pt))
	r.finalSeen = final
	r.pt = pt
	if r.cfg.OnProgress != nil {
		r.cfg.OnProgress(Progress{Chunks: r.next, Bytes: r.bytes})
	}
	return nil
}

func (r *Reader) readTrailer(n uint32) error {
	if !r.finalSeen {
		return malformed("trailer before the final chunk (after chunk %d)", r.next)
	}
	if n != trailerBodySize {
		return malformed("trailer record of %d bytes, want %d", n, trailerBodySize)
	}
	var body [trailerBodySize]byte
	if _, err := io.ReadFull(r.src, body[:]); err != nil {
		return truncated("inside the trailer", err)
	}
	rc := newReceipt(r.cfg.Binding, r.hdr.SigAlg)
	rc.Chunks = binary.BigEndian.Uint64(body[0:])
	size := binary.BigEndian.Uint64(body[8:])
	rc.Digest = bytes.Clone(body[16 : 16+digestSize])
	rc.Signature = bytes.Clone(body[16+digestSize:])
	if rc.Chunks != r.next || size != uint64(r.bytes) {
		return fmt.Errorf("transfer: %w: trailer counts %d chunks and %d bytes, received %d and %d",
			ErrDigest, rc.Chunks, size, r.next, r.bytes)
	}
	rc.Size = int64(size)
	if subtle.ConstantTimeCompare(rc.Digest, r.h.Sum(nil)) != 1 {
		return fmt.Errorf("transfer: %w: %s digest differs", ErrDigest, r.cfg.Suite.HashName())
	}
	if err := rc.Verify(r.cfg.ProviderKey); err != nil {
		return err
	}
	var one [1]byte
	m, err := io.ReadFull(r.src, one[:])
	if m > 0 {
		return malformed("data after the trailer")
	}
	if err != io.EOF {
		return truncated("after the trailer", err)
	}
	r.receipt, r.done = rc, true
	clear(r.transferKey)
	return nil
}

var (
	_ io.Reader   = (*Reader)(nil)
	_ io.WriterTo = (*Reader)(nil)
)
