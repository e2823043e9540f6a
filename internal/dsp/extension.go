package dsp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
)

// Extensions are the properties of a message that its protocol leaves to
// other vocabularies: names that are absolute IRIs (with a scheme and no
// compact-IRI prefix the DSP context defines), values any JSON. A JSON-LD
// processor keeps them as they are; a connector that does not know them
// ignores them, as the 2025-1 schemas allow. xborder uses them on the
// TransferRequestMessage for what the protocol has no field for, such as
// the consumer's ephemeral key of the encrypted data plane.
type Extensions map[string]json.RawMessage

// Bounds of the extensions of one message.
const (
	MaxExtensions     = 8
	MaxExtensionBytes = 4096
)

// String returns the string value of the extension name ("" and false if
// absent or not a JSON string).
func (e Extensions) String(name string) (string, bool) {
	raw, ok := e[name]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// SetString sets the extension name to the string v.
func (e *Extensions) SetString(name, v string) {
	if *e == nil {
		*e = Extensions{}
	}
	b, _ := json.Marshal(v)
	(*e)[name] = b
}

// checkExtensionName reports whether k is an absolute IRI usable as an
// extension property: a URL with a scheme of its own, not a compact IRI
// such as odrl:purpose or dspace:foo.
func checkExtensionName(k string) error {
	u, err := url.Parse(k)
	if err != nil || u.Scheme == "" || u.Opaque == "" && u.Host == "" {
		return fmt.Errorf("%q is not an absolute IRI", clip(k))
	}
	switch u.Scheme {
	case "odrl", "dspace", "dcat", "dct", "xsd", "rdf", "rdfs", "foaf", "skos", "vcard":
		return fmt.Errorf("%q is a compact IRI of a known vocabulary, not an extension", clip(k))
	}
	return nil
}

// validate checks the bounds and names.
func (e Extensions) validate() error {
	if len(e) > MaxExtensions {
		return badMsg("", "%d extension properties; at most %d", len(e), MaxExtensions)
	}
	for k, v := range e {
		if err := checkExtensionName(k); err != nil {
			return badMsg(k, "%v", err)
		}
		if len(v) > MaxExtensionBytes || !json.Valid(v) {
			return badMsg(k, "an extension value is valid JSON of at most %d bytes", MaxExtensionBytes)
		}
	}
	return nil
}

// readExtensions collects the extension properties of a decoded object:
// the absolute IRIs. Compact IRIs of other contexts stay ignored.
func readExtensions(top map[string]json.RawMessage) (Extensions, error) {
	var e Extensions
	for k, v := range top {
		if !isExtension(k) || checkExtensionName(k) != nil {
			continue
		}
		if e == nil {
			e = Extensions{}
		}
		e[k] = bytes.Clone(v)
	}
	return e, e.validate()
}

// appendTo writes the extensions into the encoded object b, sorted by name.
func (e Extensions) appendTo(b []byte) ([]byte, error) {
	if len(e) == 0 {
		return b, nil
	}
	if err := e.validate(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := b[:len(b)-1] // the closing brace
	for _, k := range keys {
		var v bytes.Buffer
		if err := json.Compact(&v, e[k]); err != nil {
			return nil, err
		}
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		out = append(out, ',')
		out = append(out, name...)
		out = append(out, ':')
		out = append(out, v.Bytes()...)
	}
	return append(out, '}'), nil
}

// clone copies the map (the values are not modified in place).
func (e Extensions) clone() Extensions {
	if e == nil {
		return nil
	}
	c := make(Extensions, len(e))
	for k, v := range e {
		c[k] = bytes.Clone(v)
	}
	return c
}
