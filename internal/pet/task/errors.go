package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable refusal code; it is also the audit
// entry's reason. The review's codes (internal/pet/review) are used as
// they are for result refusals.
type Code string

// The refusal codes. docs/pet-tasks.md lists them with their messages.
const (
	BadRequest            Code = "bad_request"
	LocalOnly             Code = "local_only"
	AgreementNotFound     Code = "agreement_not_found"
	AgreementNotFinalized Code = "agreement_not_finalized"
	NotAParty             Code = "not_a_party"
	PartiesMismatch       Code = "parties_mismatch"
	AlgorithmNotFound     Code = "algorithm_not_registered"
	AlgorithmNotPermitted Code = "algorithm_not_permitted"
	ManifestInvalid       Code = "manifest_invalid"
	SignatureInvalid      Code = "manifest_signature_invalid"
	PublisherUntrusted    Code = "publisher_untrusted"
	ImplementationUnknown Code = "implementation_unknown"
	AlgorithmExists       Code = "algorithm_exists"
	TaskNotFound          Code = "task_not_found"
	TaskExists            Code = "task_exists"
	WrongState            Code = "wrong_state"
	InputNotAuthorized    Code = "input_not_authorized"
	UploadNotFound        Code = "upload_not_found"
	UploadTooLarge        Code = "upload_too_large"
	InputInvalid          Code = "input_invalid"
	PolicyBelowMinimum    Code = "policy_below_minimum"
	ResultNotReady        Code = "result_not_ready"
	NotOutputParty        Code = "not_output_party"
	MessageNotParty       Code = "message_not_party"
	MessageReplayed       Code = "message_replayed"
	TaskEnded             Code = "task_ended"
	PeerUnreachable       Code = "peer_unreachable"
	AuditUnavailable      Code = "audit_unavailable"
	ComplianceFailed      Code = "compliance_failed"
	BudgetInsufficient    Code = "budget_insufficient"
	Internal              Code = "internal"
)

type text struct {
	status int
	en, zh string
}

var messages = map[Code]text{
	BadRequest:            {http.StatusBadRequest, "the request is malformed", "请求格式错误"},
	LocalOnly:             {http.StatusForbidden, "only the node's own operator may make this call", "仅本节点运营者可调用此接口"},
	AgreementNotFound:     {http.StatusNotFound, "no such agreement", "协议不存在"},
	AgreementNotFinalized: {http.StatusConflict, "the agreement is not finalized", "协议尚未最终确定"},
	NotAParty:             {http.StatusForbidden, "the caller is not a party to the agreement or task", "调用方不是协议或任务的参与方"},
	PartiesMismatch:       {http.StatusBadRequest, "the task's parties do not match the agreement's", "任务参与方与协议参与方不一致"},
	AlgorithmNotFound:     {http.StatusNotFound, "the algorithm is not registered", "算法未注册"},
	AlgorithmNotPermitted: {http.StatusForbidden, "the agreement's policy does not permit this computation", "协议策略不允许此计算"},
	ManifestInvalid:       {http.StatusBadRequest, "the algorithm manifest is invalid", "算法清单无效"},
	SignatureInvalid:      {http.StatusForbidden, "the algorithm manifest's signature does not verify", "算法清单签名验证失败"},
	PublisherUntrusted:    {http.StatusForbidden, "the algorithm's publisher is not trusted", "算法发布者不受信任"},
	ImplementationUnknown: {http.StatusBadRequest, "the manifest names an implementation this node does not have", "清单指定的实现不在本节点内置实现之列"},
	AlgorithmExists:       {http.StatusConflict, "another manifest is registered under this name and version", "该名称与版本已注册了不同的清单"},
	TaskNotFound:          {http.StatusNotFound, "no such task", "任务不存在"},
	TaskExists:            {http.StatusConflict, "a task with this id exists", "该任务编号已存在"},
	WrongState:            {http.StatusConflict, "the task is not in a state that allows this", "任务当前状态不允许此操作"},
	InputNotAuthorized:    {http.StatusConflict, "an input of the task is not authorized", "任务输入尚未授权"},
	UploadNotFound:        {http.StatusNotFound, "no such upload", "上传数据不存在"},
	UploadTooLarge:        {http.StatusRequestEntityTooLarge, "the upload is too large", "上传数据过大"},
	InputInvalid:          {http.StatusBadRequest, "the input does not fit the algorithm", "输入数据不符合算法要求"},
	PolicyBelowMinimum:    {http.StatusConflict, "the task's review policy is below this node's minimums", "任务的结果审查策略低于本节点的最低要求"},
	ResultNotReady:        {http.StatusConflict, "there is no result yet", "结果尚未产生"},
	NotOutputParty:        {http.StatusForbidden, "the caller is not an output party of the task", "调用方不是任务的结果接收方"},
	MessageNotParty:       {http.StatusForbidden, "the message's sender is not a party to the task", "消息发送方不是任务参与方"},
	MessageReplayed:       {http.StatusConflict, "the message is replayed or out of order", "消息重放或乱序"},
	TaskEnded:             {http.StatusConflict, "the task has ended", "任务已结束"},
	PeerUnreachable:       {http.StatusBadGateway, "a peer node could not be reached", "无法连接对端节点"},
	AuditUnavailable:      {http.StatusServiceUnavailable, "the audit log is unavailable; nothing was done", "审计日志不可用；未执行任何操作"},
	ComplianceFailed:      {http.StatusConflict, "the compliance check failed", "合规检查未通过"},
	BudgetInsufficient:    {http.StatusConflict, "the privacy budget left is not enough for this task", "剩余隐私预算不足以执行此任务"},
	Internal:              {http.StatusInternalServerError, "internal error", "内部错误"},
}

