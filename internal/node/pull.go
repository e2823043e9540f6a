package node

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/transfer"
)

// The consumer's side of the data plane: request a transfer under a
// finalized agreement, pull it once the provider starts it, keep it only
// when every byte verified.

// requestTransfer asks the provider of a finalized agreement for its data.
// suiteName "" takes the provider's: gm for an SM2 key, else intl.
func (d *dataPlane) requestTransfer(ctx context.Context, agreementID, suiteName string) (*dsp.Process, error) {
	neg, err := d.n.dspStore.ByAgreement(ctx, dsp.Consumer, agreementID)
	if errors.Is(err, dsp.ErrNotFound) || err == nil && neg.State != dsp.Finalized {
		return nil, fmt.Errorf("%w: no finalized agreement %q negotiated by this node as consumer", errBadRequest, agreementID)
	}
	if err != nil {
		return nil, err
	}
	if suiteName == "" {
		if suiteName, err = d.providerSuite(ctx, neg.Counterparty); err != nil {
			return nil, err
		}
	}
	s, err := suite.ByName(suiteName)
	if err != nil {
		return nil, fmt.Errorf("%w: suite %q: want intl or gm", errBadRequest, suiteName)
	}
	key, err := transfer.NewConsumerKey(s, nil)
	if err != nil {
		return nil, err
	}
	pub := base64.RawURLEncoding.EncodeToString(key.PublicBytes())
	pl := &pull{key: key, suite: s}
	d.mu.Lock()
	d.pulls[pub] = pl
	d.mu.Unlock()
	req := dsp.TransferRequest{AgreementID: agreementID, Format: TransferFormat}
	req.Extensions.SetString(ExtConsumerKey, pub)
	req.Extensions.SetString(ExtSuite, s.Name())
	p, err := d.n.dsp.RequestTransfer(ctx, neg.PeerAddress, neg.Counterparty, req)
	if err != nil {
		d.mu.Lock()
		delete(d.pulls, pub)
		d.mu.Unlock()
		return nil, err
	}
	d.mu.Lock()
	pl.pid = p.ConsumerPID
	d.mu.Unlock()
	// The provider's start may have come first, and the pull moved on:
	// the record is made only if it is not there yet.
	if err := d.recordConsumerTransfer(ctx, p.ConsumerPID, agreementID, neg.Target, neg.Counterparty); err != nil {
		return nil, err
	}
	return p, nil
}

// recordConsumerTransfer makes the record (state requested) of a consumer
// transfer that has none yet.
func (d *dataPlane) recordConsumerTransfer(ctx context.Context, pid, agreementID, dataset, provider string) error {
	now := time.Now().UnixMilli()
	if _, err := d.db.ExecContext(ctx, `INSERT INTO node_transfers (role, pid, agreement_id, dataset, counterparty, state, bytes, digest, file, code, created_at, updated_at)
		VALUES ('consumer', $1, $2, $3, $4, 'requested', 0, '', '', '', $5, $5) ON CONFLICT (role, pid) DO NOTHING`,
		pid, agreementID, dataset, provider, now); err != nil {
		return fmt.Errorf("node: recording transfer %s: %w", pid, err)
	}
	return nil
}

// providerSuite is the suite of the provider's signing key.
func (d *dataPlane) providerSuite(ctx context.Context, did string) (string, error) {
	res, err := d.n.resolver.Resolve(ctx, did)
	if err != nil {
		return "", fmt.Errorf("resolving the provider %s: %w", did, err)
	}
	for _, vm := range res.Document.VerificationMethods {
		if alg, _, err := vm.PublicKey(); err == nil {
			if alg == suite.SM2 {
				return "gm", nil
			}
			return "intl", nil
		}
	}
	return "intl", nil
}

