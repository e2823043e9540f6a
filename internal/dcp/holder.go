package dcp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/sitoken"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

// Credential is one credential the holder keeps: a vc+jwt (Raw is the
// compact JWS) or a Data Integrity credential (Raw is its JSON), with its
// types for scope matching.
type Credential struct {
	Raw   []byte
	JWT   bool
	Types []string
}

// ParseCredential reads a credential file's content: a compact vc+jwt or
// a JSON credential. It reads the types from the payload without
// verifying it (the holder presents what it was issued; verifiers verify).
func ParseCredential(b []byte) (Credential, error) {
	b = []byte(strings.TrimSpace(string(b)))
	var doc map[string]any
	c := Credential{Raw: b}
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &doc); err != nil {
			return c, fmt.Errorf("dcp: credential: %w", err)
		}
	} else {
		parts := strings.Split(string(b), ".")
		if len(parts) != 3 {
			return c, errors.New("dcp: credential: neither a vc+jwt nor a JSON credential")
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil || json.Unmarshal(payload, &doc) != nil {
			return c, errors.New("dcp: credential: the vc+jwt payload is not JSON")
		}
		c.JWT = true
	}
	c.Types = typesOf(doc)
	if !slices.Contains(c.Types, "VerifiableCredential") {
		return c, errors.New("dcp: credential: type does not include VerifiableCredential")
	}
	return c, nil
}

// typesOf returns a document's "type" values.
func typesOf(doc map[string]any) []string {
	switch t := doc["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// HolderConfig configures a Holder.
type HolderConfig struct {
	DID    string       // the holder's DID
	KeyID  string       // its authentication key (a DID URL of DID)
	Signer suite.Signer // that key
	// Credentials are presented to verifiers holding an access token.
	Credentials []Credential
	// Processor signs Data Integrity presentations (SM2 holders); nil
	// makes one with the SM2 suite.
	Processor *vc.Processor
	// Tokens verifies the verifiers' self-issued ID tokens (Audience =
	// DID).
	Tokens *sitoken.Verifier
	// TokenTTL is the life of an access token (default 5 minutes).
	TokenTTL time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
}

// Holder is a credential service: it issues access tokens for the
// self-issued ID tokens its node sends, and answers presentation queries
// that bring one back.
type Holder struct {
	cfg HolderConfig
	key [32]byte // MAC key of the access tokens, per process
	log *slog.Logger
}

// NewHolder checks cfg and returns a Holder.
func NewHolder(cfg HolderConfig) (*Holder, error) {
	if cfg.DID == "" || cfg.Signer == nil || !strings.HasPrefix(cfg.KeyID, cfg.DID+"#") || cfg.Tokens == nil {
		return nil, errors.New("dcp: a holder needs its DID, a key of it and a token verifier")
	}
	if cfg.Processor == nil {
		p, err := vc.New(vc.WithSM2())
		if err != nil {
			return nil, err
		}
		cfg.Processor = p
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Holder{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	rand.Read(h.key[:])
	return h, nil
}

// accessClaims are the claims of an access token: who may use it, until
// when.
type accessClaims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
}

// AccessToken returns an access token for verifier (its DID), to send in
// the "token" claim of a self-issued ID token addressed to it. It is
// "dcp1.<claims>.<HMAC-SHA256>", verified only by this Holder.
func (h *Holder) AccessToken(verifier string) string {
	b, _ := json.Marshal(accessClaims{Aud: verifier, Exp: h.cfg.Now().Add(h.cfg.TokenTTL).Unix()})
	body := "dcp1." + base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(h.mac(body))
}

func (h *Holder) mac(s string) []byte {
	m := hmac.New(sha256.New, h.key[:])
	io.WriteString(m, s)
	return m.Sum(nil)
}

// checkAccess verifies an access token for verifier.
func (h *Holder) checkAccess(tok, verifier string) error {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || !strings.HasPrefix(tok, "dcp1.") {
		return errors.New("malformed access token")
	}
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, h.mac(tok[:i])) {
		return errors.New("access token not issued by this holder")
	}
	b, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok[:i], "dcp1."))
	var c accessClaims
	if json.Unmarshal(b, &c) != nil {
		return errors.New("malformed access token")
	}
	if c.Aud != verifier {
		return errors.New("access token issued to another verifier")
	}
	if h.cfg.Now().Unix() >= c.Exp {
		return errors.New("access token expired")
	}
	return nil
}

