package witness

import (
	"errors"
	"fmt"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Errors from [VerifyCosignatures], each wrapped with the detail.
var (
	// ErrLogSignature: the checkpoint does not carry a valid signature by
	// the log key.
	ErrLogSignature = errors.New("log signature missing or invalid")
	// ErrCosignature: a listed witness's cosignature does not verify.
	ErrCosignature = errors.New("invalid witness cosignature")
	// ErrTooFewCosignatures: fewer than k listed witnesses cosigned.
	ErrTooFewCosignatures = errors.New("too few witness cosignatures")
	// ErrMalformedCheckpoint: the input is not a signed checkpoint.
	ErrMalformedCheckpoint = errors.New("malformed checkpoint")
)

// Cosignature is a verified witness cosignature.
type Cosignature struct {
	Name    string    // witness (key) name
	KeyHash uint32    // cosignature/v1 key ID
	Time    time.Time // when the witness cosigned (POSIX seconds)
}

// VerifyCosignatures checks that checkpoint is a signed note carrying a
// valid signature from logVerifier and at least k valid cosignatures from
// distinct witnesses among witnesses (cosignature/v1 verifiers, e.g. from
// NewVerifierForCosignatureV1 or [Policy.Verifiers]). Signatures from
// unlisted keys are ignored; an invalid signature from a listed key fails
// the whole checkpoint. It returns the valid cosignatures in note order.
func VerifyCosignatures(checkpoint []byte, logVerifier note.Verifier, witnesses []note.Verifier, k int) ([]Cosignature, error) {
	if logVerifier == nil {
		return nil, errors.New("witness: no log verifier")
	}
	type id struct {
		name string
		hash uint32
	}
	logID := id{logVerifier.Name(), logVerifier.KeyHash()}
	isWitness := map[id]bool{}
	all := []note.Verifier{logVerifier}
	for _, v := range witnesses {
		wid := id{v.Name(), v.KeyHash()}
		if wid == logID {
			return nil, fmt.Errorf("witness: witness key %s is the log key", v.Name())
		}
		if !isWitness[wid] {
			isWitness[wid] = true
			all = append(all, v)
		}
	}
	if k < 0 || k > len(isWitness) {
		return nil, fmt.Errorf("witness: threshold %d with %d distinct witness keys", k, len(isWitness))
	}
	n, err := note.Open(checkpoint, note.VerifierList(all...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("witness: %w: no signature by %s", ErrLogSignature, logVerifier.Name())
		case errors.As(err, &invalid) && (id{invalid.Name, invalid.Hash}) == logID:
			return nil, fmt.Errorf("witness: %w: signature by %s does not verify", ErrLogSignature, logVerifier.Name())
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("witness: %w: cosignature by %s does not verify", ErrCosignature, invalid.Name)
		default:
			return nil, fmt.Errorf("witness: %w: %v", ErrMalformedCheckpoint, err)
		}
	}
	logSigned := false
	var cosigs []Cosignature
	for _, s := range n.Sigs {
		sid := id{s.Name, s.Hash}
		if sid == logID {
			logSigned = true
			continue
		}
		t, err := fnote.CoSigV1Timestamp(s)
		if err != nil {
			return nil, fmt.Errorf("witness: %w: cosignature by %s: %v", ErrCosignature, s.Name, err)
		}
		cosigs = append(cosigs, Cosignature{Name: s.Name, KeyHash: s.Hash, Time: t.UTC()})
	}
	if !logSigned {
		return nil, fmt.Errorf("witness: %w: no signature by %s", ErrLogSignature, logVerifier.Name())
	}
	if _, err := parseCheckpointText(n.Text); err != nil {
		return nil, fmt.Errorf("witness: %w: %v", ErrMalformedCheckpoint, err)
	}
	if len(cosigs) < k {
		names := make([]string, len(cosigs))
		for i, c := range cosigs {
			names[i] = c.Name
		}
		return cosigs, fmt.Errorf("witness: %w: %d valid (%s), need %d", ErrTooFewCosignatures, len(cosigs), strings.Join(names, ", "), k)
	}
	return cosigs, nil
}
