package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/odrl"
)

// ODRLChecker is the AccessChecker backed by internal/odrl. An entry's
// access policy (an ODRL policy, kept verbatim in governance.accessPolicy)
// lets a requester see the entry when it permits the action "read" on the
// policy's target to the requester's DID, with the requester's verified
// claims (left operands claim:NAME) at the checker's clock. Anything else —
// deny, not applicable, a policy that does not parse — hides the entry
// (fail closed).
//
// Policies are parsed and prepared once and kept by content digest, at most
// maxPrepared of them (then the cache starts over). It is safe for
// concurrent use.
type ODRLChecker struct {
	now func() time.Time

	mu    sync.RWMutex
	cache map[[32]byte]*accessPolicy
}

type accessPolicy struct {
	p      *odrl.Prepared
	target string
	err    error
}

const maxPrepared = 4096

// NewODRLChecker returns a checker deciding at now() (time.Now when nil).
func NewODRLChecker(now func() time.Time) *ODRLChecker {
	if now == nil {
		now = time.Now
	}
	return &ODRLChecker{now: now, cache: map[[32]byte]*accessPolicy{}}
}

// CheckAccess implements AccessChecker.
func (c *ODRLChecker) CheckAccess(ctx context.Context, r Requester, policy json.RawMessage) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if r.DID == "" {
		return false, nil
	}
	pp, err := c.prepare(policy)
	if err != nil {
		return false, err
	}
	d := pp.p.Evaluate(odrl.Request{
		Assignee: r.DID,
		Action:   "read",
		Target:   pp.target,
		Claims:   r.Claims,
		Now:      c.now(),
	})
	return d.Permitted(), nil
}

func (c *ODRLChecker) prepare(policy json.RawMessage) (*accessPolicy, error) {
	key := sha256.Sum256(policy)
	c.mu.RLock()
	pp, ok := c.cache[key]
	c.mu.RUnlock()
	if !ok {
		pp = &accessPolicy{}
		p, err := odrl.Parse(policy)
		if err == nil {
			pp.p, err = odrl.Prepare(p)
			if p.Target != nil {
				pp.target = p.Target.UID
			} else if len(p.Permissions) > 0 && p.Permissions[0].Target != nil {
				pp.target = p.Permissions[0].Target.UID
			}
		}
		pp.err = err
		c.mu.Lock()
		if len(c.cache) >= maxPrepared {
			c.cache = map[[32]byte]*accessPolicy{}
		}
		c.cache[key] = pp
		c.mu.Unlock()
	}
	if pp.err != nil {
		return nil, fmt.Errorf("the entry's access policy: %w", pp.err)
	}
	return pp, nil
}