// Handler serves POST <service>/presentations/query.
func (h *Holder) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+QueryPath, h.query)
	return mux
}

// queryError answers with DCP's error shape: a status and a code.
func queryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"@context": []string{ContextURL}, "@type": "Error", "code": code, "message": msg})
}

func (h *Holder) query(w http.ResponseWriter, r *http.Request) {
	claims, err := h.cfg.Tokens.Verify(r.Context(), sitoken.FromHeader(r.Header.Get("Authorization")))
	if err != nil {
		h.log.InfoContext(r.Context(), "dcp: presentation query refused", slog.Any("error", err))
		queryError(w, http.StatusUnauthorized, "unauthorized", "a self-issued ID token addressed to this holder is required")
		return
	}
	if err := h.checkAccess(claims.Token, claims.Iss); err != nil {
		h.log.InfoContext(r.Context(), "dcp: presentation query refused", slog.String("verifier", claims.Iss), slog.Any("error", err))
		queryError(w, http.StatusForbidden, "forbidden", "the token claim is not a valid access token of this holder for the caller")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxQueryBytes))
	if err != nil {
		queryError(w, http.StatusBadRequest, "bad_request", "the query is too large")
		return
	}
	types, err := ParseQuery(body)
	if err != nil {
		queryError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	vp, err := h.Present(r.Context(), types, claims.Iss, claims.Jti)
	if err != nil {
		h.log.ErrorContext(r.Context(), "dcp: presenting", slog.Any("error", err))
		queryError(w, http.StatusInternalServerError, "internal", "the presentation could not be made")
		return
	}
	out, err := json.Marshal(PresentationResponseMessage{Presentation: []json.RawMessage{vp}})
	if err != nil {
		queryError(w, http.StatusInternalServerError, "internal", "the presentation could not be made")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// Present makes one presentation of the credentials of the given types,
// for verifier, bound to nonce: a vp+jwt (as a JSON string) or, for an SM2
// holder, a Data Integrity presentation.
func (h *Holder) Present(ctx context.Context, types []string, verifier, nonce string) (json.RawMessage, error) {
	var creds []any
	for _, c := range h.cfg.Credentials {
		if !slices.ContainsFunc(types, func(t string) bool { return slices.Contains(c.Types, t) }) {
			continue
		}
		if c.JWT {
			creds = append(creds, map[string]any{"@context": []string{"https://www.w3.org/ns/credentials/v2"},
				"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt," + string(c.Raw)})
		} else {
			creds = append(creds, json.RawMessage(c.Raw))
		}
	}
	vp := map[string]any{"@context": []string{"https://www.w3.org/ns/credentials/v2"}, "type": []string{"VerifiablePresentation"},
		"holder": h.cfg.DID}
	if len(creds) > 0 {
		vp["verifiableCredential"] = creds
	}
	now := h.cfg.Now()
	if h.cfg.Signer.Alg() == suite.SM2 {
		return h.cfg.Processor.SignPresentation(ctx, vp, vc.ProofOptions{Cryptosuite: vc.SM2RDFC2025, VerificationMethod: h.cfg.KeyID,
			Created: now, Expires: now.Add(5 * time.Minute), Domain: verifier, Challenge: nonce, Signer: h.cfg.Signer})
	}
	tok, err := h.cfg.Processor.SignPresentationJWT(ctx, vp, vc.PresentationJWTOptions{Signer: h.cfg.Signer, KeyID: h.cfg.KeyID,
		Nonce: nonce, Audience: verifier, IssuedAt: now, Expires: now.Add(5 * time.Minute)})
	if err != nil {
		return nil, err
	}
	return json.Marshal(tok)
}
