package node

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/mask"
	"github.com/xborder/xborder/internal/odrl"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/transfer"
)

// The data plane of the node: as provider, a transfer the DSP control
// plane requests is checked against its agreement (finalized, with this
// consumer, permitted now by its ODRL terms, counted), the dataset's bytes
// are streamed through the dataset's masking policy and encrypted under a
// key agreed with the consumer's ephemeral key (internal/transfer); as
// consumer, the node pulls a started transfer, verifies every chunk and the
// provider's signed digest, and keeps the data only when all of it
// verified. Both sides audit the outcome and count the bytes.

// Extension properties of xborder's TransferRequestMessage: the consumer's
// ephemeral public key (base64url, no padding) and the suite of the
// transfer ("intl" or "gm"). The Dataspace Protocol has no field for them
// and its schemas allow extension properties under absolute IRIs.
const (
	ExtConsumerKey = "https://xborder.org/ns/transfer/v1#consumerKey"
	ExtSuite       = "https://xborder.org/ns/transfer/v1#suite"
)

// TransferFormat is the DSP transfer type of xborder's encrypted pull
// stream and the distribution format (dct:format) of every dataset this
// node offers in its catalog: a pull over the node's data plane, the
// encrypted HTTPS stream of internal/transfer, whose DataAddress has the
// endpointType transfer.EndpointType (urn:xborder:transfer:https-stream:v1).
// A consumer names it in its TransferRequestMessage.
const TransferFormat = "XborderStream-PULL"

// propSigningKey names the data address property holding the provider's
// signing key (a DID URL of its DID): the key the consumer checks the
// stream's header and trailer with.
const propSigningKey = "signingKey"

// transferPath is where the data plane is mounted on the public listener.
const transferPath = "/transfer"

// MaxSourceBytes bounds one dataset's uploaded content.
const MaxSourceBytes = 1 << 40

// dataPlane is the node's data plane (nil without a key and DID).
type dataPlane struct {
	n        *Node
	db       *sql.DB
	provider *transfer.Provider
	signer   suite.Signer
	kid      string
	secret   []byte // the pseudonymisation secret (DATA_DIR/mask.secret)
	client   *http.Client
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	pulls  map[string]*pull         // consumer's transfers, by the base64url public key sent
	served map[string]*atomic.Int64 // provider's bytes sent, by provider process id
}

// pull is one consumer transfer: its ephemeral key, kept in memory only
// (a transfer whose node restarted is ended, never resumed with a key on
// disk), and the puller that resumes after a suspension.
type pull struct {
	pid     string
	key     suite.AgreementKey
	suite   *suite.Suite
	puller  *transfer.Puller
	running bool
	cancel  context.CancelFunc
	bytes   atomic.Int64
}

var dataPlaneSchema = []string{
	`CREATE TABLE IF NOT EXISTS node_sources (
		dataset    TEXT PRIMARY KEY,
		digest     TEXT NOT NULL,
		size       BIGINT NOT NULL,
		format     TEXT NOT NULL,
		mask       TEXT NOT NULL,
		updated_at BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS node_transfers (
		role         TEXT NOT NULL,
		pid          TEXT NOT NULL,
		agreement_id TEXT NOT NULL,
		dataset      TEXT NOT NULL,
		counterparty TEXT NOT NULL,
		state        TEXT NOT NULL,
		bytes        BIGINT NOT NULL,
		digest       TEXT NOT NULL,
		file         TEXT NOT NULL,
		code         TEXT NOT NULL,
		created_at   BIGINT NOT NULL,
		updated_at   BIGINT NOT NULL,
		PRIMARY KEY (role, pid)
	)`,
	`CREATE INDEX IF NOT EXISTS node_transfers_agreement ON node_transfers (agreement_id, role)`,
}

