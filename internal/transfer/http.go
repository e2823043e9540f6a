package transfer

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// HTTP names of the pull and push endpoints.
const (
	// ContentType is the media type of a stream.
	ContentType = "application/vnd.xborder.transfer-stream"
	// FromParam is the query parameter that asks for a stream starting at
	// a chunk: ?from=k resumes after the consumer verified chunks [0, k).
	FromParam = "from"
	// NextChunkHeader is the response header in which a push receiver
	// tells the chunk it needs next.
	NextChunkHeader = "Xborder-Next-Chunk"
)

const maxFormBytes = 16 << 10

// Handler serves the pull endpoint, to be mounted (with http.StripPrefix)
// at ProviderConfig.BaseURL:
//
//	GET  /{id}?from=k   the stream, from chunk k (default 0);
//	                    Authorization: Bearer <access token>
//	POST /{id}/token    a new access token: form grant_type=refresh_token,
//	                    refresh_token=<refresh token> (RFC 6749 §6);
//	                    JSON reply access_token, token_type, expires_in
//
// Replies: 200 with the stream (Content-Length when the size is
// declared); 400 bad from; 401 missing, forged, expired or other-transfer
// token (WWW-Authenticate says which); 404 unknown transfer; 409
// suspended; 410 terminated or completed; 416 from beyond the end. A
// stream stopped mid-way (suspension, termination, a newer stream of the
// same transfer) ends with the connection aborted.
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{id}", p.serveStream)
	mux.HandleFunc("POST /{id}/token", p.serveRefresh)
	return mux
}

func (p *Provider) serveStream(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := p.tokens.Verify(bearer(r), UseAccess, id); err != nil {
		unauthorized(w, err)
		return
	}
	from, err := parseFrom(r.URL.Query().Get(FromParam))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	j, err := p.prepare(r.Context(), id, from)
	if err != nil {
		p.replyError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	if t := j.e.t; t.Size > 0 {
		n := streamLength(headerBodyLen(t.Binding, j.key), p.cfg.ChunkSize, t.Size, from)
		h.Set("Content-Length", strconv.FormatInt(n, 10))
	}
	w.WriteHeader(http.StatusOK)
	if _, err := j.run(w); err != nil {
		panic(http.ErrAbortHandler) // an incomplete stream must not look complete
	}
}

func (p *Provider) serveRefresh(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "want grant_type=refresh_token")
		return
	}
	if _, err := p.tokens.Verify(r.PostForm.Get("refresh_token"), UseRefresh, id); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	e, err := p.lookup(id)
	if err != nil {
		p.replyError(w, r, err)
		return
	}
	access, exp, err := p.tokens.Issue(e.t.Suite, id, UseAccess, e.t.ConsumerDID, p.cfg.AccessTTL)
	if err != nil {
		p.replyError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(tokenReply{AccessToken: access, TokenType: "Bearer",
		ExpiresIn: int64(exp.Sub(p.cfg.Now()).Seconds()), RefreshToken: r.PostForm.Get("refresh_token")})
}

type tokenReply struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// statusOf maps the errors of a transfer's state to HTTP.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownTransfer):
		return http.StatusNotFound
	case errors.Is(err, ErrTerminated):
		return http.StatusGone
	case errors.Is(err, ErrSuspended):
		return http.StatusConflict
	case errors.Is(err, errRange):
		return http.StatusRequestedRangeNotSatisfiable
	case errors.Is(err, ErrTokenInvalid), errors.Is(err, ErrTokenExpired), errors.Is(err, ErrTokenScope):
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

// replyError answers with the status of err; the body is err's text only
// for the state errors (they name the transfer and nothing secret).
func (p *Provider) replyError(w http.ResponseWriter, r *http.Request, err error) {
	st := statusOf(err)
	msg := err.Error()
	if st == http.StatusInternalServerError {
		p.log.LogAttrs(r.Context(), slog.LevelError, "transfer request failed",
			slog.String("path", r.URL.Path), slog.Any("error", err))
		msg = "internal error"
	}
	http.Error(w, msg, st)
}

func unauthorized(w http.ResponseWriter, err error) {
	desc := "invalid token"
	switch {
	case errors.Is(err, ErrTokenExpired):
		desc = "token expired"
	case errors.Is(err, ErrTokenScope):
		desc = "token is for another transfer or use"
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", error_description=%q`, desc))
	http.Error(w, "transfer: "+desc, http.StatusUnauthorized)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

func parseFrom(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n >= maxChunks {
		return 0, fmt.Errorf("transfer: bad %s=%q", FromParam, s)
	}
	return n, nil
}

// headerBodyLen is the length of the header record body of a stream of k.
func headerBodyLen(b Binding, k *Key) int {
	return headerFixed + 6*2 + len(b.TransferID) + len(b.AgreementID) + len(b.ProviderDID) + len(b.ConsumerDID) +
		len(k.consumerPub) + len(k.providerPub) + sigSize
}
