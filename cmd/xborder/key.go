package main

import (
	"crypto"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
)

// maxKeyFileBytes bounds a key file; a PEM PKCS#8 key is a few hundred bytes.
const maxKeyFileBytes = 64 << 10

func newKeyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Generate and inspect signing keys (Ed25519, ECDSA P-256, SM2)",
	}
	var alg, out, store string
	var force bool
	gen := &cobra.Command{
		Use:   "generate --alg ed25519|p256|sm2 (--out FILE | --store NAME)",
		Short: "Generate a signing key into a PKCS#8 PEM file (mode 0600) or the encrypted key store",
		Long: `generate writes a new private key as PKCS#8 PEM, readable only by its owner, and
prints its public key (multibase) and its did:key as JSON. SM2 keys use the
sm2p256v1 OID, as OpenSSL 3, GmSSL and Tongsuo write them; their did:key uses the
draft sm2-pub multicodec, which other implementations may not accept yet.

With --store NAME the key goes into the data directory's key store instead,
encrypted at rest under a key derived (Argon2id) from $XBORDER_KEY_PASSPHRASE;
other commands then take --key store:NAME. Stored keys can be rotated (xborder
key rotate) and keep their old public keys for verification. See docs/identity.md
for the threat model.`,
		Example: `  xborder key generate --alg ed25519 --out issuer.pem
  xborder key generate --alg sm2 --out issuer-gm.pem
  XBORDER_KEY_PASSPHRASE=… xborder key generate --alg ed25519 --store issuer`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (out == "") == (store == "") {
				return badInput(errors.New("give exactly one of --out and --store"), "e.g. --out issuer.pem, or --store issuer for the encrypted key store")
			}
			a := suite.Alg(alg)
			if a != suite.Ed25519 && a != suite.P256 && a != suite.SM2 {
				return badInput(fmt.Errorf("--alg %q: accepted: ed25519, p256, sm2", alg), "")
			}
			if store != "" {
				return generateStored(e, store, a)
			}
			if _, err := os.Stat(out); err == nil && !force {
				return badInput(fmt.Errorf("%s exists", out), "choose another file, or add --force to replace the key")
			}
			s, err := suite.Generate(a, nil)
			if err != nil {
				return failure(err)
			}
			der, err := suite.MarshalPrivateKey(a, s)
			if err != nil {
				return failure(err)
			}
			if err := atomicfile.WriteFile(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
				return failure(err)
			}
			return printKeyInfo(e, a, s.Public())
		},
	}
	gen.Flags().StringVar(&alg, "alg", "ed25519", "ed25519, p256 or sm2")
	gen.Flags().StringVar(&out, "out", "", "file to write the private key to")
	gen.Flags().BoolVar(&force, "force", false, "replace an existing file")
	gen.Flags().StringVar(&store, "store", "", "name of a new key in the encrypted key store of the data directory")

	show := &cobra.Command{
		Use:   "show FILE|store:NAME",
		Short: "Print the algorithm, public key and did:key of a key file or stored key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := e.signer(args[0])
			if err != nil {
				return err
			}
			return printKeyInfo(e, s.Alg(), s.Public())
		},
	}
	cmd.AddCommand(gen, show, newKeyListCmd(e), newKeyRotateCmd(e))
	return cmd
}

func printKeyInfo(e *env, alg suite.Alg, pub crypto.PublicKey) error {
	k, err := identity.NewKeyDID(alg, pub)
	if err != nil {
		return failure(err)
	}
	info := struct {
		Alg                string `json:"alg"`
		PublicKeyMultibase string `json:"publicKeyMultibase"`
		DID                string `json:"did"`
		Draft              bool   `json:"draft,omitempty"`
	}{string(alg), k.Multibase, k.DID, k.Draft}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(info)
}

// loadSigner reads a PKCS#8 PEM key file of any supported algorithm.
func loadSigner(path string) (suite.Signer, error) {
	data, err := readLimited(path, maxKeyFileBytes)
	if err != nil {
		return nil, badInput(err, "give a key file written by xborder key generate")
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, badInput(fmt.Errorf("%s: not a PEM \"PRIVATE KEY\" (PKCS#8) file", path), "give a key file written by xborder key generate")
	}
	for _, a := range []suite.Alg{suite.Ed25519, suite.P256, suite.SM2} {
		priv, err := suite.ParsePrivateKey(a, block.Bytes)
		if err != nil {
			continue
		}
		s, err := suite.NewSigner(priv)
		if err != nil {
			return nil, failure(err)
		}
		return s, nil
	}
	return nil, badInput(fmt.Errorf("%s: not an Ed25519, P-256 or SM2 PKCS#8 key", path), "give a key file written by xborder key generate")
}

// readLimited reads a file (or stdin for "-") of at most max bytes.
func readLimited(name string, max int64) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return b, nil
}