// openDataPlane prepares the data plane on the DSP database.
func (n *Node) openDataPlane(ctx context.Context, signer suite.Signer, kid, publicURL string, client *http.Client) (*dataPlane, error) {
	for _, q := range dataPlaneSchema {
		if _, err := n.dspDB.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("node: data plane tables: %w", err)
		}
	}
	secret, err := loadSecret(filepath.Join(n.cfg.DataDir, "mask.secret"))
	if err != nil {
		return nil, err
	}
	p, err := transfer.NewProvider(transfer.ProviderConfig{DID: n.cfg.DID, Signers: []suite.Signer{signer},
		BaseURL: strings.TrimSuffix(publicURL, "/") + transferPath, Logger: n.log.With(slog.String("component", "transfer"))})
	if err != nil {
		return nil, fmt.Errorf("node: data plane: %w", err)
	}
	for _, d := range []string{"sources", "received"} {
		if err := os.MkdirAll(filepath.Join(n.cfg.DataDir, d), 0o700); err != nil {
			return nil, fmt.Errorf("node: data plane: %w", err)
		}
	}
	d := &dataPlane{n: n, db: n.dspDB, provider: p, signer: signer, kid: kid, secret: secret, client: client,
		log: n.log.With(slog.String("component", "dataplane")), pulls: map[string]*pull{}, served: map[string]*atomic.Int64{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d, nil
}

// loadSecret reads the node's 32-byte pseudonymisation secret, making it
// on first use.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(b) == 32:
		return b, nil
	case err == nil:
		return nil, fmt.Errorf("node: %s is %d bytes, want 32", path, len(b))
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("node: reading the masking secret: %w", err)
	}
	b = make([]byte, 32)
	rand.Read(b)
	if err := atomicfile.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("node: writing the masking secret: %w", err)
	}
	return b, nil
}

// close stops the pulls in flight and waits for them.
func (d *dataPlane) close() {
	d.cancel()
	d.wg.Wait()
}

// refusal audits a refused transfer and returns the refusal for the
// control plane, which terminates the transfer with its code.
func (d *dataPlane) refusal(ctx context.Context, t *dsp.Process, code, en, zh string) error {
	d.audit(ctx, t.Counterparty, audit.OpPolicyDecision, t.ProviderPID, audit.ResultDeny, code, map[string]any{
		"agreement": t.AgreementID, "consumer": t.Counterparty, "code": code}, 0)
	return &dsp.Refusal{Code: code, EN: en, ZH: zh}
}

// StartTransfer implements dsp.TransferStarter: the provider's checks and
// the registration of the stream.
func (d *dataPlane) StartTransfer(ctx context.Context, t *dsp.Process) (*dsp.DataAddress, error) {
	if t.State == dsp.Suspended {
		if a, err := d.provider.Resume(t.ProviderPID); err == nil {
			return d.address(a), nil
		}
	}
	if t.Format != TransferFormat {
		return nil, d.refusal(ctx, t, "format_unsupported", "This connector transfers with format "+TransferFormat+" only.",
			"本连接器仅支持 "+TransferFormat+" 传输格式。")
	}
	neg, err := d.n.dspStore.ByAgreement(ctx, dsp.Provider, t.AgreementID)
	if errors.Is(err, dsp.ErrNotFound) || err == nil && (neg.State != dsp.Finalized || neg.Counterparty != t.Counterparty) {
		return nil, d.refusal(ctx, t, "agreement_unknown", "No finalized agreement with this identifier exists between the parties.",
			"双方之间不存在该标识的已生效协议。")
	}
	if err != nil {
		return nil, err
	}
	e, err := d.n.stores.catalog.Get(ctx, catalog.Operator(), neg.Target)
	if err != nil {
		return nil, d.refusal(ctx, t, "dataset_unknown", "The agreement's dataset is no longer in this node's catalog.",
			"协议所涉数据集已不在本节点目录中。")
	}
	dec, err := d.permitted(ctx, t, neg)
	if err != nil {
		return nil, err
	}
	if !dec.Permitted() {
		code := "agreement_not_permitted"
		if cs := dec.Codes(); len(cs) > 0 {
			code = "agreement_" + strings.ToLower(string(cs[0]))
		}
		return nil, d.refusal(ctx, t, code, "The agreement does not permit this transfer now: "+dec.String()+".",
			"协议当前不允许本次传输。")
	}
	src, err := d.source(ctx, e.Identifier)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, d.refusal(ctx, t, "data_unavailable", "The provider has not made the dataset's content available.",
			"提供方尚未上传该数据集的内容。")
	}
	if err != nil {
		return nil, err
	}
	if src.mask == "" && personal(e) {
		return nil, d.refusal(ctx, t, "masking_required", "The dataset holds personal information and has no masking policy; it is not sent.",
			"该数据集含个人信息且未配置脱敏策略，不予传输。")
	}
	suiteName, _ := t.Extensions.String(ExtSuite)
	if suiteName == "" {
		suiteName = "intl"
	}
	s, err := suite.ByName(suiteName)
	if err != nil || !s.Supports(d.signer.Alg()) {
		return nil, d.refusal(ctx, t, "suite_unsupported", "This provider cannot serve the requested cryptographic suite.",
			"提供方不支持所请求的密码套件。")
	}
	pub, _ := t.Extensions.String(ExtConsumerKey)
	ck, err := base64.RawURLEncoding.DecodeString(pub)
	if err != nil || len(ck) == 0 {
		return nil, d.refusal(ctx, t, "consumer_key_missing", "The transfer request carries no valid ephemeral key of the consumer.",
			"传输请求未携带有效的消费方临时密钥。")
	}
	source, size, err := d.openSource(src, s, t.AgreementID)
	if err != nil {
		return nil, err
	}
	sent := d.counter(t.ProviderPID)
	a, err := d.provider.Register(transfer.Transfer{
		Binding:     transfer.Binding{Suite: s, TransferID: t.ProviderPID, AgreementID: t.AgreementID, ConsumerDID: t.Counterparty},
		ConsumerKey: ck, Source: source, Size: size,
		OnProgress: func(p transfer.Progress) { sent.Store(p.Bytes) },
	})
	if err != nil {
		return nil, d.refusal(ctx, t, "consumer_key_invalid", "The consumer's ephemeral key is not valid for the suite.",
			"消费方临时密钥与密码套件不符。")
	}
	if err := d.putTransfer(ctx, dsp.Provider, t.ProviderPID, t.AgreementID, e.Identifier, t.Counterparty, "started", 0, "", "", ""); err != nil {
		d.provider.Terminate(t.ProviderPID)
		return nil, err
	}
	d.audit(ctx, t.Counterparty, audit.OpPolicyDecision, t.ProviderPID, audit.ResultAllow, "agreement_permits",
		map[string]any{"agreement": t.AgreementID, "dataset": e.Identifier, "consumer": t.Counterparty, "suite": s.Name(),
			"masked": src.mask != "", "decision": dec}, 0)
	return d.address(a), nil
}

