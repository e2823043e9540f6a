package audit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/suite"
	"golang.org/x/mod/sumdb/note"
)

// SM2 checkpoint signatures for the gm suite.
//
// C2SP signed notes assign type bytes to Ed25519, ECDSA and witness
// cosignatures, not to SM2, and reserve 0xff "for signature types without an
// identifier byte … followed by a longer identifier". With the gm suite the
// ledger adds to every checkpoint, beside the Ed25519 signature (which
// witnesses and tlog tooling require), an SM2 signature line:
//
//	key ID    = SHA-256(name ‖ 0x0A ‖ 0xff ‖ "xborder.org/sm2-sm3/v1" ‖ 65-byte uncompressed SM2 public key)[:4]
//	signature = SM2 over SM3(Z ‖ note text), default user ID 1234567812345678
//	            (GB/T 32918.2-2016), encoded r ‖ s (64 bytes)
//
// The verifier key (log.sm2.pub) is "name+<key ID hex>+base64(0xff ‖ id ‖
// public key)", the private key log.sm2.pem a PKCS#8 PEM (GM/T 0010), mode
// 0600. Verifiers that do not know the key ignore the line, as signed-note
// requires.
const (
	sm2NoteID     = "xborder.org/sm2-sm3/v1"
	sm2KeyFile    = "log.sm2.pem"
	sm2PubFile    = "log.sm2.pub"
	sm2NoteTypeFF = 0xff
)

type sm2NoteSigner struct {
	name string
	hash uint32
	s    suite.Signer
}

func (s *sm2NoteSigner) Name() string                    { return s.name }
func (s *sm2NoteSigner) KeyHash() uint32                 { return s.hash }
func (s *sm2NoteSigner) Sign(msg []byte) ([]byte, error) { return s.s.Sign(msg) }

type sm2NoteVerifier struct {
	name string
	hash uint32
	pub  any
}

func (v *sm2NoteVerifier) Name() string    { return v.name }
func (v *sm2NoteVerifier) KeyHash() uint32 { return v.hash }
func (v *sm2NoteVerifier) Verify(msg, sig []byte) bool {
	return suite.Verify(suite.SM2, v.pub, msg, sig) == nil
}

func sm2KeyMaterial(pubUncompressed []byte) []byte {
	return append(append([]byte{sm2NoteTypeFF}, sm2NoteID...), pubUncompressed...)
}

func sm2KeyHash(name string, material []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(material)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// CreateSM2Key creates the gm-suite checkpoint key pair in dir (if absent)
// for the log named origin and returns the verifier key.
func CreateSM2Key(dir, origin string) (string, error) {
	if b, err := os.ReadFile(filepath.Join(dir, sm2PubFile)); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	s, err := suite.Generate(suite.SM2, rand.Reader)
	if err != nil {
		return "", fmt.Errorf("audit: sm2 key: %w", err)
	}
	der, err := suite.MarshalPrivateKey(suite.SM2, s)
	if err != nil {
		return "", fmt.Errorf("audit: sm2 key: %w", err)
	}
	pub, err := suite.MarshalPublicKeyUncompressed(suite.SM2, s.Public())
	if err != nil {
		return "", fmt.Errorf("audit: sm2 key: %w", err)
	}
	mat := sm2KeyMaterial(pub)
	vkey := fmt.Sprintf("%s+%08x+%s", origin, sm2KeyHash(origin, mat), base64.StdEncoding.EncodeToString(mat))
	if err := atomicfile.WriteFile(filepath.Join(dir, sm2KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", fmt.Errorf("audit: sm2 key: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, sm2PubFile), []byte(vkey+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("audit: sm2 key: %w", err)
	}
	return vkey, nil
}

// NewSM2Verifier parses an SM2 checkpoint verifier key.
func NewSM2Verifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 || parts[0] == "" || len(parts[1]) != 8 || strings.ToLower(parts[1]) != parts[1] {
		return nil, errors.New("audit: malformed SM2 verifier key")
	}
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return nil, errors.New("audit: malformed SM2 verifier key hash")
	}
	mat, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(mat) != 1+len(sm2NoteID)+65 || mat[0] != sm2NoteTypeFF || string(mat[1:1+len(sm2NoteID)]) != sm2NoteID {
		return nil, errors.New("audit: not an " + sm2NoteID + " verifier key")
	}
	if sm2KeyHash(parts[0], mat) != uint32(h) {
		return nil, errors.New("audit: SM2 verifier key hash does not match the key")
	}
	pub, err := suite.ParsePublicKey(suite.SM2, mat[1+len(sm2NoteID):])
	if err != nil {
		return nil, fmt.Errorf("audit: SM2 verifier key: %w", err)
	}
	return &sm2NoteVerifier{name: parts[0], hash: uint32(h), pub: pub}, nil
}

// loadSM2Signer returns the gm-suite checkpoint signer of dir, or nil when
// the ledger has none.
func loadSM2Signer(dir string) (note.Signer, error) {
	pb, err := os.ReadFile(filepath.Join(dir, sm2PubFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	v, err := NewSM2Verifier(strings.TrimSpace(string(pb)))
	if err != nil {
		return nil, err
	}
	kb, err := os.ReadFile(filepath.Join(dir, sm2KeyFile))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	blk, _ := pem.Decode(kb)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit: %s: not a PKCS#8 PEM private key", sm2KeyFile)
	}
	priv, err := suite.ParsePrivateKey(suite.SM2, blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", sm2KeyFile, err)
	}
	s, err := suite.NewSigner(priv)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", sm2KeyFile, err)
	}
	ns := &sm2NoteSigner{name: v.Name(), hash: v.KeyHash(), s: s}
	// The pair must match: sign and verify a probe.
	probe := []byte("xborder audit sm2 key check\n")
	sig, err := ns.Sign(probe)
	if err != nil || !v.Verify(probe, sig) {
		return nil, &VerifyError{Entry: -1, What: "key", File: sm2KeyFile, Err: errors.New("the SM2 private key is not the pair of " + sm2PubFile)}
	}
	return ns, nil
}

// checkSM2Checkpoint verifies the gm-suite signature on a checkpoint when
// the ledger has an SM2 key.
func checkSM2Checkpoint(dir string, raw []byte) error {
	pb, err := os.ReadFile(filepath.Join(dir, sm2PubFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &VerifyError{Entry: -1, What: "key", File: sm2PubFile, Err: err}
	}
	vkey, ok := strings.CutSuffix(string(pb), "\n")
	if !ok {
		return &VerifyError{Entry: -1, What: "key", File: sm2PubFile, Err: errors.New("not one key line")}
	}
	v, err := NewSM2Verifier(vkey)
	if err != nil {
		return &VerifyError{Entry: -1, What: "key", File: sm2PubFile, Err: err}
	}
	if _, err := note.Open(raw, note.VerifierList(v)); err != nil {
		return &VerifyError{Entry: -1, What: "checkpoint", File: filepath.Join(logDir, "checkpoint"), Err: fmt.Errorf("SM2 signature: %w", err)}
	}
	if _, err := os.Stat(filepath.Join(dir, sm2KeyFile)); err == nil {
		if _, err := loadSM2Signer(dir); err != nil {
			var ve *VerifyError
			if errors.As(err, &ve) {
				return ve
			}
			return &VerifyError{Entry: -1, What: "key", File: sm2KeyFile, Err: err}
		}
	}
	return nil
}
