package trust

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Anchor is the trust anchor that accepted an issuer: the registry version
// and the entry. A verification result names it.
type Anchor struct {
	RegistryID string    `json:"registryId"`
	Operator   string    `json:"operator"`
	Sequence   uint64    `json:"sequence"` // the registry version
	Issued     time.Time `json:"issued"`
	Scheme     string    `json:"scheme"`
	// The matched entry.
	EntryName       string    `json:"entryName"`
	Issuer          string    `json:"issuer"`
	Jurisdiction    string    `json:"jurisdiction"`
	CredentialTypes []string  `json:"credentialTypes"`
	ValidFrom       time.Time `json:"validFrom"`
	ValidUntil      time.Time `json:"validUntil,omitzero"`
}

// Accept finds the entry that trusts issuerDID for a credential of
// credentialTypes in jurisdiction at time at (normally now), and returns it as
// an Anchor.
//
// Matching: the entry's issuer equals issuerDID exactly; its jurisdiction
// equals jurisdiction (compared in upper case); at is in [validFrom,
// validUntil); and the entry covers every type of credentialTypes other than
// "VerifiableCredential" — one entry must cover them all, so a credential
// cannot borrow trust for one type to assert another. An entry with "*"
// covers every type; a credential with no type but "VerifiableCredential"
// needs "*" or an explicit "VerifiableCredential". Entries are tried in
// registry order and the first match wins.
//
// A registry past its NextUpdate at time at fails with CodeStaleRegistry; no
// match fails with CodeUntrustedIssuer.
func (r *Registry) Accept(issuerDID string, credentialTypes []string, jurisdiction string, at time.Time) (Anchor, error) {
	if at.After(r.NextUpdate) {
		return Anchor{}, errorf(CodeStaleRegistry, nil, fmt.Sprintf("registry %s (sequence %d) was due for update at %s", r.ID, r.Sequence, r.NextUpdate.Format(time.RFC3339)))
	}
	jurisdiction = strings.ToUpper(jurisdiction)
	var specific []string
	for _, t := range credentialTypes {
		if t != baseType && !slices.Contains(specific, t) {
			specific = append(specific, t)
		}
	}
	if len(specific) == 0 {
		specific = []string{baseType}
	}
	why := "no entry for this issuer"
	for i := range r.Entries {
		e := &r.Entries[i]
		if e.Issuer != issuerDID {
			continue
		}
		if e.Jurisdiction != jurisdiction {
			why = "the issuer has no entry in this jurisdiction"
			continue
		}
		if !covers(e.CredentialTypes, specific) {
			why = "the issuer is not trusted for these credential types here"
			continue
		}
		if at.Before(e.ValidFrom) || (!e.ValidUntil.IsZero() && !at.Before(e.ValidUntil)) {
			why = "the issuer's entry is not valid at this time"
			continue
		}
		scheme := e.Scheme
		if scheme == "" {
			scheme = r.Scheme
		}
		return Anchor{RegistryID: r.ID, Operator: r.Operator, Sequence: r.Sequence, Issued: r.Issued, Scheme: scheme,
			EntryName: e.Name, Issuer: e.Issuer, Jurisdiction: e.Jurisdiction, CredentialTypes: slices.Clone(e.CredentialTypes),
			ValidFrom: e.ValidFrom, ValidUntil: e.ValidUntil}, nil
	}
	return Anchor{}, errorf(CodeUntrustedIssuer, nil, fmt.Sprintf("%s for %v in %q at %s (registry %s, sequence %d): %s",
		issuerDID, specific, jurisdiction, at.UTC().Format(time.RFC3339), r.ID, r.Sequence, why))
}

func covers(entryTypes, want []string) bool {
	if slices.Contains(entryTypes, WildcardType) {
		return true
	}
	for _, t := range want {
		if !slices.Contains(entryTypes, t) {
			return false
		}
	}
	return true
}
