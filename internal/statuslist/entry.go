package statuslist

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Purpose is a statusPurpose.
type Purpose string

// Status purposes of the specification (§2.1).
const (
	PurposeRevocation Purpose = "revocation" // permanent: a set bit is never cleared
	PurposeSuspension Purpose = "suspension" // reversible
	PurposeRefresh    Purpose = "refresh"    // a newer credential is available
	PurposeMessage    Purpose = "message"    // the status is explained by statusMessage
)

// Valid reports whether p is one of the specification's purposes.
func (p Purpose) Valid() bool {
	switch p {
	case PurposeRevocation, PurposeSuspension, PurposeRefresh, PurposeMessage:
		return true
	}
	return false
}

// Type names of the specification.
const (
	TypeEntry          = "BitstringStatusListEntry"
	TypeList           = "BitstringStatusList"
	TypeListCredential = "BitstringStatusListCredential"
)

// StatusMessage is one statusMessage item of an entry with statusSize > 1.
type StatusMessage struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Entry is a BitstringStatusListEntry: a credentialStatus item.
type Entry struct {
	ID                   string          `json:"id,omitempty"`
	Type                 string          `json:"type"`
	StatusPurpose        Purpose         `json:"statusPurpose"`
	StatusListIndex      string          `json:"statusListIndex"`
	StatusListCredential string          `json:"statusListCredential"`
	StatusSize           int             `json:"statusSize,omitempty"`
	StatusMessage        []StatusMessage `json:"statusMessage,omitempty"`
	StatusReference      any             `json:"statusReference,omitempty"`
}

// NewEntry returns the entry of index in the list published at listURL:
// {id: listURL#index, type, statusPurpose, statusListIndex, statusListCredential}.
func NewEntry(listURL string, purpose Purpose, index int) Entry {
	idx := strconv.Itoa(index)
	return Entry{
		ID:                   listURL + "#" + idx,
		Type:                 TypeEntry,
		StatusPurpose:        purpose,
		StatusListIndex:      idx,
		StatusListCredential: listURL,
	}
}

// Map returns the entry as a JSON object, ready to be put under a
// credential's credentialStatus.
func (e Entry) Map() map[string]any {
	m := map[string]any{
		"type":                 e.Type,
		"statusPurpose":        string(e.StatusPurpose),
		"statusListIndex":      e.StatusListIndex,
		"statusListCredential": e.StatusListCredential,
	}
	if e.ID != "" {
		m["id"] = e.ID
	}
	if e.StatusSize != 0 {
		m["statusSize"] = e.StatusSize
	}
	if len(e.StatusMessage) > 0 {
		msgs := make([]any, len(e.StatusMessage))
		for i, sm := range e.StatusMessage {
			msgs[i] = map[string]any{"status": sm.Status, "message": sm.Message}
		}
		m["statusMessage"] = msgs
	}
	if e.StatusReference != nil {
		m["statusReference"] = e.StatusReference
	}
	return m
}

// maxIndexDigits bounds statusListIndex: a list of DefaultMaxDecodedBytes has
// fewer than 10^9 entries.
const maxIndexDigits = 10

// Index parses statusListIndex: a non-negative decimal integer written as a
// string, digits only.
func (e Entry) Index() (int, error) {
	s := e.StatusListIndex
	if s == "" || len(s) > maxIndexDigits {
		return 0, errorf(CodeStatusInvalid, nil, fmt.Sprintf("statusListIndex %q is not a decimal integer of 1 to %d digits", s, maxIndexDigits))
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errorf(CodeStatusInvalid, nil, fmt.Sprintf("statusListIndex %q is not a decimal integer", s))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errorf(CodeStatusInvalid, err, "statusListIndex")
	}
	return n, nil
}

// Size returns statusSize, 1 when absent.
func (e Entry) Size() int {
	if e.StatusSize == 0 {
		return 1
	}
	return e.StatusSize
}

// Validate checks the entry's shape: type, purpose, index, URL, size, and
// that an entry with statusSize > 1 carries 2^statusSize messages.
func (e Entry) Validate() error {
	if e.Type != TypeEntry {
		return errorf(CodeStatusInvalid, nil, fmt.Sprintf("credentialStatus type %q is not %s", e.Type, TypeEntry))
	}
	if !e.StatusPurpose.Valid() {
		return errorf(CodeStatusInvalid, nil, fmt.Sprintf("unknown statusPurpose %q", e.StatusPurpose))
	}
	if _, err := e.Index(); err != nil {
		return err
	}
	if e.StatusListCredential == "" {
		return errorf(CodeStatusInvalid, nil, "entry has no statusListCredential")
	}
	if e.StatusSize < 0 || e.StatusSize > 8 {
		return errorf(CodeStatusInvalid, nil, fmt.Sprintf("statusSize %d: this implementation reads 1 to 8", e.StatusSize))
	}
	if e.Size() > 1 && len(e.StatusMessage) != 1<<e.Size() {
		return errorf(CodeStatusInvalid, nil, fmt.Sprintf("statusSize %d needs %d statusMessage items, got %d", e.Size(), 1<<e.Size(), len(e.StatusMessage)))
	}
	return nil
}

// EntriesOf returns the credentialStatus entries of a decoded credential (an
// object or an array of objects; none is an empty slice). Entries of another
// type are returned too; Validate refuses them.
func EntriesOf(credential map[string]any) ([]Entry, error) {
	v, ok := credential["credentialStatus"]
	if !ok || v == nil {
		return nil, nil
	}
	var items []any
	switch t := v.(type) {
	case []any:
		items = t
	case map[string]any:
		items = []any{t}
	default:
		return nil, errorf(CodeStatusInvalid, nil, "credentialStatus is neither an object nor an array")
	}
	out := make([]Entry, 0, len(items))
	for i, it := range items {
		if _, ok := it.(map[string]any); !ok {
			return nil, errorf(CodeStatusInvalid, nil, fmt.Sprintf("credentialStatus[%d] is not an object", i))
		}
		b, err := json.Marshal(it)
		if err != nil {
			return nil, errorf(CodeStatusInvalid, err, fmt.Sprintf("credentialStatus[%d]", i))
		}
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, errorf(CodeStatusInvalid, err, fmt.Sprintf("decoding credentialStatus[%d]", i))
		}
		out = append(out, e)
	}
	return out, nil
}

// issuerOf returns a credential's issuer: a string or an object's id.
func issuerOf(credential map[string]any) string {
	switch v := credential["issuer"].(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["id"].(string)
		return s
	}
	return ""
}
