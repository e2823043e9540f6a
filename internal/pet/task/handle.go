package task

import (
	"context"
	"encoding/binary"
	"encoding/json"
)

// The operations of Handle: the twelve interfaces of T/CCSA 540-2025 and
// two between nodes (message, inputAuthorized).
const (
	OpTaskCreate        = "taskCreate"
	OpTaskQuery         = "taskQuery"
	OpTaskCancel        = "taskCancel"
	OpDataUpload        = "dataUpload"
	OpDataAuthorize     = "dataAuthorize"
	OpAlgorithmRegister = "algorithmRegister"
	OpAlgorithmInvoke   = "algorithmInvoke"
	OpResultQuery       = "resultQuery"
	OpResultDownload    = "resultDownload"
	OpAuditLog          = "auditLog"
	OpComplianceCheck   = "complianceCheck"
	OpPerformanceMetric = "performanceMetric"
	OpMessage           = "message"
	OpInputAuthorized   = "inputAuthorized"
)

// Handle decodes body (strict JSON: unknown fields, duplicate keys and
// trailing data refused, size bounded), calls op as from and returns the
// JSON response. Errors are *Error (their JSON form is what a peer
// receives). The node mounts it behind the channel (peers) and behind the
// management API (Local).
func (s *Service) Handle(ctx context.Context, from Caller, op string, body []byte) ([]byte, error) {
	var out any
	var err error
	switch op {
	case OpTaskCreate:
		var r Spec
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			out, err = s.TaskCreate(ctx, from, r)
		}
	case OpTaskQuery:
		var r QueryRequest
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			out, err = s.TaskQueryWait(ctx, from, r)
		}
	case OpResultQuery, OpResultDownload, OpAuditLog, OpPerformanceMetric:
		var r Ref
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			switch op {
			case OpResultQuery:
				out, err = s.ResultQuery(ctx, from, r)
			case OpResultDownload:
				out, err = s.ResultDownload(ctx, from, r)
			case OpAuditLog:
				out, err = s.AuditLog(ctx, from, r)
			default:
				out, err = s.PerformanceMetric(ctx, from, r)
			}
		}
	case OpTaskCancel:
		var r CancelRequest
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			out, err = s.TaskCancel(ctx, from, r)
		}
	case OpDataUpload:
		var r UploadRequest
		if err = s.decode(ctx, from, op, body, &r, int(s.opts.MaxUpload/3*4)+4096); err == nil {
			out, err = s.DataUpload(ctx, from, r)
		}
	case OpDataAuthorize:
		var r AuthorizeRequest
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			out, err = s.DataAuthorize(ctx, from, r)
		}
	case OpAlgorithmRegister:
		var r RegisterRequest
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			out, err = s.AlgorithmRegister(ctx, from, r)
		}
	case OpAlgorithmInvoke:
		var r InvokeRequest
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			out, err = s.AlgorithmInvoke(ctx, from, r)
		}
	case OpComplianceCheck:
		var r ComplianceRequest
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			out, err = s.ComplianceCheck(ctx, from, r)
		}
	case OpMessage:
		var r Message
		switch {
		case len(body) > maxMessage:
			err = s.refused(ctx, from, op, refuse(BadRequest, "a message of %d bytes exceeds %d", len(body), maxMessage))
		default:
			if e := r.UnmarshalBinary(body); e != nil {
				err = s.refused(ctx, from, op, refuse(BadRequest, "%v", e))
			}
		}
		if err == nil {
			frame := make([]byte, 8+len(r.Data))
			binary.BigEndian.PutUint64(frame, r.Seq)
			copy(frame[8:], r.Data)
			if err = s.Deliver(ctx, from, r.TaskID, frame); err == nil {
				out = struct{}{}
			}
		}
	case OpInputAuthorized:
		var r Notice
		if err = s.decode(ctx, from, op, body, &r, maxBody); err == nil {
			if err = s.inputAuthorized(ctx, from, r); err == nil {
				out = struct{}{}
			}
		}
	default:
		err = s.refused(ctx, from, op, refuse(BadRequest, "unknown operation %q", op))
	}
	if err != nil {
		return nil, AsError(err)
	}
	return json.Marshal(out)
}

// maxMessage bounds a message body: secagg's largest message (16 MiB of
// payload) in base64, with room for the envelope.
const maxMessage = 24 << 20

// decode decodes body strictly; a body that does not decode is a refusal,
// audited.
func (s *Service) decode(ctx context.Context, from Caller, op string, body []byte, v any, limit int) error {
	if err := decodeLimited(body, v, limit); err != nil {
		return s.refused(ctx, from, op, refuse(BadRequest, "%v", err))
	}
	return nil
}

// refused audits a refusal made before a call's method ran.
func (s *Service) refused(ctx context.Context, from Caller, op string, e *Error) error {
	k := s.begin(from, "handle", "")
	var err error = e
	k.op = op
	k.finish(ctx, &err)
	return err
}
