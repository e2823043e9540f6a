package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// PullConfig configures a Puller.
type PullConfig struct {
	// Address is the DataAddress of the provider's TransferStartMessage.
	Address DataAddress
	// Reader is what the consumer knows of the transfer.
	Reader ReaderConfig
	// Client makes the requests; nil means http.DefaultClient. It must not
	// have a Timeout shorter than the whole pull.
	Client *http.Client
	Retry  RetryPolicy
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
}

// Puller is the consumer's pull client of one transfer. It keeps the
// Reader's state between calls, so after ErrSuspended (or any error that
// Resumable accepts) a later Pull, with a new address from SetAddress if
// the provider issued one, continues where the last verified chunk left
// off.
type Puller struct {
	ac      authClient
	retry   RetryPolicy
	r       *Reader
	receipt *Receipt
}

// NewPuller checks cfg and returns a Puller.
func NewPuller(cfg PullConfig) (*Puller, error) {
	r, err := NewReader(nil, cfg.Reader)
	if err != nil {
		return nil, err
	}
	if cfg.Address.Endpoint == "" || cfg.Address.Token == "" {
		return nil, errors.New("transfer: pull: no endpoint or token")
	}
	hc, now := cfg.Client, cfg.Now
	if hc == nil {
		hc = http.DefaultClient
	}
	if now == nil {
		now = time.Now
	}
	return &Puller{ac: authClient{hc: hc, addr: cfg.Address, now: now}, retry: cfg.Retry, r: r}, nil
}

// SetAddress replaces the DataAddress (after the provider resumed a
// suspended transfer with a new TransferStartMessage).
func (p *Puller) SetAddress(a DataAddress) { p.ac.addr = a }

// Next is the first chunk not yet verified.
func (p *Puller) Next() uint64 { return p.r.Next() }

// Progress returns the chunks and bytes verified so far.
func (p *Puller) Progress() Progress { return p.r.Progress() }

// Pull fetches the transfer and writes its verified plaintext to dst,
// each byte once across calls. It retries dropped connections and
// truncated streams from the next unverified chunk, refreshes the access
// token when it expires, and returns the provider's verified receipt.
// It gives up after Retry.MaxAttempts failures in a row without progress,
// at once on a stream that fails verification, and with ErrSuspended,
// ErrTerminated or ErrUnknownTransfer when the provider says so.
func (p *Puller) Pull(ctx context.Context, dst io.Writer) (*Receipt, error) {
	if p.receipt != nil {
		return p.receipt, nil
	}
	ew := &errWriter{w: dst}
	failures := 0
	refreshed := false
	for {
		before := p.r.Next()
		err := p.attempt(ctx, ew)
		switch {
		case err == nil:
			p.receipt = p.r.Receipt()
			return p.receipt, nil
		case ew.err != nil:
			return nil, fmt.Errorf("transfer: writing the plaintext: %w", ew.err)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("transfer: pull: %w", ctx.Err())
		case errors.Is(err, ErrTokenExpired) && !refreshed:
			refreshed = true
			if err = p.ac.refresh(ctx); err == nil {
				continue
			}
			if !errors.Is(err, errRetryable) {
				return nil, err
			}
		case !Resumable(err) && !errors.Is(err, errRetryable):
			return nil, err
		}
		refreshed = false
		if p.r.Next() > before {
			failures = 0
		}
		failures++
		if failures >= p.retry.attempts() {
			return nil, fmt.Errorf("transfer: pull: %w after %d attempts: %w", errNoProgress, failures, err)
		}
		if werr := p.retry.wait(ctx, failures); werr != nil {
			return nil, fmt.Errorf("transfer: pull: %w", werr)
		}
	}
}

// errRetryable marks transport failures and 5xx replies.
var errRetryable = errors.New("retryable")

func (p *Puller) attempt(ctx context.Context, dst io.Writer) error {
	if err := p.ac.fresh(ctx); err != nil {
		return err
	}
	u, err := p.ac.endpoint(p.r.Next())
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("transfer: pull: %w", err)
	}
	resp, err := p.ac.do(req)
	if err != nil {
		return fmt.Errorf("transfer: pull: %w: %w", errRetryable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := statusError(resp)
		if retryableStatus(resp.StatusCode) {
			return fmt.Errorf("%w: %w", errRetryable, err)
		}
		return err
	}
	if err := p.r.Resume(resp.Body); err != nil {
		return err
	}
	_, err = p.r.WriteTo(dst)
	return err
}
