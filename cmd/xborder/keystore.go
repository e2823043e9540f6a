package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// keyStoreRef is the prefix of a --key value naming a key in the data
// directory's encrypted key store instead of a PEM file: "store:issuer".
const keyStoreRef = "store:"

// passphraseEnv holds the key store passphrase. It is read from the
// environment only, never from a flag (flags show in process listings and
// shell history).
const passphraseEnv = "XBORDER_KEY_PASSPHRASE"

// openKeyStore opens (creating on first use) the encrypted key store in the
// data directory ($XBORDER_DATA_DIR or ~/.xborder).
func (e *env) openKeyStore() (*suite.KeyStore, error) {
	pass := e.getenv(passphraseEnv)
	if pass == "" {
		return nil, badInput(errors.New("the key store needs a passphrase"), "set "+passphraseEnv+" in the environment")
	}
	dir := filepath.Join(dataDir(e, ""), "keystore")
	ks, err := suite.OpenKeyStore(dir, []byte(pass))
	if errors.Is(err, suite.ErrWrongPassphrase) {
		return nil, badInput(err, "check "+passphraseEnv)
	}
	if err != nil {
		return nil, failure(err)
	}
	return ks, nil
}

// signer loads the signing key ref: "store:NAME" for the current version of
// a key in the encrypted key store, anything else a PKCS#8 PEM file.
func (e *env) signer(ref string) (suite.Signer, error) {
	name, ok := strings.CutPrefix(ref, keyStoreRef)
	if !ok {
		return loadSigner(ref)
	}
	ks, err := e.openKeyStore()
	if err != nil {
		return nil, err
	}
	s, err := ks.Signer(name)
	if errors.Is(err, suite.ErrKeyNotFound) {
		return nil, badInput(err, "list the stored keys with: xborder key list")
	}
	if err != nil {
		return nil, failure(err)
	}
	return s, nil
}

// keyVersionInfo describes one version of a stored key.
type keyVersionInfo struct {
	Version    int    `json:"version"`
	DID        string `json:"did"`
	Current    bool   `json:"current,omitempty"`
	HasPrivate bool   `json:"hasPrivateKey"`
	Created    string `json:"created"`
	Rotated    string `json:"rotated,omitempty"`
}

type storedKeyInfo struct {
	Name     string           `json:"name"`
	Alg      string           `json:"alg"`
	Versions []keyVersionInfo `json:"versions"`
}

func describeStoredKey(ks *suite.KeyStore, name string) (storedKeyInfo, error) {
	vs, err := ks.PublicKeys(name)
	if err != nil {
		return storedKeyInfo{}, err
	}
	info := storedKeyInfo{Name: name}
	for _, v := range vs {
		k, err := identity.NewKeyDID(v.Alg, v.Public)
		if err != nil {
			return storedKeyInfo{}, err
		}
		info.Alg = string(v.Alg)
		vi := keyVersionInfo{Version: v.Version, DID: k.DID, Current: v.Current, HasPrivate: v.HasPrivate, Created: v.Created.UTC().Format(time.RFC3339)}
		if !v.Rotated.IsZero() {
			vi.Rotated = v.Rotated.UTC().Format(time.RFC3339)
		}
		info.Versions = append(info.Versions, vi)
	}
	return info, nil
}

func newKeyListCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the keys of the encrypted key store with every version's did:key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := e.openKeyStore()
			if err != nil {
				return err
			}
			names, err := ks.Names()
			if err != nil {
				return failure(err)
			}
			out := []storedKeyInfo{}
			for _, n := range names {
				info, err := describeStoredKey(ks, n)
				if err != nil {
					return failure(err)
				}
				out = append(out, info)
			}
			return printJSON(e, out)
		},
	}
}

func newKeyRotateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate NAME",
		Short: "Give a stored key a new version; older public keys stay for verification",
		Long: `rotate makes a new current version of the stored key NAME (same algorithm).
Signing uses the new version from then on; the public keys of older versions stay
listed (xborder key list) so that what they signed still verifies. Publish the new
verification method (for did:web, in the DID document) before signing with it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := e.openKeyStore()
			if err != nil {
				return err
			}
			if _, err := ks.Rotate(args[0]); err != nil {
				if errors.Is(err, suite.ErrKeyNotFound) {
					return badInput(err, "list the stored keys with: xborder key list")
				}
				return failure(err)
			}
			info, err := describeStoredKey(ks, args[0])
			if err != nil {
				return failure(err)
			}
			return printJSON(e, info)
		},
	}
}

// generateStored makes a new key in the store and prints its information.
func generateStored(e *env, name string, alg suite.Alg) error {
	ks, err := e.openKeyStore()
	if err != nil {
		return err
	}
	s, err := ks.Generate(name, alg)
	if errors.Is(err, suite.ErrKeyExists) {
		return badInput(err, "choose another name, or rotate it: xborder key rotate "+name)
	}
	if err != nil {
		return badInput(fmt.Errorf("--store %q: %w", name, err), "names are letters, digits, '-', '_' and '.'")
	}
	return printKeyInfo(e, s.Alg(), s.Public())
}
