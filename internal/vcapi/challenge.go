package vcapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// ChallengeResponse is the 201 body of POST /challenges.
type ChallengeResponse struct {
	Challenge string `json:"challenge"`
	// Expires is when the challenge stops being accepted (RFC 3339).
	Expires string `json:"expires"`
}

// challengeTable remembers the challenges handed out until they expire.
// Single use is the NonceStore's job; the table only answers "did this
// server issue it, and is it still fresh".
type challengeTable struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	issued map[string]time.Time // challenge → expiry
}

func newChallengeTable(max int, ttl time.Duration, now func() time.Time) *challengeTable {
	return &challengeTable{max: max, ttl: ttl, now: now, issued: map[string]time.Time{}}
}

// mint makes and records a new challenge: 32 random bytes, base64url.
func (t *challengeTable) mint() (string, time.Time, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, newErr(CodeInternal, "reading random bytes", err)
	}
	c := base64.RawURLEncoding.EncodeToString(b[:])
	now := t.now()
	exp := now.Add(t.ttl)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.issued) >= t.max {
		for k, e := range t.issued {
			if !now.Before(e) {
				delete(t.issued, k)
			}
		}
		if len(t.issued) >= t.max {
			return "", time.Time{}, newErr(CodeUnavailable, "the service cannot take more challenges now", nil)
		}
	}
	t.issued[c] = exp
	return c, exp, nil
}

// valid reports whether c was issued here and has not expired.
func (t *challengeTable) valid(c string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.issued[c]
	if !ok {
		return false
	}
	if !t.now().Before(exp) {
		delete(t.issued, c)
		return false
	}
	return true
}

func (s *Server) challenge(w http.ResponseWriter, r *http.Request) {
	// The VC-API request body is empty or {}; anything else is ignored
	// but bounded.
	r.Body = http.MaxBytesReader(w, r.Body, 1024)
	c, exp, err := s.challenges.mint()
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, "application/json", ChallengeResponse{Challenge: c, Expires: exp.UTC().Format(time.RFC3339)})
}