// startPull starts (or, after a suspension, resumes) the pull of a
// consumer transfer the provider started.
func (d *dataPlane) startPull(ctx context.Context, pid string) {
	p, err := d.n.dsp.Process(ctx, dsp.KindTransfer, dsp.Consumer, pid)
	if err != nil {
		d.log.ErrorContext(ctx, "a started transfer cannot be read", slog.String("pid", pid), slog.Any("error", err))
		return
	}
	pub, _ := p.Extensions.String(ExtConsumerKey)
	d.mu.Lock()
	pl := d.pulls[pub]
	if pl != nil && pl.running {
		d.mu.Unlock()
		return
	}
	if pl != nil {
		pl.pid, pl.running = pid, true
	}
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if pl == nil {
			// The key lived in the memory of a process that ended: the
			// transfer cannot be decrypted, so it ends here, cleanly.
			d.fail(d.ctx, p, "consumer_restarted", errors.New("the consumer's ephemeral key was lost in a restart"))
			return
		}
		d.runPull(p, pl)
	}()
}

// runPull pulls into DATA_DIR/received/<name>.part and renames it to its
// final name only once the provider's signed digest verified.
func (d *dataPlane) runPull(p *dsp.Process, pl *pull) {
	ctx, cancel := context.WithCancel(d.ctx)
	d.mu.Lock()
	pl.cancel = cancel
	d.mu.Unlock()
	defer func() {
		cancel()
		d.mu.Lock()
		pl.running = false
		d.mu.Unlock()
	}()
	if p.DataAddress == nil {
		d.fail(ctx, p, "no_data_address", errors.New("the start message has no data address"))
		return
	}
	props := make([]transfer.Property, 0, len(p.DataAddress.EndpointProperties))
	kid := ""
	for _, ep := range p.DataAddress.EndpointProperties {
		if ep.Name == propSigningKey {
			kid = ep.Value
			continue
		}
		props = append(props, transfer.Property{Name: ep.Name, Value: ep.Value})
	}
	addr, err := transfer.ParseDataAddress(p.DataAddress.EndpointType, p.DataAddress.Endpoint, props, time.Now())
	if err != nil {
		d.fail(ctx, p, "data_address_invalid", err)
		return
	}
	if !strings.HasPrefix(kid, p.Counterparty+"#") {
		d.fail(ctx, p, "signing_key_invalid", fmt.Errorf("signing key %q is not a key of the provider %s", kid, p.Counterparty))
		return
	}
	_, providerKey, err := d.n.resolver.ResolveKey(ctx, kid)
	if err != nil {
		d.fail(ctx, p, "signing_key_invalid", err)
		return
	}
	if pl.puller == nil {
		pl.puller, err = transfer.NewPuller(transfer.PullConfig{Address: addr, Client: d.client, Reader: transfer.ReaderConfig{
			Binding: transfer.Binding{Suite: pl.suite, TransferID: p.ProviderPID, AgreementID: p.AgreementID,
				ProviderDID: p.Counterparty, ConsumerDID: d.n.cfg.DID},
			Key: pl.key, ProviderKey: providerKey,
			OnProgress: func(pr transfer.Progress) { pl.bytes.Store(pr.Bytes) },
		}})
		if err != nil {
			d.fail(ctx, p, "pull_failed", err)
			return
		}
	} else {
		pl.puller.SetAddress(addr)
	}
	d.setTransferState(ctx, dsp.Consumer, p.ConsumerPID, "pulling", 0, "", "", "")
	name := receivedName(p.ConsumerPID)
	part := filepath.Join(d.n.cfg.DataDir, "received", name+".part")
	f, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		d.fail(ctx, p, "pull_failed", err)
		return
	}
	receipt, err := pl.puller.Pull(ctx, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, transfer.ErrSuspended):
		d.setTransferState(ctx, dsp.Consumer, p.ConsumerPID, "suspended", pl.bytes.Load(), "", "", "")
		return // the provider's next start resumes it
	case err != nil:
		os.Remove(part)
		code := "pull_failed"
		if integrityError(err) {
			code = "integrity_failed"
		}
		if ctx.Err() != nil {
			code = "pull_cancelled"
		}
		d.fail(context.WithoutCancel(ctx), p, code, err)
		return
	}
	// The receipt goes first: a data file under its final name always has
	// its receipt beside it, which is how endOrphans knows, after a crash,
	// that the file verified whole.
	final := filepath.Join(d.n.cfg.DataDir, "received", name)
	rb, _ := json.MarshalIndent(receipt, "", "  ")
	if err := atomicfile.WriteFile(final+".receipt.json", rb, 0o600); err != nil {
		os.Remove(part)
		d.fail(ctx, p, "pull_failed", fmt.Errorf("writing the receipt: %w", err))
		return
	}
	if err := os.Rename(part, final); err != nil {
		os.Remove(part)
		os.Remove(final + ".receipt.json")
		d.fail(ctx, p, "pull_failed", err)
		return
	}
	d.mu.Lock()
	for k, x := range d.pulls {
		if x == pl {
			delete(d.pulls, k)
		}
	}
	d.mu.Unlock()
	d.keep(context.WithoutCancel(ctx), p, receipt, final, true)
}

