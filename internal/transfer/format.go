package transfer

import (
	"crypto"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/xborder/xborder/internal/suite"
)

// Version is the stream format version, the fifth byte of every stream.
const Version = 1

// Chunk sizes. A chunk's plaintext is ChunkSize bytes except the final
// chunk's, which is 0 to ChunkSize bytes (0 only when it is the only chunk).
const (
	DefaultChunkSize = 1 << 20
	MinChunkSize     = 16
	MaxChunkSize     = 16 << 20
)

const (
	magic = "XBTS"

	recHeader  byte = 'H'
	recChunk   byte = 'C'
	recFinal   byte = 'F'
	recTrailer byte = 'T'

	preludeSize   = len(magic) + 1
	recordHdrSize = 5
	saltSize      = 32
	tagSize       = 16
	sigSize       = 64
	digestSize    = 32
	nonceSize     = 12

	headerFixed     = 1 + 1 + 1 + 1 + 4 + 8 + 8 + saltSize
	maxHeaderBody   = headerFixed + 4*(2+MaxIDLength) + 2*(2+65) + sigSize // 4,358
	trailerBodySize = 8 + 8 + digestSize + sigSize

	flagSizeKnown byte = 1

	// maxChunks bounds the chunk index (and so the data under one stream
	// key): 2^32 chunks, 4 PiB at the default chunk size.
	maxChunks = 1 << 32
)

// chunkCount is the number of chunks of a size-byte plaintext: at least one
// (an empty plaintext is one empty final chunk).
func chunkCount(size int64, chunkSize int) uint64 {
	if size <= 0 {
		return 1
	}
	return uint64((size + int64(chunkSize) - 1) / int64(chunkSize))
}

// Header is the first record of every stream. It is signed by the
// provider; ReadHeader parses it and Verify checks the signature.
type Header struct {
	Binding
	KeyAgreement suite.KeyAgreement
	SigAlg       suite.Alg
	ChunkSize    int
	// Size is the plaintext size of the whole transfer, or -1 when the
	// provider did not declare it.
	Size int64
	// Start is the index of the first chunk in this stream: 0, or the
	// chunk a resumed stream starts from.
	Start       uint64
	Salt        []byte // 32 random bytes, new for every stream
	ConsumerKey []byte // the consumer's ephemeral public key
	ProviderKey []byte // the provider's ephemeral public key
	Signature   []byte

	signed []byte // the bytes Signature covers
}

// marshal encodes the record body without the signature.
func (h *Header) marshalUnsigned() ([]byte, error) {
	sid, err := suiteID(h.Suite)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, headerFixed+len(h.TransferID)+len(h.AgreementID)+len(h.ProviderDID)+
		len(h.ConsumerDID)+len(h.ConsumerKey)+len(h.ProviderKey)+12+sigSize)
	var flags byte
	size := uint64(0)
	if h.Size >= 0 {
		flags |= flagSizeKnown
		size = uint64(h.Size)
	}
	b = append(b, sid, kaID(h.KeyAgreement), sigID(h.SigAlg), flags)
	b = binary.BigEndian.AppendUint32(b, uint32(h.ChunkSize))
	b = binary.BigEndian.AppendUint64(b, size)
	b = binary.BigEndian.AppendUint64(b, h.Start)
	b = append(b, h.Salt...)
	b = h.Binding.appendIDs(b)
	b = appendLP(b, h.ConsumerKey)
	b = appendLP(b, h.ProviderKey)
	return b, nil
}

// headerSigned is what the header signature covers:
// "xborder transfer v1 header" || 0x00 || prelude || body without signature.
func headerSigned(body []byte) []byte {
	m := make([]byte, 0, len(labelHeader)+1+preludeSize+len(body))
	m = append(append(m, labelHeader...), 0)
	m = append(append(m, magic...), Version)
	return append(m, body...)
}

// Verify checks the provider's signature on the header.
func (h *Header) Verify(providerKey crypto.PublicKey) error {
	if h.signed == nil {
		return errors.New("transfer: header was not parsed from a stream")
	}
	if err := suite.Verify(h.SigAlg, providerKey, h.signed, h.Signature); err != nil {
		if errors.Is(err, suite.ErrBadSignature) {
			return fmt.Errorf("transfer: %w", ErrHeaderSignature)
		}
		return fmt.Errorf("transfer: provider key: %w", err)
	}
	return nil
}

