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
