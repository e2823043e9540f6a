package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

func newTrustCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Sign trust registries: which issuers are trusted for which credentials, where",
		Long: `A trust registry lists, per credential type and jurisdiction, the issuers a data
space trusts, like an eIDAS trusted list. The operator signs each version (a
JWS over the RFC 8785 canonical JSON; Ed25519, P-256 or SM2, several side by
side); verifiers pin the operator's keys and the registry id, refuse older
versions than one they have seen, and name the entry that accepted an issuer.`,
	}
	var in string
	var keys []string
	sign := &cobra.Command{
		Use:   "sign --registry FILE.json --key FILE [--key FILE2]",
		Short: "Sign a registry; prints the signed document",
		Long: `The registry file is JSON:

  {"format": "xborder-trust-registry/1", "id": "https://ds.example/trust", "operator": "did:web:ds.example",
   "scheme": "CN-EU data pilot", "sequence": 1, "issued": "2026-04-01T00:00:00Z",
   "nextUpdate": "2026-05-01T00:00:00Z",
   "entries": [{"name": "Example CA", "issuer": "did:key:z6Mk…", "jurisdiction": "CN",
                "credentialTypes": ["*"], "validFrom": "2026-01-01T00:00:00Z"}]}

Each key signs with its did:key verification method as the key id; give those
did:keys to verifiers (--trust-operator).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if in == "" || len(keys) == 0 {
				return badInput(errors.New("--registry and --key are required"), "")
			}
			raw, err := readLimited(in, 4<<20)
			if err != nil {
				return badInput(err, "")
			}
			r, err := trust.ParseUnsigned(raw)
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", in, err), "see xborder trust sign --help for the format")
			}
			var signers []trust.KeySigner
			for _, kf := range keys {
				s, err := e.signer(kf)
				if err != nil {
					return err
				}
				k, err := identity.NewKeyDID(s.Alg(), s.Public())
				if err != nil {
					return failure(err)
				}
				signers = append(signers, trust.KeySigner{KeyID: k.DID, Signer: s})
			}
			out, err := trust.Sign(r, signers...)
			if err != nil {
				return badInput(err, "")
			}
			return writeIndented(e, out)
		},
	}
	sign.Flags().StringVar(&in, "registry", "", "unsigned registry JSON")
	sign.Flags().StringArrayVar(&keys, "key", nil, "operator signing key (repeatable: an intl and an SM2 key side by side)")
	cmd.AddCommand(sign)
	return cmd
}

// acceptByRegistry checks that the verified credential's issuer is trusted
// for its types in jurisdiction by the signed registry in file.
func acceptByRegistry(ctx context.Context, e *env, file, id string, operators []string, jurisdiction, dir string, res *vc.Result, now time.Time) (*trust.Anchor, error) {
	if id == "" || len(operators) == 0 || jurisdiction == "" {
		return nil, badInput(errors.New("--trust-registry needs --trust-registry-id, --trust-operator and --jurisdiction"), "pin the registry id and its operator's did:key out of band")
	}
	var keys []trust.OperatorKey
	for _, o := range operators {
		k, err := identity.ParseKeyDID(o)
		if err != nil {
			return nil, badInput(fmt.Errorf("--trust-operator %q: %w", o, err), "give the operator's did:key")
		}
		keys = append(keys, trust.OperatorKey{KeyID: k.DID, Alg: k.Alg, Public: k.PublicKey})
	}
	raw, err := readLimited(file, 4<<20)
	if err != nil {
		return nil, badInput(err, "")
	}
	// Rollback protection: the data directory keeps the newest registry
	// version seen per id, so an older (or a different same-numbered)
	// registry, replayed to hide a withdrawal, fails.
	hw := &trust.FileHighWater{Path: trustHighWaterPath(e, dir)}
	reg, err := trust.Load(ctx, raw, trust.VerifyOptions{ID: id, Keys: keys, Now: func() time.Time { return now }}, hw)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("trust registry %s: %w", file, err)}
	}
	var types []string
	switch t := res.Credential["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				types = append(types, s)
			}
		}
	}
	a, err := reg.Accept(res.Issuer, types, strings.ToUpper(jurisdiction), now)
	if err != nil {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("invalid credential: %w", err)}
	}
	return &a, nil
}

// trustHighWaterPath is the file of trust registry high-water marks in the
// data directory.
func trustHighWaterPath(e *env, dir string) string {
	return filepath.Join(dataDir(e, dir), "trust", "highwater.json")
}