// ReadHeader reads the stream prelude ("XBTS", version 1) and the header
// record from r, and checks every field's syntax and range. It does not
// check the signature (see Header.Verify) nor whether the stream is the
// one the caller expects. It reads nothing past the header.
func ReadHeader(r io.Reader) (*Header, error) {
	var pre [preludeSize + recordHdrSize]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, truncated("before the header", err)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, malformed("not a transfer stream (magic %q)", pre[:len(magic)])
	}
	if pre[len(magic)] != Version {
		return nil, malformed("unknown stream version %d (this build reads %d)", pre[len(magic)], Version)
	}
	typ, n := pre[preludeSize], binary.BigEndian.Uint32(pre[preludeSize+1:])
	if typ != recHeader {
		return nil, malformed("first record is of type 0x%02x, not the header", typ)
	}
	if n < headerFixed+6*2+sigSize || n > maxHeaderBody {
		return nil, malformed("header record of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, truncated("inside the header", err)
	}
	return parseHeaderBody(body)
}

func parseHeaderBody(body []byte) (*Header, error) {
	h := &Header{}
	var err error
	if h.Suite, err = suiteByID(body[0]); err != nil {
		return nil, malformed("header: %v", err)
	}
	if h.KeyAgreement, err = kaByID(h.Suite, body[1]); err != nil {
		return nil, malformed("header: %v", err)
	}
	if h.SigAlg, err = sigByID(body[2]); err != nil {
		return nil, malformed("header: %v", err)
	}
	if !h.Suite.Supports(h.SigAlg) {
		return nil, malformed("header: signature algorithm %s is not in suite %s", h.SigAlg, h.Suite.Name())
	}
	flags := body[3]
	if flags&^flagSizeKnown != 0 {
		return nil, malformed("header: unknown flags 0x%02x", flags)
	}
	cs := binary.BigEndian.Uint32(body[4:])
	if cs < MinChunkSize || cs > MaxChunkSize {
		return nil, malformed("header: chunk size %d outside [%d, %d]", cs, MinChunkSize, MaxChunkSize)
	}
	h.ChunkSize = int(cs)
	size := binary.BigEndian.Uint64(body[8:])
	switch {
	case flags&flagSizeKnown == 0 && size != 0:
		return nil, malformed("header: size %d without the size flag", size)
	case flags&flagSizeKnown == 0:
		h.Size = -1
	case size > math.MaxInt64 || chunkCount(int64(size), h.ChunkSize) > maxChunks:
		return nil, malformed("header: size %d too large", size)
	default:
		h.Size = int64(size)
	}
	h.Start = binary.BigEndian.Uint64(body[16:])
	if h.Start >= maxChunks || (h.Size >= 0 && h.Start > chunkCount(h.Size, h.ChunkSize)) {
		return nil, malformed("header: start chunk %d out of range", h.Start)
	}
	h.Salt = body[24 : 24+saltSize]
	rest := body[headerFixed:]
	fields := make([][]byte, 6)
	for i := range fields {
		if len(rest) < 2 {
			return nil, malformed("header: ends inside field %d", i)
		}
		n := int(binary.BigEndian.Uint16(rest))
		if n == 0 || n > MaxIDLength || len(rest) < 2+n {
			return nil, malformed("header: field %d of length %d", i, n)
		}
		fields[i], rest = rest[2:2+n], rest[2+n:]
	}
	if len(rest) != sigSize {
		return nil, malformed("header: %d bytes after the fields, want a %d-byte signature", len(rest), sigSize)
	}
	h.TransferID, h.AgreementID = string(fields[0]), string(fields[1])
	h.ProviderDID, h.ConsumerDID = string(fields[2]), string(fields[3])
	h.ConsumerKey, h.ProviderKey = fields[4], fields[5]
	for _, k := range [][]byte{h.ConsumerKey, h.ProviderKey} {
		if len(k) != h.KeyAgreement.PublicKeySize() {
			return nil, malformed("header: %s public key of %d bytes", h.KeyAgreement.Name(), len(k))
		}
	}
	h.Signature = rest
	h.signed = headerSigned(body[:len(body)-sigSize])
	return h, nil
}

