package suite

import (
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/xborder/xborder/internal/atomicfile"
)

// Errors of the key store, returned wrapped.
var (
	ErrWrongPassphrase = errors.New("wrong passphrase for the key store")
	ErrKeyNotFound     = errors.New("no such key")
	ErrKeyExists       = errors.New("key already exists")
	ErrKeyDestroyed    = errors.New("private key of this version was destroyed at rotation")
)

const (
	keystoreFile    = "keystore.json"
	keysDir         = "keys"
	keyFileExt      = ".key"
	keystoreVersion = 1
	keystoreAAD     = "xborder keystore v1\x00"
	checkPlaintext  = "xborder keystore passphrase check"
)

// KeyStoreOptions tune OpenKeyStoreWithOptions. The zero value is the
// default of OpenKeyStore.
type KeyStoreOptions struct {
	// Argon2id cost for a new store (RFC 9106 §4 second recommendation by
	// default: 3 passes, 64 MiB, 4 lanes). An existing store keeps the cost
	// it was created with.
	Argon2Time, Argon2MemoryKiB uint32
	Argon2Threads               uint8
	// DestroyOnRotate makes Rotate erase the private keys of every
	// replaced version; their public keys stay for verification. By default old
	// private keys are kept (encrypted) and reachable with SignerVersion.
	DestroyOnRotate bool
	// Now is the clock for created/rotated dates; time.Now when nil.
	Now func() time.Time
}

// KeyStore keeps named signing keys, each a list of versions, in files
// under a directory, encrypted under a key derived from a passphrase. It is
// safe for concurrent use by one process; two processes must not write the
// same store at once.
type KeyStore struct {
	dir     string
	aead    AEAD
	destroy bool
	now     func() time.Time
	mu      sync.RWMutex
}

// KeyVersion is one version of a named key, as PublicKeys lists it.
type KeyVersion struct {
	Version int
	Alg     Alg
	Public  crypto.PublicKey
	Created time.Time
	// Rotated is when a newer version replaced this one; zero for the
	// current version.
	Rotated time.Time
	Current bool
	// HasPrivate is false once the private key was destroyed at rotation.
	HasPrivate bool
}

type storeHeader struct {
	Version int    `json:"version"`
	KDF     string `json:"kdf"`
	Salt    []byte `json:"salt"`
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memoryKiB"`
	Threads uint8  `json:"threads"`
	AEAD    string `json:"aead"`
	Check   []byte `json:"check"`
}

type keyFile struct {
	Name     string       `json:"name"`
	Alg      Alg          `json:"alg"`
	Current  int          `json:"current"`
	Versions []keyVersion `json:"versions"`
}

type keyVersion struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Rotated time.Time `json:"rotated,omitzero"`
	Public  []byte    `json:"public"`
	Private []byte    `json:"pkcs8,omitempty"`
}

// OpenKeyStore opens the key store in dir, creating it (directory 0700)
// when dir holds none. The passphrase comes from the caller — the CLI reads
// it from XBORDER_KEY_PASSPHRASE or a terminal prompt — and must not be
// empty. A wrong passphrase is an error wrapping ErrWrongPassphrase.
func OpenKeyStore(dir string, passphrase []byte) (*KeyStore, error) {
	return OpenKeyStoreWithOptions(dir, passphrase, KeyStoreOptions{})
}