// permitted evaluates the agreement's ODRL terms for a transfer now: the
// purpose it was agreed for, the time, and this transfer's number.
func (d *dataPlane) permitted(ctx context.Context, t *dsp.Process, neg *dsp.Process) (odrl.Decision, error) {
	var m map[string]any
	if err := json.Unmarshal(neg.Agreement, &m); err != nil {
		return odrl.Decision{}, fmt.Errorf("node: the stored agreement %s: %w", t.AgreementID, err)
	}
	// The agreement as it travels in DSP has the message's context; ODRL's
	// defines every policy term. timestamp is DSP's, not a policy term.
	delete(m, "timestamp")
	m["@context"] = "http://www.w3.org/ns/odrl.jsonld"
	doc, _ := json.Marshal(m)
	p, err := odrl.Parse(doc)
	if err == nil {
		var pp *odrl.Prepared
		if pp, err = odrl.Prepare(p); err == nil {
			var used int64
			if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM node_transfers WHERE agreement_id = $1 AND role = 'provider' AND pid <> $2`,
				t.AgreementID, t.ProviderPID).Scan(&used); err != nil {
				return odrl.Decision{}, fmt.Errorf("node: counting the agreement's transfers: %w", err)
			}
			return pp.Evaluate(odrl.Request{Assignee: t.Counterparty, Action: "use", Target: neg.Target, Context: map[string]any{
				"purpose": offerPurpose(neg.Agreement), "dateTime": time.Now().UTC(), "count": used + 1,
				"recipient": t.Counterparty}}), nil
		}
	}
	// An agreement this node cannot read permits nothing.
	d.log.WarnContext(ctx, "an agreement's terms cannot be evaluated", slog.String("agreement", t.AgreementID), slog.Any("error", err))
	return odrl.Decision{Decision: odrl.Deny, Reasons: []odrl.Reason{{Code: "unreadable", Message: "the agreement's terms cannot be evaluated"}}}, nil
}

// personal reports whether the catalog says the dataset holds personal
// information.
func personal(e *catalog.Entry) bool {
	if e.Technical != nil && e.Technical.PIProfile != nil && (e.Technical.PIProfile.Individuals > 0 || e.Technical.PIProfile.SensitiveIndividuals > 0) {
		return true
	}
	return false
}

// counter returns the bytes-sent counter of a provider transfer.
func (d *dataPlane) counter(pid string) *atomic.Int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.served[pid]
	if !ok {
		c = new(atomic.Int64)
		d.served[pid] = c
	}
	return c
}

// forget drops the bytes-sent counter of an ended provider transfer (its
// figure is in node_transfers).
func (d *dataPlane) forget(pid string) {
	d.mu.Lock()
	delete(d.served, pid)
	d.mu.Unlock()
}

// address turns the data plane's address into the DSP one, with the key
// the consumer checks the stream with.
func (d *dataPlane) address(a transfer.DataAddress) *dsp.DataAddress {
	out := &dsp.DataAddress{EndpointType: transfer.EndpointType, Endpoint: a.Endpoint}
	for _, p := range a.Properties(time.Now()) {
		out.EndpointProperties = append(out.EndpointProperties, dsp.EndpointProperty{Name: p.Name, Value: p.Value})
	}
	out.EndpointProperties = append(out.EndpointProperties, dsp.EndpointProperty{Name: propSigningKey, Value: d.kid})
	return out
}

// source is a dataset's content on record.
type source struct {
	dataset, digest, format, mask string
	size                          int64
}

func (d *dataPlane) source(ctx context.Context, dataset string) (*source, error) {
	s := &source{dataset: dataset}
	err := d.db.QueryRowContext(ctx, `SELECT digest, size, format, mask FROM node_sources WHERE dataset = $1`, dataset).
		Scan(&s.digest, &s.size, &s.format, &s.mask)
	return s, err
}

// openSource is the plaintext of a transfer: the file as stored, or
// streamed through the masking policy under the agreement's pseudonym key.
// The size is declared only when the bytes are the file's.
func (d *dataPlane) openSource(src *source, s *suite.Suite, agreementID string) (transfer.Source, int64, error) {
	path := filepath.Join(d.n.cfg.DataDir, "sources", src.digest)
	if src.mask == "" {
		return func(_ context.Context, off int64) (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				f.Close()
				return nil, err
			}
			return f, nil
		}, src.size, nil
	}
	pol, err := mask.Parse([]byte(src.mask))
	if err != nil {
		return nil, 0, fmt.Errorf("node: the masking policy of %s: %w", src.dataset, err)
	}
	key, err := mask.DeriveKey(s.Name(), d.secret, agreementID)
	if err != nil {
		return nil, 0, err
	}
	m, err := mask.New(pol, key)
	if err != nil {
		return nil, 0, fmt.Errorf("node: the masking policy of %s: %w", src.dataset, err)
	}
	return func(ctx context.Context, off int64) (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		go func() {
			var err error
			if src.format == "jsonl" {
				_, err = m.CopyJSONL(ctx, pw, f, nil)
			} else {
				_, err = m.CopyCSV(ctx, pw, f, nil)
			}
			f.Close()
			pw.CloseWithError(err)
		}()
		// The masked bytes are the same every time (same policy, key and
		// input): a resumed stream skips what was already sent.
		if _, err := io.CopyN(io.Discard, pr, off); err != nil {
			pr.Close()
			return nil, err
		}
		return pr, nil
	}, 0, nil
}

// putTransfer records a transfer's state in node_transfers.
func (d *dataPlane) putTransfer(ctx context.Context, role dsp.Role, pid, agreement, dataset, counterparty, state string, bytes int64, digest, file, code string) error {
	now := time.Now().UnixMilli()
	_, err := d.db.ExecContext(ctx, `INSERT INTO node_transfers (role, pid, agreement_id, dataset, counterparty, state, bytes, digest, file, code, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
		ON CONFLICT (role, pid) DO UPDATE SET state = $6, bytes = $7, digest = $8, file = $9, code = $10, updated_at = $11`,
		string(role), pid, agreement, dataset, counterparty, state, bytes, digest, file, code, now)
	if err != nil {
		return fmt.Errorf("node: recording transfer %s: %w", pid, err)
	}
	return nil
}

// setTransferState updates the state (and the bytes, digest, file and code
// when given) of a recorded transfer.
func (d *dataPlane) setTransferState(ctx context.Context, role dsp.Role, pid, state string, bytes int64, digest, file, code string) {
	if _, err := d.db.ExecContext(ctx, `UPDATE node_transfers SET state = $3, bytes = CASE WHEN $4 > 0 THEN $4 ELSE bytes END,
		digest = CASE WHEN $5 <> '' THEN $5 ELSE digest END, file = CASE WHEN $6 <> '' THEN $6 ELSE file END, code = $7, updated_at = $8
		WHERE role = $1 AND pid = $2`, string(role), pid, state, bytes, digest, file, code, time.Now().UnixMilli()); err != nil {
		d.log.ErrorContext(ctx, "recording a transfer's state", slog.String("pid", pid), slog.Any("error", err))
	}
}

// audit appends a data plane event to the ledger; details are digested.
func (d *dataPlane) audit(ctx context.Context, actor string, op audit.Operation, object string, result audit.Result, reason string, details any, bytes int64) {
	b, _ := json.Marshal(details)
	sum := sha256.Sum256(b)
	e := &audit.Event{Actor: actor, Time: time.Now().UTC(), Operation: op, ObjectID: object, ObjectKind: audit.KindTransfer,
		Result: result, Reason: reason, DetailsDigest: "sha256:" + hex.EncodeToString(sum[:]), Bytes: uint64(max(bytes, 0))}
	if actor == "" {
		e.Actor = d.n.cfg.DID
	}
	if _, err := d.n.ledger.Append(context.WithoutCancel(ctx), e); err != nil {
		d.log.ErrorContext(ctx, "audit: recording a data plane event failed", slog.String("object", object), slog.Any("error", err))
	}
}

// Record implements dsp.EventSink: the data plane follows the control
// plane's transitions of transfers.
func (d *dataPlane) Record(ctx context.Context, e dsp.Event) error {
	if e.Kind != dsp.KindTransfer || e.Refused {
		return nil
	}
	if e.Role == dsp.Provider {
		pid := e.ProviderPID
		switch e.To {
		case dsp.Completed:
			d.provider.Complete(pid)
			n := d.counter(pid).Load()
			d.setTransferState(ctx, dsp.Provider, pid, "completed", n, "", "", "")
			d.audit(ctx, d.n.cfg.DID, audit.OpTransfer, pid, audit.ResultSuccess, "served", map[string]any{"consumer": e.Counterparty, "bytes": n}, n)
			d.forget(pid)
		case dsp.Terminated:
			d.provider.Terminate(pid)
			d.setTransferState(ctx, dsp.Provider, pid, "terminated", d.counter(pid).Load(), "", "", e.Code)
			d.forget(pid)
		case dsp.Suspended:
			d.provider.Suspend(pid)
			d.setTransferState(ctx, dsp.Provider, pid, "suspended", d.counter(pid).Load(), "", "", e.Code)
		}
		return nil
	}
	switch e.To {
	case dsp.Started:
		d.startPull(ctx, e.ConsumerPID)
	case dsp.Terminated, dsp.Completed:
		d.mu.Lock()
		for k, p := range d.pulls {
			if p.pid != e.ConsumerPID {
				continue
			}
			if p.cancel != nil && e.To == dsp.Terminated {
				p.cancel()
			}
			if !p.running { // a running pull removes itself when it ends
				delete(d.pulls, k)
			}
		}
		d.mu.Unlock()
		if e.To == dsp.Terminated {
			// A transfer the provider refused or ended before the data
			// arrived: its record says so, with the provider's code.
			if _, err := d.db.ExecContext(ctx, `UPDATE node_transfers SET state = 'terminated', code = $2, updated_at = $3
				WHERE role = 'consumer' AND pid = $1 AND state IN ('requested', 'pulling', 'suspended')`,
				e.ConsumerPID, e.Code, time.Now().UnixMilli()); err != nil {
				d.log.ErrorContext(ctx, "recording a terminated transfer", slog.String("pid", e.ConsumerPID), slog.Any("error", err))
			}
		}
	}
	return nil
}

// sinks tells every sink of an event; the errors are joined.
type sinks []dsp.EventSink

func (s sinks) Record(ctx context.Context, e dsp.Event) error {
	var errs []error
	for _, x := range s {
		if err := x.Record(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
