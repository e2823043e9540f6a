package statuslist

import (
	"time"

	"github.com/xborder/xborder/internal/vc"
)

// CredentialParams are the variable parts of a status list credential.
type CredentialParams struct {
	URL        string // the credential's id and every entry's statusListCredential
	Issuer     string // the issuer's DID
	Purpose    Purpose
	Encoded    string    // encodedList
	ValidFrom  time.Time // written in UTC, to the second
	ValidUntil time.Time // written when non-zero
	TTL        time.Duration
}

// BuildCredential returns the unsigned BitstringStatusListCredential (§2.2):
//
//	{"@context": ["https://www.w3.org/ns/credentials/v2"],
//	 "id": URL, "type": ["VerifiableCredential", "BitstringStatusListCredential"],
//	 "issuer": Issuer, "validFrom": …, "validUntil": …,
//	 "credentialSubject": {"id": URL#list, "type": "BitstringStatusList",
//	   "statusPurpose": …, "encodedList": "u…", "ttl": milliseconds}}
//
// The VCDM 2.0 base context defines every status list term, so the
// status/v1 context is not listed.
func BuildCredential(p CredentialParams) map[string]any {
	subject := map[string]any{
		"id":            p.URL + "#list",
		"type":          TypeList,
		"statusPurpose": string(p.Purpose),
		"encodedList":   p.Encoded,
	}
	if p.TTL > 0 {
		subject["ttl"] = p.TTL.Milliseconds()
	}
	doc := map[string]any{
		"@context":          []any{vc.ContextV2},
		"id":                p.URL,
		"type":              []any{"VerifiableCredential", TypeListCredential},
		"issuer":            p.Issuer,
		"validFrom":         p.ValidFrom.UTC().Format(time.RFC3339),
		"credentialSubject": subject,
	}
	if !p.ValidUntil.IsZero() {
		doc["validUntil"] = p.ValidUntil.UTC().Format(time.RFC3339)
	}
	return doc
}
