package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// object is a JSON object whose members keep their order, so that the
// policies, invoices and statements xborder writes are byte-for-byte
// reproducible (signatures and golden files depend on it).
type object []member

type member struct {
	k string
	v any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeJSON writes v compactly: object, []any, []string, string, int64,
// int, bool, nil, json.RawMessage (already valid JSON, compacted) or
// anything json.Marshaler handles. HTML characters are not escaped.
func writeJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case object:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeStr(b, m.k)
			b.WriteByte(':')
			if err := writeJSON(b, m.v); err != nil {
				return fmt.Errorf("%s: %w", m.k, err)
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeStr(b, e)
		}
		b.WriteByte(']')
	case string:
		writeStr(b, x)
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	case json.RawMessage:
		if err := json.Compact(b, x); err != nil {
			return err
		}
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return err
		}
		return writeJSON(b, json.RawMessage(raw))
	}
	return nil
}

func writeStr(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1)
}

// indent re-indents compact JSON for people (two spaces, as the CLI
// prints everything).
func indent(compact []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return compact
	}
	b.WriteByte('\n')
	return b.Bytes()
}
