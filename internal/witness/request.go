package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
)

// Protocol limits.
const (
	// MaxRequestBytes bounds an add-checkpoint body.
	MaxRequestBytes = 64 << 10
	// MaxProofLines is the most consistency-proof lines tlog-witness allows.
	MaxProofLines = 63
	hashSize      = 32 // SHA-256, RFC 6962
)

// Request is an add-checkpoint request: the size of the checkpoint the client
// believes the witness last cosigned, a consistency proof from that size to
// the checkpoint's, and the signed checkpoint.
type Request struct {
	OldSize    uint64
	Proof      [][]byte // RFC 6962 consistency proof, 32-byte hashes
	Checkpoint []byte   // signed note
}

// Marshal encodes r as an add-checkpoint body.
func (r *Request) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.OldSize)
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseRequest parses an add-checkpoint body. It checks the syntax only: an
// "old <size>" line (decimal, no leading zeros), at most [MaxProofLines]
// lines of base64 32-byte hashes, an empty line, and a non-empty rest, the
// checkpoint (checked by [Witness.AddCheckpoint]). Errors are *[Error] with
// status 400.
func ParseRequest(body []byte) (*Request, error) {
	if len(body) > MaxRequestBytes {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body over %d bytes", MaxRequestBytes)}
	}
	line, rest, ok := bytes.Cut(body, []byte{'\n'})
	if !ok {
		return nil, malformed("missing old size line")
	}
	num, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return nil, malformed(`first line must be "old <size>"`)
	}
	old, err := parseDecimal(num)
	if err != nil {
		return nil, malformed("old size: " + err.Error())
	}
	r := &Request{OldSize: old}
	for {
		line, rest, ok = bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return nil, malformed("missing empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofLines {
			return nil, malformed(fmt.Sprintf("more than %d consistency proof lines", MaxProofLines))
		}
		h, err := decodeHash(line)
		if err != nil {
			return nil, malformed(fmt.Sprintf("consistency proof line %d is not a base64 32-byte hash", len(r.Proof)+1))
		}
		r.Proof = append(r.Proof, h)
	}
	if len(rest) == 0 {
		return nil, malformed("missing checkpoint")
	}
	r.Checkpoint = rest
	return r, nil
}

// parseDecimal parses an ASCII decimal uint64 with no sign and no leading
// zeros (except "0" itself).
func parseDecimal(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 20 || (b[0] == '0' && len(b) > 1) {
		return 0, fmt.Errorf("%q is not a canonical decimal", b)
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a canonical decimal", b)
		}
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", b)
	}
	return n, nil
}

// checkpoint is the parsed body of a c2sp.org/tlog-checkpoint.
type checkpoint struct {
	Origin string
	Size   uint64
	Hash   []byte
}

// parseCheckpointText parses a note text: origin, size and base64 root hash
// lines, then optional extension lines. It is stricter than formats/log
// (canonical decimal, 32-byte hash).
func parseCheckpointText(text string) (checkpoint, error) {
	var cp checkpoint
	b := []byte(text)
	origin, b, ok := bytes.Cut(b, []byte{'\n'})
	if !ok || len(origin) == 0 {
		return cp, fmt.Errorf("checkpoint: missing origin line")
	}
	size, b, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return cp, fmt.Errorf("checkpoint: missing size line")
	}
	n, err := parseDecimal(size)
	if err != nil {
		return cp, fmt.Errorf("checkpoint: size: %v", err)
	}
	hash, _, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return cp, fmt.Errorf("checkpoint: missing root hash line")
	}
	h, err := decodeHash(hash)
	if err != nil {
		return cp, fmt.Errorf("checkpoint: root hash is not a base64 32-byte hash")
	}
	return checkpoint{Origin: string(origin), Size: n, Hash: h}, nil
}

var strictBase64 = base64.StdEncoding.Strict()

// decodeHash decodes the canonical padded base64 of a 32-byte hash.
func decodeHash(b []byte) ([]byte, error) {
	if len(b) != base64.StdEncoding.EncodedLen(hashSize) {
		return nil, fmt.Errorf("not a base64 32-byte hash")
	}
	h := make([]byte, strictBase64.DecodedLen(len(b)))
	n, err := strictBase64.Decode(h, b)
	if err != nil || n != hashSize {
		return nil, fmt.Errorf("not a base64 32-byte hash")
	}
	return h[:n], nil
}
