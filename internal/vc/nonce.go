package vc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNonceUsed is what a NonceStore returns (possibly wrapped) for a nonce
// it has already seen; VerifyPresentation reports it as CodeReplayed.
var ErrNonceUsed = errors.New("nonce already used")

// NonceStore gives replay protection to presentation verification: Use
// records nonce as spent and fails, with an error wrapping ErrNonceUsed, when
// it was spent before. until is how long the record must be kept: after
// until the presentation that carried the nonce no longer verifies anyway
// (its proof is older than MaxAge or has expired). A zero until means keep
// it for ever. Any other error (a store that is full or unreachable) is
// reported as CodeInternal and the presentation is refused.
//
// VerifyPresentation calls Use last, after everything else verified, so a
// forged presentation cannot spend a genuine nonce. A store shared by
// several verifier instances must make Use atomic across them.
type NonceStore interface {
	Use(ctx context.Context, nonce string, until time.Time) error
}

// DefaultMaxNonces bounds a MemoryNonceStore made with a zero limit.
const DefaultMaxNonces = 1 << 20

// MemoryNonceStore is an in-memory NonceStore for one process. Expired
// records are dropped as new ones come in. When MaxEntries unexpired
// records are held, Use fails (CodeInternal) rather than forget one that a
// replay could still exploit. It is safe for concurrent use.
type MemoryNonceStore struct {
	now func() time.Time
	max int

	mu    sync.Mutex
	used  map[string]time.Time // nonce → until (zero: for ever)
	sweep time.Time            // when expired records were last dropped
}

// NewMemoryNonceStore returns an empty store holding at most maxEntries
// (0: DefaultMaxNonces) unexpired nonces. now is its clock (nil: time.Now);
// it should be the clock the verifier's PresentationOptions.Now follows.
func NewMemoryNonceStore(maxEntries int, now func() time.Time) *MemoryNonceStore {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxNonces
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryNonceStore{now: now, max: maxEntries, used: map[string]time.Time{}}
}

// Use implements NonceStore.
func (s *MemoryNonceStore) Use(ctx context.Context, nonce string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.used[nonce]; ok && (u.IsZero() || now.Before(u)) {
		return fmt.Errorf("nonce %.16q: %w", nonce, ErrNonceUsed)
	}
	if len(s.used) >= s.max || now.Sub(s.sweep) > time.Minute {
		s.dropExpired(now)
	}
	if len(s.used) >= s.max {
		return fmt.Errorf("nonce store full (%d unexpired nonces)", s.max)
	}
	s.used[nonce] = until
	return nil
}

// Len returns the number of records held, expired ones not yet dropped
// included.
func (s *MemoryNonceStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.used)
}

func (s *MemoryNonceStore) dropExpired(now time.Time) {
	for n, u := range s.used {
		if !u.IsZero() && !now.Before(u) {
			delete(s.used, n)
		}
	}
	s.sweep = now
}
