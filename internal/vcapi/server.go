package vcapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/identity"
	"github.com/xborder/xborder/internal/statuslist"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/trust"
	"github.com/xborder/xborder/internal/vc"
)

// Key is one signing key of an issuer.
type Key struct {
	Signer suite.Signer
	// VerificationMethod is the key's URL, a fragment of the issuer's DID:
	// "did:key:z6Mk…#z6Mk…", "did:web:example.com#key-1".
	VerificationMethod string
}

// Issuer is a DID this server issues credentials for.
type Issuer struct {
	// Keys are the issuer's signing keys, the first being the default.
	// A Data Integrity cryptosuite selects the first key of its algorithm
	// (Ed25519: eddsa-rdfc-2022, P-256: ecdsa-rdfc-2019, SM2:
	// xborder-sm2-rdfc-2025); vc+jwt the first Ed25519 or P-256 key.
	Keys []Key
	// Format is the proof format when the request names none:
	// FormatDataIntegrity (the default) or FormatVCJWT.
	Format string
	// CoSignSM2 adds an SM2 proof (xborder-sm2-rdfc-2025) beside an Ed25519
	// or P-256 Data Integrity proof, for the gm suite, when the issuer has
	// an SM2 key. The Processor must have been made with vc.WithSM2().
	CoSignSM2 bool
	// Status, with StatusLists (list ids of a *statuslist.Store), gives
	// every credential issued without a credentialStatus one
	// BitstringStatusListEntry per list.
	Status      StatusAllocator
	StatusLists []string
}

// StatusAllocator hands out status list entries; *statuslist.Store is one.
type StatusAllocator interface {
	Allocate(ctx context.Context, listID string) (statuslist.Entry, error)
}

// StatusChecker checks a verified credential's credentialStatus;
// *statuslist.Checker is one.
type StatusChecker interface {
	Check(ctx context.Context, credential map[string]any) ([]statuslist.Status, error)
}

// TrustPolicy decides whether an issuer is trusted for a credential's
// types; *trust.Registry is one. A caller that reloads its registry wraps
// it in a type whose Accept reads the current one.
type TrustPolicy interface {
	Accept(issuerDID string, credentialTypes []string, jurisdiction string, at time.Time) (trust.Anchor, error)
}

// Config configures New.
type Config struct {
	// Processor signs and verifies (required). Use vc.New(vc.WithSM2())
	// for the SM2 suite.
	Processor *vc.Processor
	// Resolver resolves the keys of credential proofs (required); an
	// *identity.Resolver accepts assertionMethod keys.
	Resolver vc.KeyResolver
	// HolderResolver resolves the keys of presentation proofs. When nil
	// and Resolver is a vc.MethodResolver (as *identity.Resolver is),
	// vc.KeysFor(Resolver, identity.Authentication) is used; otherwise
	// Resolver.
	HolderResolver vc.KeyResolver
	// Issuers maps an issuer DID to its keys. Without issuers, POST
	// /credentials/issue is not mounted.
	Issuers map[string]Issuer
	// Nonces makes presentation challenges single-use
	// (vc.NewMemoryNonceStore(0, Now) when nil).
	Nonces vc.NonceStore
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// MaxBody bounds request bodies (DefaultMaxBody when zero).
	MaxBody int64
	// Audience is the verifier's domain. A presentation's options.domain
	// defaults to it and, when it is set, must equal it.
	Audience string
	// ChallengeTTL is how long a challenge from POST /challenges may be
	// used (DefaultChallengeTTL when zero); MaxChallenges bounds how many
	// are outstanding (DefaultMaxChallenges when zero).
	ChallengeTTL  time.Duration
	MaxChallenges int
	// AcceptForeignChallenges lets POST /presentations/verify accept a
	// challenge this server did not hand out (a conformance suite that
	// makes its own). Single use still holds through Nonces.
	AcceptForeignChallenges bool
	// PresentationMaxAge bounds how old a presentation proof may be
	// (vc.DefaultPresentationMaxAge when zero).
	PresentationMaxAge time.Duration
	// RequireHolderBinding demands that a presentation name its holder and
	// that every credential's subject be the holder.
	RequireHolderBinding bool
	// SkipUnsupported accepts a credential on the proofs this Processor
	// supports (an SM2 proof beside an intl one at a verifier without SM2).
	SkipUnsupported bool
	// Status checks credentialStatus entries (*statuslist.Checker). When
	// nil, a credential with credentialStatus fails with status_unchecked.
	Status StatusChecker
	// Trust, when set, must accept every verified credential's issuer for
	// its types in Jurisdiction; the anchor is reported.
	Trust        TrustPolicy
	Jurisdiction string
	// StatusLists serves status list credentials (a *statuslist.Publisher)
	// under StatusListPath, a path prefix ending in "/" ("/status/" when
	// empty).
	StatusLists    http.Handler
	StatusListPath string
	// DIDs serves did.json (an *identity.Handler) at
	// /.well-known/did.json and under each of DIDPaths (path prefixes
	// ending in "/", such as "/datasets/").
	DIDs     http.Handler
	DIDPaths []string
	// Authorize, when set, is called before the issue, challenge and
	// verify endpoints with the request and the endpoint's pattern
	// ("POST /credentials/issue", …); an error refuses the request with
	// 403 forbidden (its text is not sent). This package authenticates
	// no one: without Authorize (or a wrapping middleware) anyone who can
	// reach POST /credentials/issue gets credentials signed by the
	// configured issuers.
	Authorize func(r *http.Request, endpoint string) error
}

