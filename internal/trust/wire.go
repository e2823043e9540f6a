package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// wireRegistry and wireEntry are the JSON form of a registry. Times are
// RFC 3339 in UTC to the second ("2026-01-02T03:04:05Z").
type wireRegistry struct {
	Format     string      `json:"format"`
	ID         string      `json:"id"`
	Operator   string      `json:"operator"`
	Scheme     string      `json:"scheme"`
	Sequence   uint64      `json:"sequence"`
	Issued     string      `json:"issued"`
	NextUpdate string      `json:"nextUpdate"`
	Entries    []wireEntry `json:"entries"`
}

type wireEntry struct {
	Name            string   `json:"name"`
	Issuer          string   `json:"issuer"`
	Jurisdiction    string   `json:"jurisdiction"`
	CredentialTypes []string `json:"credentialTypes"`
	Scheme          string   `json:"scheme,omitempty"`
	ValidFrom       string   `json:"validFrom"`
	ValidUntil      string   `json:"validUntil,omitempty"`
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// parseTime reads the one form formatTime writes.
func parseTime(what, s string, optional bool) (time.Time, error) {
	if s == "" && optional {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || formatTime(t) != s {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 UTC time to the second (…Z)", what, s)
	}
	return t, nil
}

func toWire(r *Registry) wireRegistry {
	w := wireRegistry{Format: Format, ID: r.ID, Operator: r.Operator, Scheme: r.Scheme, Sequence: r.Sequence,
		Issued: formatTime(r.Issued), NextUpdate: formatTime(r.NextUpdate), Entries: make([]wireEntry, len(r.Entries))}
	for i, e := range r.Entries {
		w.Entries[i] = wireEntry{Name: e.Name, Issuer: e.Issuer, Jurisdiction: e.Jurisdiction,
			CredentialTypes: e.CredentialTypes, Scheme: e.Scheme,
			ValidFrom: formatTime(e.ValidFrom), ValidUntil: formatTime(e.ValidUntil)}
	}
	return w
}

func fromWire(w wireRegistry) (*Registry, error) {
	if w.Format != Format {
		return nil, fmt.Errorf("format %q, want %q", w.Format, Format)
	}
	r := &Registry{ID: w.ID, Operator: w.Operator, Scheme: w.Scheme, Sequence: w.Sequence, Entries: make([]Entry, len(w.Entries))}
	var err error
	if r.Issued, err = parseTime("issued", w.Issued, false); err != nil {
		return nil, err
	}
	if r.NextUpdate, err = parseTime("nextUpdate", w.NextUpdate, false); err != nil {
		return nil, err
	}
	for i, we := range w.Entries {
		e := Entry{Name: we.Name, Issuer: we.Issuer, Jurisdiction: we.Jurisdiction, CredentialTypes: we.CredentialTypes, Scheme: we.Scheme}
		if e.ValidFrom, err = parseTime("validFrom", we.ValidFrom, false); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if e.ValidUntil, err = parseTime("validUntil", we.ValidUntil, true); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		r.Entries[i] = e
	}
	return r, nil
}

// canonicalRegistry returns the JCS form of r's JSON form.
func canonicalRegistry(r *Registry) ([]byte, error) {
	b, err := json.Marshal(toWire(r))
	if err != nil {
		return nil, fmt.Errorf("encoding the registry: %w", err)
	}
	return Canonicalize(b)
}

// decodeCanonical decodes the canonical JSON of a registry and checks that
// writing it back gives the same bytes: no unknown or differently-cased
// members, no null where a value belongs, no non-canonical time. What was
// signed is then exactly what is used.
func decodeCanonical(canon []byte) (*Registry, error) {
	var w wireRegistry
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decoding the registry: %w", err)
	}
	r, err := fromWire(w)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	again, err := canonicalRegistry(r)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, canon) {
		return nil, fmt.Errorf("the registry holds members or values this format does not define")
	}
	return r, nil
}

// ParseUnsigned reads a registry in its JSON form (the "registry" member of
// a signed document, without signatures), as an operator writes it before
// signing. Unknown members and malformed times are errors.
func ParseUnsigned(data []byte) (*Registry, error) {
	var w wireRegistry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decoding the registry: %w", err)
	}
	r, err := fromWire(w)
	if err != nil {
		return nil, err
	}
	return r, r.Validate()
}