// OpenKeyStoreWithOptions is OpenKeyStore with options.
func OpenKeyStoreWithOptions(dir string, passphrase []byte, opts KeyStoreOptions) (*KeyStore, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("opening the key store: empty passphrase")
	}
	if err := os.MkdirAll(filepath.Join(dir, keysDir), 0o700); err != nil {
		return nil, fmt.Errorf("opening the key store: %w", err)
	}
	ks := &KeyStore{dir: dir, destroy: opts.DestroyOnRotate, now: opts.Now}
	if ks.now == nil {
		ks.now = time.Now
	}
	hdrPath := filepath.Join(dir, keystoreFile)
	raw, err := os.ReadFile(hdrPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hdr := storeHeader{
			Version: keystoreVersion, KDF: "argon2id", Salt: make([]byte, 16),
			Time: opts.Argon2Time, Memory: opts.Argon2MemoryKiB, Threads: opts.Argon2Threads,
			AEAD: "aes-256-gcm",
		}
		if hdr.Time == 0 {
			hdr.Time = 3
		}
		if hdr.Memory == 0 {
			hdr.Memory = 64 * 1024
		}
		if hdr.Threads == 0 {
			hdr.Threads = 4
		}
		rand.Read(hdr.Salt)
		if ks.aead, err = deriveStoreKey(passphrase, hdr); err != nil {
			return nil, fmt.Errorf("creating the key store: %w", err)
		}
		hdr.Check = ks.seal([]byte(checkPlaintext), keystoreFile)
		b, err := json.MarshalIndent(hdr, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("creating the key store: %w", err)
		}
		if err := atomicfile.WriteFile(hdrPath, append(b, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("creating the key store: %w", err)
		}
		return ks, nil
	case err != nil:
		return nil, fmt.Errorf("opening the key store: %w", err)
	}
	var hdr storeHeader
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return nil, fmt.Errorf("opening the key store: %s: %w", hdrPath, err)
	}
	if hdr.Version != keystoreVersion || hdr.KDF != "argon2id" || hdr.AEAD != "aes-256-gcm" {
		return nil, fmt.Errorf("opening the key store: %s: version %d with %s/%s; this build reads version %d with argon2id/aes-256-gcm",
			hdrPath, hdr.Version, hdr.KDF, hdr.AEAD, keystoreVersion)
	}
	if len(hdr.Salt) < 16 || hdr.Time == 0 || hdr.Memory < 8*uint32(max(hdr.Threads, 1)) || hdr.Threads == 0 || hdr.Memory > 4<<20 || hdr.Time > 100 {
		return nil, fmt.Errorf("opening the key store: %s: implausible KDF parameters", hdrPath)
	}
	if ks.aead, err = deriveStoreKey(passphrase, hdr); err != nil {
		return nil, fmt.Errorf("opening the key store: %w", err)
	}
	check, err := ks.open(hdr.Check, keystoreFile)
	if err != nil || subtle.ConstantTimeCompare(check, []byte(checkPlaintext)) != 1 {
		return nil, fmt.Errorf("opening the key store in %s: %w", dir, ErrWrongPassphrase)
	}
	return ks, nil
}

func deriveStoreKey(passphrase []byte, hdr storeHeader) (AEAD, error) {
	key := argon2.IDKey(passphrase, hdr.Salt, hdr.Time, hdr.Memory, hdr.Threads, 32)
	defer clear(key)
	return NewAES256GCM(key)
}

// seal encrypts a file's content, binding it to the file's path within the
// store so files cannot be swapped for one another: nonce || AES-256-GCM.
func (ks *KeyStore) seal(plaintext []byte, rel string) []byte {
	nonce := make([]byte, ks.aead.NonceSize(), ks.aead.NonceSize()+len(plaintext)+ks.aead.Overhead())
	rand.Read(nonce)
	return ks.aead.Seal(nonce, nonce, plaintext, []byte(keystoreAAD+rel))
}

func (ks *KeyStore) open(ct []byte, rel string) ([]byte, error) {
	n := ks.aead.NonceSize()
	if len(ct) < n+ks.aead.Overhead() {
		return nil, errors.New("truncated")
	}
	return ks.aead.Open(nil, ct[:n], ct[n:], []byte(keystoreAAD+rel))
}

var keyNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func checkName(name string) error {
	if !keyNameRE.MatchString(name) {
		return fmt.Errorf("key name %q: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

func keyRel(name string) string { return keysDir + "/" + name + keyFileExt }

func (ks *KeyStore) load(name string) (*keyFile, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	rel := keyRel(name)
	ct, err := os.ReadFile(filepath.Join(ks.dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key %q: %w", name, ErrKeyNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading key %q: %w", name, err)
	}
	pt, err := ks.open(ct, rel)
	if err != nil {
		return nil, fmt.Errorf("reading key %q: the file does not decrypt (modified, or moved from another name or store)", name)
	}
	defer clear(pt)
	var kf keyFile
	if err := json.Unmarshal(pt, &kf); err != nil {
		return nil, fmt.Errorf("reading key %q: %w", name, err)
	}
	if kf.Name != name || len(kf.Versions) == 0 || kf.Current < 1 || kf.Current > len(kf.Versions) {
		return nil, fmt.Errorf("reading key %q: inconsistent key file", name)
	}
	return &kf, nil
}

func (ks *KeyStore) store(kf *keyFile) error {
	b, err := json.Marshal(kf)
	if err != nil {
		return fmt.Errorf("writing key %q: %w", kf.Name, err)
	}
	defer clear(b)
	rel := keyRel(kf.Name)
	if err := atomicfile.WriteFile(filepath.Join(ks.dir, filepath.FromSlash(rel)), ks.seal(b, rel), 0o600); err != nil {
		return fmt.Errorf("writing key %q: %w", kf.Name, err)
	}
	return nil
}

func (ks *KeyStore) newVersion(alg Alg, version int) (Signer, keyVersion, error) {
	s, err := Generate(alg, nil)
	if err != nil {
		return nil, keyVersion{}, err
	}
	pub, err := MarshalPublicKey(alg, s.Public())
	if err != nil {
		return nil, keyVersion{}, err
	}
	der, err := MarshalPrivateKey(alg, s)
	if err != nil {
		return nil, keyVersion{}, err
	}
	return s, keyVersion{Version: version, Created: ks.now().UTC(), Public: pub, Private: der}, nil
}

// Generate makes version 1 of a new key named name. The name must be new.
func (ks *KeyStore) Generate(name string, alg Alg) (Signer, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if _, err := ks.load(name); err == nil {
		return nil, fmt.Errorf("generating key %q: %w", name, ErrKeyExists)
	} else if !errors.Is(err, ErrKeyNotFound) {
		return nil, fmt.Errorf("generating key %q: %w", name, err)
	}
	s, v, err := ks.newVersion(alg, 1)
	if err != nil {
		return nil, fmt.Errorf("generating key %q: %w", name, err)
	}
	if err := ks.store(&keyFile{Name: name, Alg: alg, Current: 1, Versions: []keyVersion{v}}); err != nil {
		return nil, err
	}
	return s, nil
}

// Signer returns a signer with the current version of key name.
func (ks *KeyStore) Signer(name string) (Signer, error) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	kf, err := ks.load(name)
	if err != nil {
		return nil, err
	}
	return kf.signer(kf.Current)
}

// SignerVersion returns a signer with one version of key name; versions
// count from 1. A version whose private key was destroyed is an error
// wrapping ErrKeyDestroyed.
func (ks *KeyStore) SignerVersion(name string, version int) (Signer, error) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	kf, err := ks.load(name)
	if err != nil {
		return nil, err
	}
	return kf.signer(version)
}

func (kf *keyFile) signer(version int) (Signer, error) {
	if version < 1 || version > len(kf.Versions) {
		return nil, fmt.Errorf("key %q version %d: %w", kf.Name, version, ErrKeyNotFound)
	}
	v := kf.Versions[version-1]
	if len(v.Private) == 0 {
		return nil, fmt.Errorf("key %q version %d: %w", kf.Name, version, ErrKeyDestroyed)
	}
	priv, err := ParsePrivateKey(kf.Alg, v.Private)
	if err != nil {
		return nil, fmt.Errorf("key %q version %d: %w", kf.Name, version, err)
	}
	s, err := NewSigner(priv)
	if err != nil {
		return nil, fmt.Errorf("key %q version %d: %w", kf.Name, version, err)
	}
	return s, nil
}

// Rotate makes a new version of key name, of the same algorithm, and makes
// it current. The replaced version keeps its public key (PublicKeys lists
// it, with its rotation date); its private key is kept unless the store
// was opened with DestroyOnRotate.
func (ks *KeyStore) Rotate(name string) (Signer, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	kf, err := ks.load(name)
	if err != nil {
		return nil, fmt.Errorf("rotating: %w", err)
	}
	s, v, err := ks.newVersion(kf.Alg, len(kf.Versions)+1)
	if err != nil {
		return nil, fmt.Errorf("rotating key %q: %w", name, err)
	}
	old := &kf.Versions[kf.Current-1]
	old.Rotated = v.Created
	if ks.destroy {
		for i := range kf.Versions {
			clear(kf.Versions[i].Private)
			kf.Versions[i].Private = nil
		}
	}
	kf.Versions = append(kf.Versions, v)
	kf.Current = v.Version
	if err := ks.store(kf); err != nil {
		return nil, fmt.Errorf("rotating: %w", err)
	}
	return s, nil
}

// PublicKeys lists every version of key name, oldest first.
func (ks *KeyStore) PublicKeys(name string) ([]KeyVersion, error) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	kf, err := ks.load(name)
	if err != nil {
		return nil, err
	}
	out := make([]KeyVersion, 0, len(kf.Versions))
	for _, v := range kf.Versions {
		pub, err := ParsePublicKey(kf.Alg, v.Public)
		if err != nil {
			return nil, fmt.Errorf("key %q version %d: %w", name, v.Version, err)
		}
		out = append(out, KeyVersion{
			Version: v.Version, Alg: kf.Alg, Public: pub, Created: v.Created, Rotated: v.Rotated,
			Current: v.Version == kf.Current, HasPrivate: len(v.Private) > 0,
		})
	}
	return out, nil
}

// Names lists the keys in the store, sorted.
func (ks *KeyStore) Names() ([]string, error) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	ents, err := os.ReadDir(filepath.Join(ks.dir, keysDir))
	if err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	var names []string
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), keyFileExt)
		if ok && e.Type().IsRegular() && checkName(n) == nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Delete removes key name, every version. Copies in backups are not
// touched.
func (ks *KeyStore) Delete(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("deleting key: %w", err)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	err := os.Remove(filepath.Join(ks.dir, filepath.FromSlash(keyRel(name))))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting key %q: %w", name, ErrKeyNotFound)
	}
	if err != nil {
		return fmt.Errorf("deleting key %q: %w", name, err)
	}
	return nil
}
