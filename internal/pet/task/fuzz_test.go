package task

import (
	"context"
	"testing"
)

// FuzzHandle feeds outside bodies to every peer-facing operation: they are
// decoded strictly (unknown fields, duplicate keys, trailing data and
// oversized bodies refused) and never panic; a refusal is an *Error.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{
		`{"task_id":"urn:uuid:00000000-0000-4000-8000-000000000000"}`,
		`{"task_id":"x","task_id":"y"}`,
		`{"task_id":"x","extra":1}`,
		`{"agreement":"urn:a","algorithm":"psi-cardinality@1","parties":[{"did":"did:x","role":"a"}],"fields":["id"],"review":{},"output":["did:x"],"params":{}}`,
		`{"task_id":"urn:uuid:00000000-0000-4000-8000-000000000000","seq":1,"data":"AAAA"}`,
		`{"task":{"agreement":"urn:a"}} {}`,
		`[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]`,
		"XTM1\x2durn:uuid:00000000-0000-4000-8000-000000000000\x00\x00\x00\x00\x00\x00\x00\x01data", // a message frame
		"XTM1\xffshort",
	} {
		f.Add(s)
	}
	s := newWorld(f, didC).nodes[didC].svc
	f.Fuzz(func(t *testing.T, body string) {
		for _, op := range []string{OpTaskCreate, OpTaskQuery, OpTaskCancel, OpAlgorithmInvoke, OpResultQuery, OpResultDownload,
			OpAuditLog, OpComplianceCheck, OpPerformanceMetric, OpMessage, OpInputAuthorized, OpDataUpload, OpDataAuthorize, OpAlgorithmRegister} {
			out, err := s.Handle(context.Background(), Caller{DID: didP}, op, []byte(body))
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%s: %T %v", op, err, err)
				}
			} else if out == nil {
				t.Fatalf("%s: no body", op)
			}
		}
	})
}

// TestMessageFrame: the message op's binary frame round-trips, and
// truncated or foreign frames are refused.
func TestMessageFrame(t *testing.T) {
	m := Message{TaskID: "urn:uuid:00000000-0000-4000-8000-000000000000", Seq: 7, Data: []byte{1, 2, 3}}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Message
	if err := got.UnmarshalBinary(b); err != nil || got.TaskID != m.TaskID || got.Seq != 7 || string(got.Data) != string(m.Data) {
		t.Fatalf("%v %+v", err, got)
	}
	for _, bad := range [][]byte{nil, []byte("XTM"), []byte("XTM2\x00"), b[:len(messageMagic)+1+len(m.TaskID)+7], []byte(`{"task_id":"x"}`)} {
		if err := got.UnmarshalBinary(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := (&Message{TaskID: string(make([]byte, 256))}).MarshalBinary(); err == nil {
		t.Error("a 256-byte task id framed")
	}
}
