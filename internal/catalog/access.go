package catalog

import (
	"context"
	"encoding/json"
)

// Requester is who asks the catalog: a participant identified by its DID,
// with the claims of the credentials it presented, already verified by the
// caller (the connector verifies presentations; the catalog never does).
// The zero Requester is anonymous.
type Requester struct {
	DID    string
	Claims map[string]any
	// operator is the local operator (the command line, the management
	// API): sees every entry. Only Operator sets it.
	operator bool
}

// Operator returns the requester of the local operator, who sees every
// entry, restricted ones included.
func Operator() Requester { return Requester{operator: true} }

// IsOperator reports whether r is the local operator.
func (r Requester) IsOperator() bool { return r.operator }

// AccessChecker decides whether a requester's verified credentials satisfy
// an entry's access policy (governance.accessPolicy, an ODRL policy kept
// verbatim). The ODRL engine (internal/odrl) will implement it; the catalog
// only asks. An error counts as a denial.
type AccessChecker interface {
	CheckAccess(ctx context.Context, r Requester, policy json.RawMessage) (bool, error)
}

// Visibility, by classification level:
//
//	public     everyone, anonymous requesters included
//	internal   any authenticated requester (a DID)
//	sensitive  the owner, the operator, and requesters whose credentials
//	core       satisfy the access policy according to the AccessChecker;
//	           nobody else when the entry has no policy or the catalog no
//	           checker (default deny)
type visibility uint8

const (
	visPublic visibility = iota
	visInternal
	visRestricted
)

func visibilityOf(level string) visibility {
	switch level {
	case LevelPublic:
		return visPublic
	case LevelInternal:
		return visInternal
	}
	return visRestricted
}

// target is what an access decision needs of an entry, copied out of the
// index so that no lock is held while the checker runs.
type target struct {
	vis    visibility
	owner  string
	policy int32 // -1 without a policy
	json   json.RawMessage
}

// targetOf copies the access facts of document i; the caller holds the
// index lock.
func (ix *index) targetOf(i int32) target {
	h := &ix.hot[i]
	t := target{vis: h.vis, owner: ix.docs[i].owner, policy: h.policy}
	if h.policy >= 0 {
		t.json = ix.policies[h.policy]
	}
	return t
}

// accessCache memoises the checker's decisions for one request, per
// distinct policy: 0 not asked yet, 1 granted, -1 denied.
type accessCache []int8

func (c *Catalog) visible(ctx context.Context, r Requester, t target, cache accessCache) bool {
	if r.operator {
		return true
	}
	switch t.vis {
	case visPublic:
		return true
	case visInternal:
		return r.DID != ""
	}
	if r.DID == "" {
		return false
	}
	if r.DID == t.owner {
		return true
	}
	if t.policy < 0 || c.cfg.Checker == nil {
		return false
	}
	if int(t.policy) < len(cache) && cache[t.policy] != 0 {
		return cache[t.policy] > 0
	}
	ok, err := c.cfg.Checker.CheckAccess(ctx, r, t.json)
	if err != nil {
		c.log.WarnContext(ctx, "catalog: access check failed; denied", "error", err)
		ok = false
	}
	if int(t.policy) < len(cache) {
		cache[t.policy] = -1
		if ok {
			cache[t.policy] = 1
		}
	}
	return ok
}
