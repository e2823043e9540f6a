package witness

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Signature type bytes (c2sp.org/signed-note).
const (
	algEd25519       = 0x01
	algCosignatureV1 = 0x04
)

// GenerateKey makes a witness key named name (a schema-less URL such as
// "witness.partner.example/w1"), reading 32 bytes of seed from rand.
// skey is the private key in signed-note form ("PRIVATE+KEY+name+hash+…");
// vkey is the verifier key in cosignature/v1 form (signature type 0x04),
// which is what logs (tessera.NewWitness) and auditors configure.
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	skey, plain, err := note.GenerateKey(rand, name)
	if err != nil {
		return "", "", fmt.Errorf("witness: generating a key: %w", err)
	}
	vkey, err = fnote.VKeyToCosignatureV1(plain)
	if err != nil {
		return "", "", fmt.Errorf("witness: generating a key: %w", err)
	}
	return skey, vkey, nil
}

// Cosigner holds a witness's Ed25519 private key and produces
// c2sp.org/tlog-cosignature v1 signatures. It is a [note.Signer] whose Sign
// stamps the current time; the [Witness] signs with its own clock.
type Cosigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// NewCosigner parses a private key made by [GenerateKey] (or note.GenerateKey).
func NewCosigner(skey string) (*Cosigner, error) {
	errBad := errors.New("witness: malformed private key")
	f := strings.SplitN(skey, "+", 5)
	if len(f) != 5 || f[0] != "PRIVATE" || f[1] != "KEY" || !validName(f[2]) || len(f[3]) != 8 {
		return nil, errBad
	}
	key, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(key) != 1+ed25519.SeedSize {
		return nil, errBad
	}
	if key[0] != algEd25519 {
		return nil, fmt.Errorf("witness: private key has signature type %#x, want Ed25519 (0x01)", key[0])
	}
	priv := ed25519.NewKeyFromSeed(key[1:])
	pub := priv.Public().(ed25519.PublicKey)
	// The key hash in the file is the plain Ed25519 one; check it so a
	// corrupted name or key is noticed.
	if h, err := strconv.ParseUint(f[3], 16, 32); err != nil || uint32(h) != keyHash(f[2], algEd25519, pub) {
		return nil, errBad
	}
	return &Cosigner{name: f[2], hash: keyHash(f[2], algCosignatureV1, pub), priv: priv, pub: pub}, nil
}

func keyHash(name string, alg byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func validName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// Name returns the witness name (the key name).
func (c *Cosigner) Name() string { return c.name }

// KeyHash returns the cosignature/v1 key ID.
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// Sign returns timestamp ‖ Ed25519 signature over the cosignature/v1
// message for the note text msg, stamped with time.Now.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) { return c.signAt(time.Now().Unix(), msg) }

// signAt signs msg (a note text) as of the POSIX time t.
func (c *Cosigner) signAt(t int64, msg []byte) ([]byte, error) {
	if t < 0 {
		return nil, fmt.Errorf("witness: cannot cosign with a time before 1970 (%d)", t)
	}
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		return nil, errors.New("witness: note text must end in a newline")
	}
	m := make([]byte, 0, 48+len(msg))
	m = append(m, "cosignature/v1\ntime "...)
	m = strconv.AppendInt(m, t, 10)
	m = append(m, '\n')
	m = append(m, msg...)
	sig := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(sig, uint64(t))
	return append(sig, ed25519.Sign(c.priv, m)...), nil
}

// sigLine returns the note signature line "— name base64(keyID ‖ sig)\n"
// cosigning the note text msg as of time t.
func (c *Cosigner) sigLine(t int64, msg []byte) ([]byte, error) {
	sig, err := c.signAt(t, msg)
	if err != nil {
		return nil, err
	}
	raw := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(sig)), c.hash)
	raw = append(raw, sig...)
	line := make([]byte, 0, len("— ")+len(c.name)+1+base64.StdEncoding.EncodedLen(len(raw))+1)
	line = append(line, "— "...)
	line = append(line, c.name...)
	line = append(line, ' ')
	line = base64.StdEncoding.AppendEncode(line, raw)
	return append(line, '\n'), nil
}

// VerifierKey returns the cosignature/v1 verifier key
// ("name+keyID+base64(0x04 ‖ public key)") to give to logs and auditors.
func (c *Cosigner) VerifierKey() string {
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, c.pub...)))
}

// Verifier returns a verifier for this key's cosignatures.
func (c *Cosigner) Verifier() note.Verifier {
	v, err := fnote.NewVerifierForCosignatureV1(c.VerifierKey())
	if err != nil {
		panic(err) // the key was validated by NewCosigner
	}
	return v
}

var _ note.Signer = (*Cosigner)(nil)

// WriteKeyFile writes skey to path with mode 0600, refusing to overwrite an
// existing file. The data is synced before WriteKeyFile returns.
func WriteKeyFile(path, skey string) error {
	if _, err := NewCosigner(skey); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("witness: writing the key: %w", err)
	}
	_, err = f.WriteString(skey + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("witness: writing the key %s: %w", path, err)
	}
	syncDir(path)
	return nil
}

// LoadKeyFile reads a private key written by [WriteKeyFile]. It refuses a
// file that group or others may read or write.
func LoadKeyFile(path string) (*Cosigner, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return nil, fmt.Errorf("witness: key file %s has mode %#o; it must not be accessible to group or others (chmod 600)", path, m)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	c, err := NewCosigner(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}