// keep records a transfer whose data verified and lies under its final
// name with its receipt, and completes it: the ledger's received_verified
// (with recordAudit: after a restart it may already be there, and is
// recorded again rather than risk missing it), the state received, the
// protocol's completion, the state completed. Each step can be redone
// after a crash (endOrphans).
func (d *dataPlane) keep(ctx context.Context, p *dsp.Process, receipt *transfer.Receipt, final string, recordAudit bool) {
	// The record's digest is SHA-256: the receipt's for suite intl; suite
	// gm's receipt holds an SM3 digest, so the file is hashed once more.
	digest := hex.EncodeToString(receipt.Digest)
	if receipt.Suite != "intl" {
		var err error
		if digest, err = fileSHA256(final); err != nil {
			d.log.ErrorContext(ctx, "hashing a received file", slog.String("pid", p.ConsumerPID), slog.Any("error", err))
			return
		}
	}
	if recordAudit {
		d.audit(ctx, d.n.cfg.DID, audit.OpTransfer, p.ConsumerPID, audit.ResultSuccess, "received_verified",
			map[string]any{"provider": p.Counterparty, "agreement": p.AgreementID, "receipt": receipt}, receipt.Size)
	}
	d.setTransferState(ctx, dsp.Consumer, p.ConsumerPID, "received", receipt.Size, digest, final, "")
	if !p.State.Terminal() {
		// An error may come after the completion was stored, from its
		// delivery (say, a provider that applied it, crashed before it
		// answered and refuses it when it comes again): what counts here
		// is this side's state.
		if _, err := d.n.dsp.CompleteTransfer(ctx, dsp.Consumer, p.ConsumerPID); err != nil {
			cur, gerr := d.n.dsp.Process(ctx, dsp.KindTransfer, dsp.Consumer, p.ConsumerPID)
			if gerr != nil || cur.State != dsp.Completed {
				d.log.ErrorContext(ctx, "completing a received transfer", slog.String("pid", p.ConsumerPID), slog.Any("error", err))
				return
			}
			d.log.WarnContext(ctx, "a completed transfer's completion message was not delivered", slog.String("pid", p.ConsumerPID), slog.Any("error", err))
		}
	}
	d.setTransferState(ctx, dsp.Consumer, p.ConsumerPID, "completed", receipt.Size, digest, final, "")
}

