package suite

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

// cheap keeps tests fast; production stores use the defaults.
var cheap = KeyStoreOptions{Argon2Time: 1, Argon2MemoryKiB: 64, Argon2Threads: 1}

func openTestStore(t *testing.T, dir string, opts KeyStoreOptions) *KeyStore {
	t.Helper()
	ks, err := OpenKeyStoreWithOptions(dir, []byte("correct horse battery staple"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func rawPrivate(t *testing.T, s Signer) []byte {
	k, err := privateKeyOf(s)
	if err != nil {
		t.Fatal(err)
	}
	switch k := k.(type) {
	case ed25519.PrivateKey:
		return k.Seed()
	case *ecdsa.PrivateKey:
		return k.D.FillBytes(make([]byte, 32))
	case *sm2.PrivateKey:
		return k.D.FillBytes(make([]byte, 32))
	}
	t.Fatalf("unexpected key %T", k)
	return nil
}

func TestKeyStoreLifecycle(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := cheap
	opts.Now = func() time.Time { clock = clock.Add(time.Hour); return clock }
	ks := openTestStore(t, dir, opts)
	var secrets [][]byte
	for _, alg := range allAlgs {
		name := "node-" + string(alg)
		s, err := ks.Generate(name, alg)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, rawPrivate(t, s))
		der, _ := MarshalPrivateKey(alg, s)
		secrets = append(secrets, der)
		if _, err := ks.Generate(name, alg); !errors.Is(err, ErrKeyExists) {
			t.Fatalf("second Generate: %v", err)
		}
		got, err := ks.Signer(name)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := got.Sign([]byte("m"))
		if err := Verify(alg, s.Public(), []byte("m"), sig); err != nil {
			t.Fatalf("stored key differs: %v", err)
		}

		// Rotate twice; every version's public key stays.
		s2, err := ks.Rotate(name)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, rawPrivate(t, s2))
		if _, err := ks.Rotate(name); err != nil {
			t.Fatal(err)
		}
		vs, err := ks.PublicKeys(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 3 || !vs[2].Current || vs[0].Current || vs[1].Current {
			t.Fatalf("versions %+v", vs)
		}
		for i, v := range vs {
			if v.Version != i+1 || v.Alg != alg || v.Created.IsZero() || !v.HasPrivate {
				t.Fatalf("version %d: %+v", i+1, v)
			}
			if (i < 2) == v.Rotated.IsZero() {
				t.Fatalf("version %d rotated %v", i+1, v.Rotated)
			}
		}
		if !vs[0].Rotated.Equal(vs[1].Created) {
			t.Fatalf("v1 rotated %v, v2 created %v", vs[0].Rotated, vs[1].Created)
		}
		if err := Verify(alg, vs[0].Public, []byte("m"), sig); err != nil {
			t.Fatalf("old signature with the kept v1 public key: %v", err)
		}
		cur, _ := ks.Signer(name)
		sig3, _ := cur.Sign([]byte("m"))
		if err := Verify(alg, vs[2].Public, []byte("m"), sig3); err != nil {
			t.Fatalf("current signer is not v3: %v", err)
		}
		old, err := ks.SignerVersion(name, 1)
		if err != nil {
			t.Fatal(err)
		}
		sig1, _ := old.Sign([]byte("m"))
		if err := Verify(alg, vs[0].Public, []byte("m"), sig1); err != nil {
			t.Fatal(err)
		}
		if _, err := ks.SignerVersion(name, 4); !errors.Is(err, ErrKeyNotFound) {
			t.Fatalf("version 4: %v", err)
		}
	}
	names, err := ks.Names()
	if err != nil || strings.Join(names, ",") != "node-ed25519,node-p256,node-sm2" {
		t.Fatalf("Names = %v, %v", names, err)
	}

	// Reopen: same keys; wrong passphrase fails cleanly.
	ks2 := openTestStore(t, dir, KeyStoreOptions{})
	if _, err := ks2.Signer("node-sm2"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyStore(dir, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := OpenKeyStore(dir, nil); err == nil {
		t.Fatal("empty passphrase accepted")
	}

	// Permissions, no temporary files left, no key bytes in the clear.
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		if d.IsDir() {
			if path != dir && info.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v", path, info.Mode().Perm())
			}
			return nil
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", path, info.Mode().Perm())
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", path)
		}
		b, _ := os.ReadFile(path)
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s holds key material in the clear", path)
			}
		}
		if d.Name() != keystoreFile && !strings.HasSuffix(path, ".key") {
			t.Errorf("%s: unexpected file", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A key file copied under another name does not decrypt.
	keys := filepath.Join(dir, keysDir)
	b, _ := os.ReadFile(filepath.Join(keys, "node-p256.key"))
	os.WriteFile(filepath.Join(keys, "copied.key"), b, 0o600)
	if _, err := ks.Signer("copied"); err == nil || errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("swapped file: %v", err)
	}
	// Delete.
	if err := ks.Delete("node-p256"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Signer("node-p256"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	if err := ks.Delete("node-p256"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	for _, bad := range []string{"", "../x", ".hidden", "a/b", strings.Repeat("x", 200), "a b"} {
		if _, err := ks.Generate(bad, Ed25519); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if _, err := ks.Generate("bad-alg", "rsa"); err == nil {
		t.Error("alg rsa accepted")
	}
}

func TestKeyStoreDestroyOnRotate(t *testing.T) {
	opts := cheap
	opts.DestroyOnRotate = true
	ks := openTestStore(t, t.TempDir(), opts)
	s1, err := ks.Generate("k", SM2)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := s1.Sign([]byte("m"))
	if _, err := ks.Rotate("k"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.SignerVersion("k", 1); !errors.Is(err, ErrKeyDestroyed) {
		t.Fatalf("v1 after rotation: %v", err)
	}
	vs, _ := ks.PublicKeys("k")
	if len(vs) != 2 || vs[0].HasPrivate || !vs[1].HasPrivate {
		t.Fatalf("versions %+v", vs)
	}
	if err := Verify(SM2, vs[0].Public, []byte("m"), sig); err != nil {
		t.Fatalf("old public key lost: %v", err)
	}
}

func TestKeyStoreDefaultsAndTamper(t *testing.T) {
	if testing.Short() {
		t.Skip("the default Argon2id cost (64 MiB, 3 passes) is skipped with -short")
	}
	dir := t.TempDir()
	ks, err := OpenKeyStore(dir, []byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Generate("a", Ed25519); err != nil {
		t.Fatal(err)
	}
	hdr, _ := os.ReadFile(filepath.Join(dir, keystoreFile))
	if !bytes.Contains(hdr, []byte(`"memoryKiB": 65536`)) || !bytes.Contains(hdr, []byte(`"argon2id"`)) {
		t.Fatalf("default parameters not recorded:\n%s", hdr)
	}
	p := filepath.Join(dir, keysDir, "a.key")
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 1
	os.WriteFile(p, b, 0o600)
	if _, err := ks.Signer("a"); err == nil {
		t.Fatal("tampered key file loaded")
	}
	os.WriteFile(filepath.Join(dir, keystoreFile), []byte("{"), 0o600)
	if _, err := OpenKeyStore(dir, []byte("pass")); err == nil {
		t.Fatal("corrupt keystore.json accepted")
	}
}

func TestKeyStoreConcurrent(t *testing.T) {
	ks := openTestStore(t, t.TempDir(), cheap)
	if _, err := ks.Generate("k", Ed25519); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if i%2 == 0 {
					if _, err := ks.Rotate("k"); err != nil {
						t.Error(err)
					}
				} else if s, err := ks.Signer("k"); err != nil {
					t.Error(err)
				} else if _, err := s.Sign([]byte("m")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	vs, err := ks.PublicKeys("k")
	if err != nil || len(vs) != 1+4*5 {
		t.Fatalf("%d versions, %v", len(vs), err)
	}
}
