package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/contract"
	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/rulebook"
	"github.com/xborder/xborder/internal/suite"
)

// signerWithKid loads a signing key and the verification method that
// names it: --kid when given (a did:web key, say), else the key's did:key.
func signerWithKid(e *env, keyRef, kid string) (suite.Signer, string, string, error) {
	s, err := e.signer(keyRef)
	if err != nil {
		return nil, "", "", err
	}
	if kid != "" {
		u, err := identity.ParseDIDURL(kid)
		if err != nil || u.Fragment == "" {
			return nil, "", "", badInput(fmt.Errorf("--kid %q is not a DID URL with a fragment", kid), "e.g. did:web:provider.example#key-1")
		}
		return s, u.DID.String(), kid, nil
	}
	k, err := identity.NewKeyDID(s.Alg(), s.Public())
	if err != nil {
		return nil, "", "", failure(err)
	}
	return s, k.DID, k.VerificationMethodID(), nil
}

func writeSigned(e *env, sa *contract.Signed, out string) error {
	b, err := sa.MarshalIndent()
	if err != nil {
		return failure(err)
	}
	if out != "" {
		if err := atomicfile.WriteFile(out, b, 0o644); err != nil {
			return failure(err)
		}
	}
	_, err = e.stdout.Write(b)
	return err
}