// integrityError reports a stream that did not verify, as opposed to one
// that could not be had (a refused token — the provider restarted and
// forgot the transfer —, an unknown or ended transfer, a connection that
// kept failing).
func integrityError(err error) bool {
	for _, e := range []error{transfer.ErrMalformed, transfer.ErrMismatch, transfer.ErrChunkAuth,
		transfer.ErrHeaderSignature, transfer.ErrTrailerSignature, transfer.ErrDigest} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// fail ends a consumer transfer that cannot go on: nothing received is
// kept, the provider is told why, the ledger records the failure.
func (d *dataPlane) fail(ctx context.Context, p *dsp.Process, code string, cause error) {
	d.log.WarnContext(ctx, "transfer failed", slog.String("pid", p.ConsumerPID), slog.String("code", code), slog.Any("error", cause))
	// A node killed between the request and its record left none: the
	// failure is recorded all the same, so the transfer is listed.
	dataset := ""
	if neg, err := d.n.dspStore.ByAgreement(ctx, dsp.Consumer, p.AgreementID); err == nil {
		dataset = neg.Target
	}
	if err := d.recordConsumerTransfer(ctx, p.ConsumerPID, p.AgreementID, dataset, p.Counterparty); err != nil {
		d.log.ErrorContext(ctx, "recording a failed transfer", slog.String("pid", p.ConsumerPID), slog.Any("error", err))
	}
	d.setTransferState(ctx, dsp.Consumer, p.ConsumerPID, "failed", 0, "", "", code)
	d.audit(ctx, d.n.cfg.DID, audit.OpTransfer, p.ConsumerPID, audit.ResultFailure, code,
		map[string]any{"provider": p.Counterparty, "agreement": p.AgreementID, "error": cause.Error()}, 0)
	d.mu.Lock()
	for k, x := range d.pulls {
		if x.pid == p.ConsumerPID {
			delete(d.pulls, k)
		}
	}
	d.mu.Unlock()
	if cur, err := d.n.dsp.Process(ctx, dsp.KindTransfer, dsp.Consumer, p.ConsumerPID); err == nil && cur.State.Terminal() {
		return
	}
	if _, err := d.n.dsp.Terminate(context.WithoutCancel(ctx), dsp.KindTransfer, dsp.Consumer, p.ConsumerPID, code,
		dsp.Reason{Value: "The consumer ended the transfer: " + code}); err != nil {
		d.log.ErrorContext(ctx, "terminating a failed transfer", slog.String("pid", p.ConsumerPID), slog.Any("error", err))
	}
}

// receivedName is a file name for a transfer's data: the process id with
// anything but [A-Za-z0-9._-] replaced.
func receivedName(pid string) string {
	b := []byte(pid)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// endOrphans finishes the consumer transfers a previous run left in
// flight. No pull runs yet, so every partial file in received/ (and every
// temporary receipt) is an orphan and is removed. A transfer whose data
// was renamed to its final name verified whole before the crash: it is
// recorded and completed (keep). The others cannot go on — their
// ephemeral keys were in the previous run's memory — and are ended.
func (d *dataPlane) endOrphans(ctx context.Context) {
	dir := filepath.Join(d.n.cfg.DataDir, "received")
	for _, pat := range []string{"*.part", ".*.tmp*"} {
		names, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, f := range names {
			os.Remove(f)
		}
	}
	rows, err := d.db.QueryContext(ctx, `SELECT pid, state FROM node_transfers WHERE role = 'consumer' AND state IN ('requested', 'pulling', 'suspended', 'received')`)
	if err != nil {
		d.log.ErrorContext(ctx, "reading unfinished transfers", slog.Any("error", err))
		return
	}
	type orphan struct{ pid, state string }
	var orphans []orphan
	for rows.Next() {
		var o orphan
		if rows.Scan(&o.pid, &o.state) == nil {
			orphans = append(orphans, o)
		}
	}
	rows.Close()
	for _, o := range orphans {
		p, err := d.n.dsp.Process(ctx, dsp.KindTransfer, dsp.Consumer, o.pid)
		if err != nil {
			continue
		}
		final := filepath.Join(dir, receivedName(o.pid))
		if rc, err := readReceipt(final); err == nil && p.State != dsp.Terminated {
			d.keep(ctx, p, rc, final, o.state != "received")
			continue
		}
		// Not verified whole, or the transfer was ended meanwhile: nothing
		// of it is kept.
		os.Remove(final)
		os.Remove(final + ".receipt.json")
		if p.State.Terminal() {
			d.setTransferState(ctx, dsp.Consumer, o.pid, "failed", 0, "", "", "consumer_restarted")
			continue
		}
		d.fail(ctx, p, "consumer_restarted", errors.New("the consumer restarted; its ephemeral key is gone"))
	}
}

// fileSHA256 is the hex SHA-256 of a file's content.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readReceipt reads the receipt beside a received file, when both exist.
func readReceipt(final string) (*transfer.Receipt, error) {
	if _, err := os.Stat(final); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(final + ".receipt.json")
	if err != nil {
		return nil, err
	}
	var rc transfer.Receipt
	if err := json.Unmarshal(b, &rc); err != nil {
		return nil, err
	}
	return &rc, nil
}
