package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// proofFormats are the --proof values of vc issue.
var proofFormats = []string{"eddsa-rdfc-2022", "ecdsa-rdfc-2019", "sm2", "jwt"}

func newVCCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vc",
		Short: "Issue and verify W3C verifiable credentials (VC Data Model 2.0)",
	}
	var keyFile, subjectFile, proof, statusList string
	var types, contexts []string
	var issueDataDir string
	var validFor time.Duration
	issue := &cobra.Command{
		Use:   "issue --key FILE --subject FILE.json [--type T] --proof eddsa-rdfc-2022|ecdsa-rdfc-2019|jwt",
		Short: "Issue a credential about a subject, signed by the key's did:key",
		Long: `issue builds a VC Data Model 2.0 credential whose issuer is the did:key of --key,
whose credentialSubject is the JSON object in --subject, valid from now (and until
now + --valid-for when given), and secures it:

  eddsa-rdfc-2022   Data Integrity proof, Ed25519 key, RDFC-1.0 over pinned contexts
  ecdsa-rdfc-2019   Data Integrity proof, P-256 key
  sm2               Data Integrity proof xborder-sm2-rdfc-2025 (SM2 with SM3), SM2 key;
                    not a registered suite: add it beside an intl proof with
                    'vc add-proof' when foreign verifiers must check the credential
  jwt               vc+jwt (VC-JOSE-COSE), EdDSA or ES256 by the key

The type and the subject's terms must be defined by the credential contexts: for
the Data Integrity proofs an undefined term is refused (data_loss) rather than
silently dropped. --context adds a context after the VC 2.0 one; only the contexts
compiled into xborder are accepted (for trying things out,
https://www.w3.org/ns/credentials/examples/v2 defines any term). The credential
goes to stdout.`,
		Example: `  xborder key generate --alg ed25519 --out issuer.pem
  echo '{"id":"did:example:alice","name":"Alice"}' > subject.json
  xborder vc issue --key issuer.pem --subject subject.json --proof eddsa-rdfc-2022 \
      --context https://www.w3.org/ns/credentials/examples/v2 --type ExampleCredential > cred.json
  xborder vc verify cred.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" || subjectFile == "" {
				return badInput(errors.New("--key and --subject are required"), "see xborder vc issue --help")
			}
			s, err := e.signer(keyFile)
			if err != nil {
				return err
			}
			raw, err := readLimited(subjectFile, vc.MaxDocumentSize)
			if err != nil {
				return badInput(err, "give a JSON file with the credential subject")
			}
			var subject map[string]any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&subject); err != nil {
				return badInput(fmt.Errorf("%s: not a JSON object: %w", subjectFile, err), "the subject is one JSON object, e.g. {\"id\": \"did:example:alice\"}")
			}
			k, err := identity.NewKeyDID(s.Alg(), s.Public())
			if err != nil {
				return failure(err)
			}
			now := e.now().UTC().Truncate(time.Second)
			cred := map[string]any{
				"@context":          append([]any{vc.ContextV2}, toAny(contexts)...),
				"type":              append([]any{"VerifiableCredential"}, toAny(types)...),
				"issuer":            k.DID,
				"validFrom":         now.Format(time.RFC3339),
				"credentialSubject": subject,
			}
			if validFor > 0 {
				cred["validUntil"] = now.Add(validFor).Format(time.RFC3339)
			}
			if statusList != "" {
				entry, err := allocateStatus(cmd.Context(), e, issueDataDir, statusList)
				if err != nil {
					return err
				}
				cred["credentialStatus"] = entry
			}
			p, err := vc.New(vc.WithSM2())
			if err != nil {
				return failure(err)
			}
			ctx := cmd.Context()
			switch proof {
			case "jwt":
				tok, err := p.SignJWT(ctx, cred, vc.JWTOptions{Signer: s, KeyID: k.VerificationMethodID()})
				if err != nil {
					return issueErr(err)
				}
				fmt.Fprintln(e.stdout, tok)
				return nil
			case "eddsa-rdfc-2022", "ecdsa-rdfc-2019":
				want := map[string]suite.Alg{"eddsa-rdfc-2022": suite.Ed25519, "ecdsa-rdfc-2019": suite.P256}[proof]
				if s.Alg() != want {
					return badInput(fmt.Errorf("--proof %s needs a %s key, %s is %s", proof, want, keyFile, s.Alg()),
						"generate one with: xborder key generate --alg "+string(want))
				}
				signed, err := p.Sign(ctx, cred, vc.ProofOptions{
					Cryptosuite: proof, VerificationMethod: k.VerificationMethodID(), Created: now, Signer: s,
				})
				if err != nil {
					return issueErr(err)
				}
				return writeIndented(e, signed)
			case "sm2":
				if s.Alg() != suite.SM2 {
					return badInput(fmt.Errorf("--proof sm2 needs an sm2 key, %s is %s", keyFile, s.Alg()),
						"generate one with: xborder key generate --alg sm2; to add an SM2 proof beside an intl one use xborder vc add-proof")
				}
				signed, err := p.Sign(ctx, cred, vc.ProofOptions{
					Cryptosuite: vc.SM2RDFC2025, VerificationMethod: k.VerificationMethodID(), Created: now, Signer: s,
				})
				if err != nil {
					return issueErr(err)
				}
				return writeIndented(e, signed)
			}
			return badInput(fmt.Errorf("--proof %q: accepted: %s", proof, strings.Join(proofFormats, ", ")), "")
		},
	}
	fl := issue.Flags()
	fl.StringVar(&keyFile, "key", "", "issuer's private key: a PEM file (xborder key generate) or store:NAME")
	fl.StringVar(&subjectFile, "subject", "", "JSON file with the credentialSubject object")
	fl.StringSliceVar(&types, "type", nil, "credential type besides VerifiableCredential (repeatable)")
	fl.StringSliceVar(&contexts, "context", nil, "JSON-LD context URL after the VC 2.0 one, defining the type and subject terms (must be one xborder pins)")
	fl.StringVar(&proof, "proof", "eddsa-rdfc-2022", "eddsa-rdfc-2022, ecdsa-rdfc-2019, sm2 or jwt")
	fl.DurationVar(&validFor, "valid-for", 0, "set validUntil this long after now, e.g. 8760h")
	fl.StringVar(&statusList, "status-list", "", "give the credential an entry of the issuer's status list published at this URL (xborder vc status create)")
	fl.StringVar(&issueDataDir, "data-dir", "", "data directory of the status lists")

	var at, trustFile, trustID, jurisdiction, verifyDataDir string
	var statusFiles, trustKeys []string
	var timeout time.Duration
	verify := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify a credential (Data Integrity JSON or vc+jwt)",
		Long: `verify checks a credential's proofs, its VC Data Model 2.0 shape and its validity
period. Issuer keys are resolved from their DIDs (did:key offline, did:web over
HTTPS). JSON-LD contexts are the pinned copies compiled into xborder; a credential
using any other context is refused (unknown_context).

EXIT CODES
  0  valid
  1  invalid: the code (bad_signature, expired, not_yet_valid, data_loss,
     unknown_context, malformed, key_resolution, issuer_mismatch, …) and a
     message on stderr
  2  bad usage: missing or unreadable file`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readLimited(args[0], vc.MaxDocumentSize)
			if err != nil {
				return badInput(err, "give the credential file")
			}
			opts := vc.VerifyOptions{RequireIssuerKey: true}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return badInput(fmt.Errorf("--at %q: %w", at, err), "write times as RFC 3339, e.g. 2026-04-15T00:00:00Z")
				}
				opts.Now = t
			} else {
				opts.Now = e.now()
			}
			p, err := vc.New(vc.WithSM2())
			if err != nil {
				return failure(err)
			}
			r := identity.NewResolver(identity.ResolverOptions{HTTPClient: &http.Client{Timeout: timeout}, Timeout: timeout})
			trimmed := bytes.TrimSpace(raw)
			var res *vc.Result
			if bytes.HasPrefix(trimmed, []byte("ey")) {
				res, err = p.VerifyJWT(cmd.Context(), trimmed, r, opts)
			} else {
				res, err = p.Verify(cmd.Context(), trimmed, r, opts)
			}
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("invalid credential: %w", err)}
			}
			out := verifyOutput{Verified: res.Verified, Issuer: res.Issuer, ValidFrom: rfc3339(res.ValidFrom), ValidUntil: rfc3339(res.ValidUntil)}
			if entries, err := statuslist.EntriesOf(res.Credential); err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("invalid credential: %w", err)}
			} else if len(entries) > 0 {
				fetch, err := statusFetcher(statusFiles)
				if err != nil {
					return err
				}
				checker, err := statuslist.NewChecker(statuslist.CheckerOptions{Fetcher: fetch, Processor: p, Resolver: r, Now: func() time.Time { return opts.Now }})
				if err != nil {
					return failure(err)
				}
				statuses, err := checker.Check(cmd.Context(), res.Credential)
				for _, st := range statuses {
					out.Status = append(out.Status, statusOutput{Purpose: string(st.Purpose), Index: st.Index, Set: st.Set})
				}
				if err != nil {
					out.Verified = false
					printJSON(e, out)
					return &exitError{code: exitFailure, err: fmt.Errorf("invalid credential: %w", err)}
				}
			}
			if trustFile != "" {
				anchor, err := acceptByRegistry(cmd.Context(), e, trustFile, trustID, trustKeys, jurisdiction, verifyDataDir, res, opts.Now)
				if err != nil {
					out.Verified = false
					printJSON(e, out)
					return err
				}
				out.TrustAnchor = anchor
			}
			return printJSON(e, out)
		},
	}
	verify.Flags().StringVar(&at, "at", "", "judge validity at this RFC 3339 time instead of now")
	verify.Flags().StringArrayVar(&statusFiles, "status-file", nil, "use a local copy of a status list credential: URL=FILE (repeatable)")
	verify.Flags().StringVar(&trustFile, "trust-registry", "", "signed trust registry file: the issuer must be trusted in it")
	verify.Flags().StringVar(&trustID, "trust-registry-id", "", "the registry id you expect (required with --trust-registry)")
	verify.Flags().StringSliceVar(&trustKeys, "trust-operator", nil, "did:key of a registry operator key you trust (repeatable)")
	verify.Flags().StringVar(&jurisdiction, "jurisdiction", "", "jurisdiction whose trust the issuer needs, e.g. CN or EU (with --trust-registry)")
	verify.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give up resolving an issuer's DID after this long")
	verify.Flags().StringVar(&verifyDataDir, "data-dir", "", "data directory keeping the newest trust registry version seen (rollback protection; default $XBORDER_DATA_DIR or ~/.xborder)")
	cmd.AddCommand(issue, verify, newVCAddProofCmd(e), newVCStatusCmd(e),
		newVCSetStatusCmd(e, "revoke", statuslist.PurposeRevocation, true),
		newVCSetStatusCmd(e, "suspend", statuslist.PurposeSuspension, true),
		newVCSetStatusCmd(e, "unsuspend", statuslist.PurposeSuspension, false))
	return cmd
}

// newVCAddProofCmd adds a parallel proof to a credential: the gm suite's SM2
// proof beside an intl one, so that Chinese verifiers check SM2 and foreign
// ones the Ed25519 or P-256 proof.
func newVCAddProofCmd(e *env) *cobra.Command {
	var keyFile, keyID, proof string
	cmd := &cobra.Command{
		Use:   "add-proof --key FILE --key-id URL [--proof sm2] CREDENTIAL",
		Short: "Add a parallel proof (e.g. SM2 beside Ed25519) to a signed credential",
		Long: `add-proof signs the credential again with another key and adds the proof to its
proof set; the existing proofs are kept, and each verifies on its own. --key-id is
the verification method URL of the new key, which must belong to the issuer (for
example did:web:example.com#key-2, listed in the issuer's DID document) for
'vc verify' to accept it.`,
		Example: `  xborder vc add-proof --key issuer-sm2.pem --key-id did:web:example.com#key-sm2 cred.json > cred-dual.json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" || keyID == "" {
				return badInput(errors.New("--key and --key-id are required"), "see xborder vc add-proof --help")
			}
			s, err := e.signer(keyFile)
			if err != nil {
				return err
			}
			suites := map[string]suite.Alg{"eddsa-rdfc-2022": suite.Ed25519, "ecdsa-rdfc-2019": suite.P256, "sm2": suite.SM2}
			want, ok := suites[proof]
			if !ok {
				return badInput(fmt.Errorf("--proof %q: accepted: sm2, eddsa-rdfc-2022, ecdsa-rdfc-2019", proof), "")
			}
			if s.Alg() != want {
				return badInput(fmt.Errorf("--proof %s needs a %s key, %s is %s", proof, want, keyFile, s.Alg()), "")
			}
			cs := proof
			if proof == "sm2" {
				cs = vc.SM2RDFC2025
			}
			raw, err := readLimited(args[0], vc.MaxDocumentSize)
			if err != nil {
				return badInput(err, "give the signed credential file")
			}
			p, err := vc.New(vc.WithSM2())
			if err != nil {
				return failure(err)
			}
			out, err := p.AddProof(cmd.Context(), raw, vc.ProofOptions{
				Cryptosuite: cs, VerificationMethod: keyID, Created: e.now().UTC().Truncate(time.Second), Signer: s,
			})
			if err != nil {
				return issueErr(err)
			}
			return writeIndented(e, out)
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "private key of the new proof: a PEM file or store:NAME")
	cmd.Flags().StringVar(&keyID, "key-id", "", "verification method URL of that key")
	cmd.Flags().StringVar(&proof, "proof", "sm2", "sm2, eddsa-rdfc-2022 or ecdsa-rdfc-2019")
	return cmd
}

func writeIndented(e *env, doc []byte) error {
	var out bytes.Buffer
	if err := json.Indent(&out, doc, "", "  "); err != nil {
		return failure(err)
	}
	out.WriteByte('\n')
	_, err := e.stdout.Write(out.Bytes())
	return err
}

type verifyOutput struct {
	Verified    bool           `json:"verified"`
	Issuer      string         `json:"issuer"`
	ValidFrom   string         `json:"validFrom,omitempty"`
	ValidUntil  string         `json:"validUntil,omitempty"`
	Status      []statusOutput `json:"status,omitempty"`
	TrustAnchor *trust.Anchor  `json:"trustAnchor,omitempty"`
}

type statusOutput struct {
	Purpose string `json:"purpose"`
	Index   int    `json:"index"`
	Set     bool   `json:"set"`
}

// issueErr maps a signing failure: a credential the rules refuse (undefined
// terms, unknown contexts) is bad input.
func issueErr(err error) error {
	switch vc.CodeOf(err) {
	case "data_loss", "unknown_context", "malformed":
		return badInput(fmt.Errorf("cannot issue: %s: %w", vc.CodeOf(err), err),
			"every subject property must be defined by the credential contexts")
	}
	return failure(err)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