func newContractSignCmd(e *env) *cobra.Command {
	var offerFile, keyRef, kid, consumer, scenarioFile, dir, out string
	cmd := &cobra.Command{
		Use:   "sign --offer O.json --key K.pem --consumer DID [--scenario S.yaml]",
		Short: "Provider: derive the agreement from a reviewed offer, sign it and store it",
		Long: `sign is the provider's step. It needs a passing review of exactly this offer: with
--scenario it reviews the offer now (and records the review); without, it uses the
latest review recorded by xborder contract review --record. It then derives the
ODRL Agreement (assigner: the key's DID, assignee: --consumer), signs it as a
compact JWS (EdDSA, ES256 or SM2SM3 by the key) and stores it, pending until the
consumer countersigns. The signed agreement is printed (and written to --out).

EXIT CODES
  0  signed and stored
  1  no passing review of this offer, or the consumer is not among its recipients
  2  bad input`,
		Example: `  xborder contract sign --offer offer.json --key provider.pem --consumer did:key:z6Mk… \
      --scenario scenario.yaml --out agreement.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if offerFile == "" || keyRef == "" || consumer == "" {
				return badInput(errors.New("--offer, --key and --consumer are required"), "see xborder contract sign --help")
			}
			if _, err := identity.ParseDID(consumer); err != nil {
				return badInput(fmt.Errorf("--consumer %q: %w", consumer, err), "give the consumer's DID, e.g. did:web:consumer.example")
			}
			offer, err := readOffer(offerFile)
			if err != nil {
				return err
			}
			s, provider, kid, err := signerWithKid(e, keyRef, kid)
			if err != nil {
				return err
			}
			var review *contract.Review
			if scenarioFile != "" {
				if review, err = reviewOffer(ctx, e, offer, scenarioFile); err != nil {
					return err
				}
			}
			var signed *contract.Signed
			err = withContractStore(ctx, e, dir, func(st *contract.Store) error {
				if review != nil {
					if err := st.RecordReview(ctx, review); err != nil {
						return err
					}
				} else {
					digest, err := offer.Digest()
					if err != nil {
						return err
					}
					if review, err = st.LatestReview(ctx, digest); errors.Is(err, contract.ErrNotFound) {
						return &exitError{code: exitFailure, err: fmt.Errorf("offer %s has not been reviewed", offer.UID),
							hint: "give --scenario, or run xborder contract review --offer " + offerFile + " --scenario S --record first"}
					} else if err != nil {
						return err
					}
				}
				if !review.Passed {
					var codes []string
					for _, f := range review.Blocking() {
						codes = append(codes, f.Code)
					}
					return &exitError{code: exitFailure, err: fmt.Errorf("the review of offer %s failed (%s): %w", offer.UID, strings.Join(codes, ", "), contract.ErrReviewRequired),
						hint: "run xborder contract review to see the findings"}
				}
				a, err := contract.NewAgreement(offer, review, provider, consumer, e.now())
				if err != nil {
					return err
				}
				if signed, err = contract.SignAgreement(a, s, kid); err != nil {
					return err
				}
				_, err = st.PutAgreement(ctx, signed)
				return err
			})
			if err != nil {
				return storeErr(err)
			}
			return writeSigned(e, signed, out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&offerFile, "offer", "", "offer file (xborder contract offer)")
	fl.StringVar(&keyRef, "key", "", "provider's private key: a PEM file or store:NAME")
	fl.StringVar(&kid, "kid", "", "verification method of the key (default: the key's did:key)")
	fl.StringVar(&consumer, "consumer", "", "the consumer's DID (assignee)")
	fl.StringVar(&scenarioFile, "scenario", "", "review the offer now for this scenario (YAML or assess JSON)")
	fl.StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	fl.StringVar(&out, "out", "", "also write the signed agreement to this file")
	return cmd
}

// readSigned reads a signed agreement from a file, or from the store by id.
func readSigned(ctx context.Context, e *env, dir, ref string) (*contract.Signed, error) {
	if _, err := os.Stat(ref); err == nil {
		data, err := readLimited(ref, contract.MaxSignedBytes)
		if err != nil {
			return nil, badInput(err, "")
		}
		sa, err := contract.ParseSigned(data)
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", ref, err), "give the file xborder contract sign wrote")
		}
		return sa, nil
	}
	if !strings.HasPrefix(ref, "urn:") {
		return nil, badInput(fmt.Errorf("%s: no such file, and not an agreement id (urn:uuid:…)", ref), "")
	}
	var sa *contract.Signed
	err := withContractStore(ctx, e, dir, func(s *contract.Store) error {
		r, err := s.Get(ctx, ref)
		if err != nil {
			return err
		}
		sa = &r.Signed
		return nil
	})
	return sa, storeErr(err)
}

func newContractCountersignCmd(e *env) *cobra.Command {
	var ref, keyRef, kid, dir, out string
	cmd := &cobra.Command{
		Use:   "countersign --agreement ID|FILE --key K.pem",
		Short: "Consumer: verify the provider's signature and countersign; the agreement comes into force",
		Long: `countersign is the consumer's step. It verifies the provider's signature and that
the agreement names the key's DID as assignee, then signs the provider's JWS (a
detached JWS, so the countersignature covers exactly what the provider signed,
provider's key included). The agreement is stored as active in the data directory
and printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ref == "" || keyRef == "" {
				return badInput(errors.New("--agreement and --key are required"), "")
			}
			sa, err := readSigned(ctx, e, dir, ref)
			if err != nil {
				return err
			}
			s, _, kid, err := signerWithKid(e, keyRef, kid)
			if err != nil {
				return err
			}
			cs, err := contract.Countersign(ctx, sa, s, kid, keyResolver())
			if err != nil {
				return storeErr(err)
			}
			err = withContractStore(ctx, e, dir, func(st *contract.Store) error {
				_, err := st.PutAgreement(ctx, cs)
				return err
			})
			if err != nil {
				return storeErr(err)
			}
			return writeSigned(e, cs, out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&ref, "agreement", "", "agreement id in the data directory, or the signed agreement file")
	fl.StringVar(&keyRef, "key", "", "consumer's private key: a PEM file or store:NAME")
	fl.StringVar(&kid, "kid", "", "verification method of the key (default: the key's did:key)")
	fl.StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	fl.StringVar(&out, "out", "", "also write the countersigned agreement to this file")
	return cmd
}

type verifyAgreementOutput struct {
	ID            string `json:"id"`
	Verified      bool   `json:"verified"`
	Countersigned bool   `json:"countersigned"`
	Provider      string `json:"provider"`
	ProviderKey   string `json:"provider_key"`
	ProviderAlg   string `json:"provider_alg"`
	Consumer      string `json:"consumer"`
	ConsumerKey   string `json:"consumer_key,omitempty"`
	ConsumerAlg   string `json:"consumer_alg,omitempty"`
	Target        string `json:"target"`
	Template      string `json:"template,omitempty"`
	Offer         string `json:"offer"`
	OfferDigest   string `json:"offer_digest"`
	Issued        string `json:"issued"`
}

func newContractVerifyCmd(e *env) *cobra.Command {
	var dir string
	var allowPending bool
	cmd := &cobra.Command{
		Use:   "verify AGREEMENT",
		Short: "Verify a signed agreement (a file, or an id in the data directory)",
		Long: `verify checks the provider's JWS, that its key belongs to the assigner, that the
payload is an xborder agreement in canonical form, and the consumer's
countersignature and its key's binding to the assignee. An agreement the consumer
has not countersigned fails unless --allow-pending.

EXIT CODES
  0  valid
  1  invalid (the reason on stderr)
  2  bad input`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			sa, err := readSigned(ctx, e, dir, args[0])
			if err != nil {
				return err
			}
			v, err := contract.VerifyAgreement(ctx, sa, keyResolver(), !allowPending)
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("invalid agreement: %w", err)}
			}
			a := v.Agreement
			o := verifyAgreementOutput{ID: a.UID, Verified: true, Countersigned: v.Countersigned, Provider: a.Assigner,
				ProviderKey: v.ProviderKid, ProviderAlg: string(v.ProviderAlg), Consumer: a.Assignee, ConsumerKey: v.ConsumerKid,
				ConsumerAlg: string(v.ConsumerAlg), Target: a.Target, Template: a.Template, Offer: a.OfferUID,
				OfferDigest: a.OfferDigest, Issued: a.Issued.Format(time.RFC3339Nano)}
			return printJSON(e, o)
		},
	}
	cmd.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	cmd.Flags().BoolVar(&allowPending, "allow-pending", false, "accept an agreement without the consumer's countersignature")
	return cmd
}