// Defaults.
const (
	DefaultChallengeTTL  = 5 * time.Minute
	DefaultMaxChallenges = 100000
)

// Server is the VC-API HTTP service. It is safe for concurrent use.
type Server struct {
	cfg        Config
	holderKeys vc.KeyResolver
	challenges *challengeTable
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Processor == nil {
		return nil, errors.New("vcapi: Config.Processor is required")
	}
	if cfg.Resolver == nil {
		return nil, errors.New("vcapi: Config.Resolver is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.ChallengeTTL <= 0 {
		cfg.ChallengeTTL = DefaultChallengeTTL
	}
	if cfg.MaxChallenges <= 0 {
		cfg.MaxChallenges = DefaultMaxChallenges
	}
	if cfg.Nonces == nil {
		cfg.Nonces = vc.NewMemoryNonceStore(0, cfg.Now)
	}
	if cfg.StatusListPath == "" {
		cfg.StatusListPath = "/status/"
	}
	if err := checkPrefix(cfg.StatusListPath); err != nil {
		return nil, fmt.Errorf("vcapi: StatusListPath: %w", err)
	}
	for _, p := range cfg.DIDPaths {
		if err := checkPrefix(p); err != nil {
			return nil, fmt.Errorf("vcapi: DIDPaths: %w", err)
		}
	}
	issuers := make(map[string]Issuer, len(cfg.Issuers))
	for did, is := range cfg.Issuers {
		if err := checkIssuer(did, is); err != nil {
			return nil, fmt.Errorf("vcapi: issuer %s: %w", did, err)
		}
		issuers[did] = is
	}
	cfg.Issuers = issuers
	s := &Server{cfg: cfg, challenges: newChallengeTable(cfg.MaxChallenges, cfg.ChallengeTTL, cfg.Now)}
	s.holderKeys = cfg.HolderResolver
	if s.holderKeys == nil {
		if mr, ok := cfg.Resolver.(vc.MethodResolver); ok {
			s.holderKeys = vc.KeysFor(mr, identity.Authentication)
		} else {
			s.holderKeys = cfg.Resolver
		}
	}
	return s, nil
}

func checkPrefix(p string) error {
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || strings.ContainsAny(p, " {}") {
		return fmt.Errorf("%q must start and end with / and hold no wildcards", p)
	}
	return nil
}

func checkIssuer(did string, is Issuer) error {
	if _, err := identity.ParseDID(did); err != nil {
		return fmt.Errorf("not a DID: %w", err)
	}
	if len(is.Keys) == 0 {
		return errors.New("no keys")
	}
	for i, k := range is.Keys {
		if k.Signer == nil {
			return fmt.Errorf("key %d: no signer", i)
		}
		if !strings.HasPrefix(k.VerificationMethod, did+"#") {
			return fmt.Errorf("key %d: verification method is not a fragment of the issuer DID", i)
		}
	}
	switch is.Format {
	case "", FormatDataIntegrity, FormatVCJWT:
	default:
		return fmt.Errorf("unknown format %q", is.Format)
	}
	if len(is.StatusLists) > 0 && is.Status == nil {
		return errors.New("StatusLists without Status")
	}
	return nil
}

// Handler returns the HTTP handler with every endpoint (see the package
// documentation). Methods other than the one registered get 405 from the
// mux; unknown paths 404.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if len(s.cfg.Issuers) > 0 {
		s.handle(mux, "POST /credentials/issue", s.issue)
	}
	s.handle(mux, "POST /credentials/verify", s.verifyCredential)
	s.handle(mux, "POST /challenges", s.challenge)
	s.handle(mux, "POST /presentations/verify", s.verifyPresentation)
	if s.cfg.StatusLists != nil {
		mux.Handle("GET "+s.cfg.StatusListPath, s.cfg.StatusLists)
	}
	if s.cfg.DIDs != nil {
		mux.Handle("GET /.well-known/did.json", s.cfg.DIDs)
		for _, p := range s.cfg.DIDPaths {
			mux.Handle("GET "+p, s.cfg.DIDs)
		}
	}
	return mux
}

// handle registers h under pattern behind Config.Authorize.
func (s *Server) handle(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	auth := s.cfg.Authorize
	if auth == nil {
		mux.HandleFunc(pattern, h)
		return
	}
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := auth(r, pattern); err != nil {
			writeError(w, newErr(CodeForbidden, "the caller may not use this endpoint", err))
			return
		}
		h(w, r)
	})
}
