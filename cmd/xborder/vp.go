package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

func newVPCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vp",
		Short: "Create and verify verifiable presentations (holder binding, challenge, domain)",
	}
	var keyFile, challenge, domain string
	var validFor time.Duration
	create := &cobra.Command{
		Use:   "create --key FILE --challenge NONCE --domain AUDIENCE CREDENTIAL...",
		Short: "Present credentials to a verifier, signed by the holder's did:key",
		Long: `create wraps the credentials (Data Integrity JSON or vc+jwt) in a presentation
whose holder is the did:key of --key, and signs it for one verifier: --challenge is
the nonce the verifier gave you, --domain its audience. The proof purpose is
authentication; --valid-for sets the proof's expiry (default 5 minutes).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" || challenge == "" || domain == "" {
				return badInput(errors.New("--key, --challenge and --domain are required"), "the verifier gives you the challenge and names its domain")
			}
			s, err := e.signer(keyFile)
			if err != nil {
				return err
			}
			k, err := identity.NewKeyDID(s.Alg(), s.Public())
			if err != nil {
				return failure(err)
			}
			var creds []any
			for _, f := range args {
				raw, err := readLimited(f, vc.MaxDocumentSize)
				if err != nil {
					return badInput(err, "give the credential files")
				}
				raw = bytes.TrimSpace(raw)
				if bytes.HasPrefix(raw, []byte("ey")) {
					creds = append(creds, map[string]any{
						"@context": []any{vc.ContextV2},
						"id":       "data:application/vc+jwt," + string(raw),
						"type":     "EnvelopedVerifiableCredential",
					})
					continue
				}
				var c map[string]any
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				if err := dec.Decode(&c); err != nil {
					return badInput(fmt.Errorf("%s: not a JSON credential: %w", f, err), "")
				}
				creds = append(creds, c)
			}
			vp := map[string]any{
				"@context":             []any{vc.ContextV2},
				"type":                 []any{"VerifiablePresentation"},
				"holder":               k.DID,
				"verifiableCredential": creds,
			}
			cs := map[suite.Alg]string{suite.Ed25519: vc.EdDSARDFC2022, suite.P256: vc.ECDSARDFC2019, suite.SM2: vc.SM2RDFC2025}[s.Alg()]
			now := e.now().UTC().Truncate(time.Second)
			p, err := vc.New(vc.WithSM2())
			if err != nil {
				return failure(err)
			}
			signed, err := p.SignPresentation(cmd.Context(), vp, vc.ProofOptions{
				Cryptosuite: cs, VerificationMethod: k.VerificationMethodID(), Created: now, Expires: now.Add(validFor),
				Challenge: challenge, Domain: domain, Signer: s,
			})
			if err != nil {
				return issueErr(err)
			}
			return writeIndented(e, signed)
		},
	}
	create.Flags().StringVar(&keyFile, "key", "", "holder's private key: a PEM file or store:NAME")
	create.Flags().StringVar(&challenge, "challenge", "", "the verifier's nonce")
	create.Flags().StringVar(&domain, "domain", "", "the verifier's audience (domain)")
	create.Flags().DurationVar(&validFor, "valid-for", 5*time.Minute, "how long the presentation proof is valid")

	var vChallenge, vDomain, at string
	var maxAge, timeout time.Duration
	var subjectHolder bool
	verify := &cobra.Command{
		Use:   "verify FILE --challenge NONCE --domain AUDIENCE",
		Short: "Verify a presentation and the credentials in it",
		Long: `verify checks the presentation proof (purpose authentication, your challenge and
domain, not older than --max-age, signed by a key the holder authenticates with),
then every credential in it with the credential rules ('xborder vc verify').
A challenge must be used once: a verifier service keeps the spent ones (the
connector does); this command checks one presentation and keeps none.

EXIT CODES
  0  valid
  1  invalid: the code (challenge_mismatch, domain_mismatch, holder_mismatch,
     expired, bad_signature, …) and a message on stderr
  2  bad usage`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if vChallenge == "" || vDomain == "" {
				return badInput(errors.New("--challenge and --domain are required"), "give the nonce you issued and your audience")
			}
			raw, err := readLimited(args[0], vc.MaxDocumentSize)
			if err != nil {
				return badInput(err, "give the presentation file")
			}
			now := e.now()
			if at != "" {
				if now, err = time.Parse(time.RFC3339, at); err != nil {
					return badInput(fmt.Errorf("--at %q: %w", at, err), "write times as RFC 3339")
				}
			}
			p, err := vc.New(vc.WithSM2())
			if err != nil {
				return failure(err)
			}
			r := identity.NewResolver(identity.ResolverOptions{HTTPClient: &http.Client{Timeout: timeout}, Timeout: timeout})
			opts := vc.PresentationOptions{
				Now: now, Challenge: vChallenge, Domain: vDomain, MaxAge: maxAge,
				HolderResolver: vc.KeysFor(r, identity.Authentication), RequireHolderKey: true,
				RequireSubjectHolder: subjectHolder, RequireIssuerKey: true,
			}
			trimmed := bytes.TrimSpace(raw)
			var res *vc.PresentationResult
			if bytes.HasPrefix(trimmed, []byte("ey")) {
				res, err = p.VerifyPresentationJWT(cmd.Context(), trimmed, r, opts)
			} else {
				res, err = p.VerifyPresentation(cmd.Context(), trimmed, r, opts)
			}
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("invalid presentation: %w", err)}
			}
			issuers := []string{}
			for _, c := range res.Credentials {
				issuers = append(issuers, c.Issuer)
			}
			return printJSON(e, struct {
				Verified    bool     `json:"verified"`
				Holder      string   `json:"holder"`
				Credentials int      `json:"credentials"`
				Issuers     []string `json:"issuers"`
			}{res.Verified, res.Holder, len(res.Credentials), issuers})
		},
	}
	vf := verify.Flags()
	vf.StringVar(&vChallenge, "challenge", "", "the nonce you gave the holder")
	vf.StringVar(&vDomain, "domain", "", "your audience (domain)")
	vf.DurationVar(&maxAge, "max-age", 5*time.Minute, "oldest presentation proof accepted")
	vf.BoolVar(&subjectHolder, "subject-is-holder", false, "require every credential's subject to be the holder")
	vf.StringVar(&at, "at", "", "judge validity at this RFC 3339 time instead of now")
	vf.DurationVar(&timeout, "timeout", 10*time.Second, "give up resolving a DID after this long")
	cmd.AddCommand(create, verify)
	return cmd
}
