package dsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecode: Decode never panics, refuses only with a *MessageError, and
// what it accepts encodes to a message that decodes to the same encoding.
// The seed corpus (testdata/fuzz/FuzzDecode) holds every example of the
// 2025-1 artifacts.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(msg("ContractNegotiation", pidsJSON+`,"state":"REQUESTED"`)))
	f.Add([]byte(msg("TransferStartMessage", pidsJSON+`,"dataAddress":{"@type":"DataAddress","endpointType":"x","endpointProperties":[{"@type":"EndpointProperty","name":"a","value":"b"}]}`)))
	f.Add([]byte(msg("ContractNegotiationTerminationMessage", pidsJSON+`,"reason":[{"@value":"不","@language":"zh"},{"x":[1]},"s"]`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			var me *MessageError
			if !errors.As(err, &me) {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("encoding an accepted message: %v", err)
		}
		m2, err := Decode(b)
		if err != nil {
			t.Fatalf("our encoding %s does not decode: %v", b, err)
		}
		b2, err := json.Marshal(m2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}
