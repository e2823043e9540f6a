package trust

import (
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/xborder/xborder/internal/identity"
)

// Format is the "format" member of every registry this version reads and
// writes.
const Format = "xborder-trust-registry/1"

// Bounds on a registry.
const (
	MaxRegistrySize = 4 << 20 // bytes of a signed registry
	MaxEntries      = 10000
	MaxTypes        = 64  // credential types per entry
	MaxStringLen    = 512 // bytes of any string member
	MaxSequence     = 1<<53 - 1
)

// WildcardType in an entry's credentialTypes trusts the issuer for every
// credential type.
const WildcardType = "*"

// baseType is the type every credential has; it says nothing about what the
// issuer attests.
const baseType = "VerifiableCredential"

var jurisdictionPattern = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)

// Registry is a trust registry: which issuers are trusted for which credential
// types in which jurisdictions, under which scheme.
type Registry struct {
	// ID identifies the registry (a URI); verifiers pin it, and the
	// high-water mark is kept per ID.
	ID string
	// Operator names the registry operator (a DID or a name).
	Operator string
	// Scheme is the name of the trust scheme the registry implements
	// (for example "CN-EU cross-border data pilot"); an entry may name
	// its own.
	Scheme string
	// Sequence increases with every published version (1 to 2^53-1).
	Sequence uint64
	// Issued and NextUpdate bound when this version is current: after
	// NextUpdate it is stale and Accept refuses to use it.
	Issued, NextUpdate time.Time
	Entries            []Entry
}

// Entry trusts one issuer for some credential types in one jurisdiction.
type Entry struct {
	// Name is the entry's human name (the issuer's legal name, say).
	Name string
	// Issuer is the issuer's DID.
	Issuer string
	// Jurisdiction is an ISO 3166-1 alpha-2 code, optionally with an
	// ISO 3166-2 subdivision ("CN", "DE", "CN-SH"), or "EU", upper case.
	Jurisdiction string
	// CredentialTypes lists the types the issuer is trusted for; "*"
	// means all.
	CredentialTypes []string
	// Scheme overrides the registry's scheme for this entry when set.
	Scheme string
	// ValidFrom and ValidUntil (zero: open-ended) bound the entry.
	ValidFrom, ValidUntil time.Time
}

func checkString(what, s string, required bool) error {
	if required && s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(s) > MaxStringLen {
		return fmt.Errorf("%s is longer than %d bytes", what, MaxStringLen)
	}
	return nil
}

// Validate checks the registry against the format's rules.
func (r *Registry) Validate() error {
	if u, err := url.Parse(r.ID); err != nil || u.Scheme == "" || len(r.ID) > MaxStringLen {
		return fmt.Errorf("registry id %q is not an absolute URI", r.ID)
	}
	if err := checkString("operator", r.Operator, true); err != nil {
		return err
	}
	if err := checkString("scheme", r.Scheme, true); err != nil {
		return err
	}
	if r.Sequence < 1 || r.Sequence > MaxSequence {
		return fmt.Errorf("sequence %d outside 1 to 2^53-1", r.Sequence)
	}
	if r.Issued.IsZero() || !r.NextUpdate.After(r.Issued) {
		return fmt.Errorf("nextUpdate %v is not after issued %v", r.NextUpdate, r.Issued)
	}
	if len(r.Entries) > MaxEntries {
		return fmt.Errorf("%d entries, over %d", len(r.Entries), MaxEntries)
	}
	for i := range r.Entries {
		if err := r.Entries[i].validate(); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return nil
}

func (e *Entry) validate() error {
	if err := checkString("name", e.Name, true); err != nil {
		return err
	}
	if err := checkString("scheme", e.Scheme, false); err != nil {
		return err
	}
	if len(e.Issuer) > MaxStringLen {
		return fmt.Errorf("issuer is longer than %d bytes", MaxStringLen)
	}
	if _, err := identity.ParseDID(e.Issuer); err != nil {
		return fmt.Errorf("issuer %q: %w", e.Issuer, err)
	}
	if !jurisdictionPattern.MatchString(e.Jurisdiction) {
		return fmt.Errorf("jurisdiction %q is not an upper-case ISO 3166 code", e.Jurisdiction)
	}
	if len(e.CredentialTypes) == 0 || len(e.CredentialTypes) > MaxTypes {
		return fmt.Errorf("%d credential types: want 1 to %d", len(e.CredentialTypes), MaxTypes)
	}
	for _, t := range e.CredentialTypes {
		if err := checkString("credential type", t, true); err != nil {
			return err
		}
	}
	if e.ValidFrom.IsZero() {
		return fmt.Errorf("entry %q has no validFrom", e.Name)
	}
	if !e.ValidUntil.IsZero() && !e.ValidUntil.After(e.ValidFrom) {
		return fmt.Errorf("entry %q: validUntil is not after validFrom", e.Name)
	}
	return nil
}