type agreementView struct {
	ID              string             `json:"id"`
	State           string             `json:"state"`
	Provider        string             `json:"provider"`
	Consumer        string             `json:"consumer"`
	Target          string             `json:"target"`
	Template        string             `json:"template,omitempty"`
	Offer           string             `json:"offer"`
	Issued          string             `json:"issued"`
	Activated       string             `json:"activated,omitempty"`
	Ended           string             `json:"ended,omitempty"`
	From            string             `json:"from,omitempty"`
	Until           string             `json:"until,omitempty"`
	Limits          []contract.Limit   `json:"limits"`
	Uses            int64              `json:"uses"`
	Currency        string             `json:"currency,omitempty"`
	InvoicedThrough string             `json:"invoiced_through,omitempty"`
	Counters        []contract.Counter `json:"counters,omitempty"`
	Events          []contract.Event   `json:"events,omitempty"`
}

func viewOf(r *contract.Record) agreementView {
	v := agreementView{ID: r.ID, State: r.State, Provider: r.Provider, Consumer: r.Consumer, Target: r.Target, Template: r.Template,
		Offer: r.OfferID, Issued: rfc3339(r.Issued), Activated: rfc3339(r.Activated), Ended: rfc3339(r.Ended),
		From: rfc3339(r.Period.From), Until: rfc3339(r.Period.Until), Limits: r.Limits, Uses: r.Uses,
		Currency: r.Currency, InvoicedThrough: r.InvoicedThrough}
	if v.Limits == nil {
		v.Limits = []contract.Limit{}
	}
	return v
}

func newContractShowCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print a stored agreement's state, limits, current counters and events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return storeErr(withContractStore(ctx, e, dir, func(s *contract.Store) error {
				r, err := s.Get(ctx, args[0])
				if err != nil {
					return err
				}
				v := viewOf(r)
				if v.Counters, err = s.Counters(ctx, r.ID, e.now()); err != nil {
					return err
				}
				if v.Events, err = s.Events(ctx, r.ID); err != nil {
					return err
				}
				return printJSON(e, v)
			}))
		},
	}
	cmd.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	return cmd
}

func newContractListCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the stored agreements",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return storeErr(withContractStore(ctx, e, dir, func(s *contract.Store) error {
				rs, err := s.List(ctx)
				if err != nil {
					return err
				}
				out := []agreementView{}
				for _, r := range rs {
					out = append(out, viewOf(r))
				}
				return printJSON(e, out)
			}))
		},
	}
	cmd.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	return cmd
}