// Receipt is the content of a stream's trailer together with the header
// fields it is bound to: the provider's signed statement that it sent
// Size bytes in Chunks chunks whose digest (SHA-256 for intl, SM3 for gm)
// is Digest, for this transfer, agreement and pair of parties. It does not
// depend on the ephemeral keys or on how often the stream was resumed, so
// it can be kept as evidence and checked later with Verify.
type Receipt struct {
	Suite       string    `json:"suite"`
	TransferID  string    `json:"transferId"`
	AgreementID string    `json:"agreementId"`
	ProviderDID string    `json:"providerDid"`
	ConsumerDID string    `json:"consumerDid"`
	Chunks      uint64    `json:"chunks"`
	Size        int64     `json:"size"`
	Digest      []byte    `json:"digest"`
	SigAlg      suite.Alg `json:"alg"`
	Signature   []byte    `json:"signature"`
}

// message is what the trailer signature covers:
//
//	"xborder transfer v1 receipt" || 0x00 || suite || sigalg ||
//	lp(transferID) || lp(agreementID) || lp(providerDID) || lp(consumerDID) ||
//	uint64(chunks) || uint64(size) || digest
func (r *Receipt) message() ([]byte, error) {
	s, err := suite.ByName(r.Suite)
	if err != nil {
		return nil, fmt.Errorf("transfer: receipt: %w", err)
	}
	sid, _ := suiteID(s)
	m := append([]byte(labelReceipt), 0, sid, sigID(r.SigAlg))
	m = Binding{TransferID: r.TransferID, AgreementID: r.AgreementID, ProviderDID: r.ProviderDID,
		ConsumerDID: r.ConsumerDID}.appendIDs(m)
	m = binary.BigEndian.AppendUint64(m, r.Chunks)
	m = binary.BigEndian.AppendUint64(m, uint64(r.Size))
	return append(m, r.Digest...), nil
}

// Verify checks the provider's signature on the receipt.
func (r *Receipt) Verify(providerKey crypto.PublicKey) error {
	m, err := r.message()
	if err != nil {
		return err
	}
	if err := suite.Verify(r.SigAlg, providerKey, m, r.Signature); err != nil {
		if errors.Is(err, suite.ErrBadSignature) {
			return fmt.Errorf("transfer: %w", ErrTrailerSignature)
		}
		return fmt.Errorf("transfer: provider key: %w", err)
	}
	return nil
}

func newReceipt(b Binding, alg suite.Alg) *Receipt {
	return &Receipt{Suite: b.Suite.Name(), TransferID: b.TransferID, AgreementID: b.AgreementID,
		ProviderDID: b.ProviderDID, ConsumerDID: b.ConsumerDID, SigAlg: alg}
}

func (r *Receipt) marshalTrailer() []byte {
	b := make([]byte, 0, recordHdrSize+trailerBodySize)
	b = append(b, recTrailer)
	b = binary.BigEndian.AppendUint32(b, trailerBodySize)
	b = binary.BigEndian.AppendUint64(b, r.Chunks)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Size))
	b = append(b, r.Digest...)
	return append(b, r.Signature...)
}

// chunkAAD is the associated data of chunk i:
//
//	lp(transferID) || uint64(i) || final (0x01 for the final chunk, else 0x00)
type chunkAAD []byte

func newChunkAAD(transferID string) chunkAAD {
	return chunkAAD(appendLP(make([]byte, 0, 2+len(transferID)+9), transferID))[:2+len(transferID)+9]
}

func (a chunkAAD) set(index uint64, final bool) []byte {
	n := len(a)
	binary.BigEndian.PutUint64(a[n-9:], index)
	a[n-1] = 0
	if final {
		a[n-1] = 1
	}
	return a
}

// chunkNonce is the 12-byte nonce of chunk i: four zero bytes || uint64(i).
func chunkNonce(n *[nonceSize]byte, index uint64) []byte {
	binary.BigEndian.PutUint64(n[4:], index)
	return n[:]
}

// streamLength is the exact byte length of a stream whose header body is
// hdrBody bytes, for a known size, starting at chunk start.
func streamLength(hdrBody int, chunkSize int, size int64, start uint64) int64 {
	total := int64(preludeSize + recordHdrSize + hdrBody + recordHdrSize + trailerBodySize)
	n := chunkCount(size, chunkSize)
	if start >= n {
		return total
	}
	plain := size - int64(start)*int64(chunkSize)
	return total + plain + int64(n-start)*(recordHdrSize+tagSize)
}

func truncated(where string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("transfer: %w %s", ErrTruncated, where)
	}
	return fmt.Errorf("transfer: %w %s: %w", ErrTruncated, where, err)
}