// Error is a refusal: an HTTP-like status, a stable code and a message in
// English and Chinese. Peer is set when a peer node refused.
type Error struct {
	Status    int    `json:"status"`
	Code      Code   `json:"code"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	Peer      string `json:"peer,omitempty"`
	// Task names the task a peer refused to create: the peer's audit
	// ledger holds its refusal under that id.
	Task  string `json:"task,omitempty"`
	cause error
}

func (e *Error) Error() string {
	if e.Peer != "" {
		return fmt.Sprintf("task: peer %s refused [%s]: %s", e.Peer, e.Code, e.Message)
	}
	return fmt.Sprintf("task: [%s] %s", e.Code, e.Message)
}

// Unwrap returns the internal cause, if any (never sent to peers).
func (e *Error) Unwrap() error { return e.cause }

// refuse makes an Error of code; detail (English, optional) is appended.
func refuse(c Code, detail string, a ...any) *Error {
	t, ok := messages[c]
	if !ok {
		t = text{http.StatusForbidden, string(c), string(c)}
	}
	e := &Error{Status: t.status, Code: c, Message: t.en, MessageZH: t.zh}
	if detail != "" {
		d := fmt.Sprintf(detail, a...)
		e.Message += ": " + d
		e.MessageZH += "（" + d + "）"
	}
	return e
}

// refuseReview is a refusal carrying a review decision's code and messages.
func refuseReview(code, en, zh string) *Error {
	return &Error{Status: http.StatusForbidden, Code: Code(code), Message: en, MessageZH: zh}
}

func internal(err error, doing string) *Error {
	e := refuse(Internal, "%s", doing)
	e.cause = fmt.Errorf("%s: %w", doing, err)
	return e
}

// AsError returns err as an *Error (an internal one when it is not).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return internal(err, "unexpected error")
}

// DecodeError reads an Error's JSON form (what a peer's Handle refusal
// travels as); ok is false when b is not one.
func DecodeError(b []byte) (*Error, bool) {
	var e Error
	if json.Unmarshal(b, &e) != nil || e.Code == "" || e.Status == 0 {
		return nil, false
	}
	return &e, true
}