func newContractActionCmd(e *env, action string) *cobra.Command {
	var id, keyRef, kid, reason, dir string
	short := map[string]string{
		contract.ActionSuspend:   "Provider: suspend an active agreement",
		contract.ActionResume:    "Provider: resume a suspended agreement (an authorised action, signed by the key)",
		contract.ActionTerminate: "Either party: terminate an agreement for good",
	}[action]
	cmd := &cobra.Command{
		Use:   action + " --agreement ID --key K.pem [--reason TEXT]",
		Short: short,
		Long: short + `. The change is an action signed by the party's key (a compact JWS,
recorded with the agreement's events as evidence); the key must belong to the
provider (suspend, resume) or to either party (terminate).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if id == "" || keyRef == "" {
				return badInput(errors.New("--agreement and --key are required"), "")
			}
			s, _, kid, err := signerWithKid(e, keyRef, kid)
			if err != nil {
				return err
			}
			tok, err := contract.SignAction(contract.Action{Agreement: id, Action: action, Reason: reason, Issued: e.now()}, s, kid)
			if err != nil {
				return failure(err)
			}
			return storeErr(withContractStore(ctx, e, dir, func(st *contract.Store) error {
				r, err := st.Act(ctx, tok)
				if err != nil {
					return err
				}
				return printJSON(e, viewOf(r))
			}))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&id, "agreement", "", "agreement id")
	fl.StringVar(&keyRef, "key", "", "the party's private key: a PEM file or store:NAME")
	fl.StringVar(&kid, "kid", "", "verification method of the key (default: the key's did:key)")
	fl.StringVar(&reason, "reason", "", "why, for the record")
	fl.StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	return cmd
}

func newContractApprovalCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "approval", Short: "Record the approvals and filings a provider holds (CN_SA, CN_SC, …)"}
	var provider, route, ref, issued, expires, dir string
	add := &cobra.Command{
		Use:   "add --provider DID --route CN_SC --ref REF --issued YYYY-MM-DD [--expires YYYY-MM-DD]",
		Short: "Record a filing or approval; agreements requiring that route may then be used",
		Long: `add records a filing or approval of the provider: a CAC security assessment (CN_SA),
a standard-contract filing (CN_SC), a certification (CN_CERT), binding corporate
rules (EU_BCR) and the like. Agreements whose offer requires an approved transfer
route refuse use until a matching approval valid on the day of use is on record.
Give --expires when the approval has one (a security assessment is valid for three
years from issue, 2024 Provisions art 9); without it the approval does not expire.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if provider == "" || route == "" || ref == "" || issued == "" {
				return badInput(errors.New("--provider, --route, --ref and --issued are required"), "")
			}
			a := rulebook.Approval{Route: route, Ref: ref}
			var err error
			if a.Issued, err = rulebook.ParseDate(issued); err != nil {
				return badInput(fmt.Errorf("--issued: %w", err), "")
			}
			if expires != "" {
				if a.Expires, err = rulebook.ParseDate(expires); err != nil {
					return badInput(fmt.Errorf("--expires: %w", err), "")
				}
			}
			return storeErr(withContractStore(ctx, e, dir, func(s *contract.Store) error {
				if err := s.RecordApproval(ctx, provider, a); err != nil {
					return err
				}
				list, err := s.Approvals(ctx, provider)
				if err != nil {
					return err
				}
				return printJSON(e, list)
			}))
		},
	}
	add.Flags().StringVar(&provider, "provider", "", "the provider's DID")
	add.Flags().StringVar(&route, "route", "", "route code, e.g. CN_SA, CN_SC, CN_CERT, EU_BCR")
	add.Flags().StringVar(&ref, "ref", "", "the reference of the filing or approval")
	add.Flags().StringVar(&issued, "issued", "", "day issued, YYYY-MM-DD")
	add.Flags().StringVar(&expires, "expires", "", "day it expires, YYYY-MM-DD")
	add.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	var listProvider, listDir string
	list := &cobra.Command{
		Use:   "list --provider DID",
		Short: "List a provider's recorded approvals",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if listProvider == "" {
				return badInput(errors.New("--provider is required"), "")
			}
			return storeErr(withContractStore(ctx, e, listDir, func(s *contract.Store) error {
				l, err := s.Approvals(ctx, listProvider)
				if err != nil {
					return err
				}
				if l == nil {
					l = []rulebook.Approval{}
				}
				return printJSON(e, l)
			}))
		},
	}
	list.Flags().StringVar(&listProvider, "provider", "", "the provider's DID")
	list.Flags().StringVar(&listDir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	cmd.AddCommand(add, list)
	return cmd
}
