package anomaly

import (
	"context"
	"errors"
	"fmt"

	"github.com/xborder/xborder/internal/audit"
)

// Sink receives the alerts an [Engine] raises. Alert is called outside the
// engine's lock, possibly from several goroutines at once, and its error is
// returned by Observe (the alert has been raised all the same).
type Sink interface {
	Alert(ctx context.Context, a Alert) error
}

// SinkFunc adapts a function to [Sink].
type SinkFunc func(ctx context.Context, a Alert) error

// Alert calls f.
func (f SinkFunc) Alert(ctx context.Context, a Alert) error { return f(ctx, a) }

// Tee returns a sink handing each alert to every sink in turn, all of them
// even when one fails; the errors are joined.
func Tee(sinks ...Sink) Sink {
	return SinkFunc(func(ctx context.Context, a Alert) error {
		var errs []error
		for _, s := range sinks {
			if err := s.Alert(ctx, a); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// Appender appends an event to the audit ledger and returns its log index.
// The caller adapts *audit.Log, whose Append returns an audit.Appended:
//
//	type ledger struct{ log *audit.Log }
//
//	func (l ledger) Append(ctx context.Context, e *audit.Event) (uint64, error) {
//		a, err := l.log.Append(ctx, e)
//		return a.Index, err
//	}
type Appender interface {
	Append(ctx context.Context, e *audit.Event) (uint64, error)
}

// LedgerSink writes each alert to the audit ledger as the event
// [Alert.Event] returns. Append is synchronous: Observe returns once the
// ledger has acknowledged the alert.
type LedgerSink struct {
	log Appender
}

// NewLedgerSink returns a sink appending to log.
func NewLedgerSink(log Appender) *LedgerSink { return &LedgerSink{log: log} }

// Alert appends the alert's event.
func (s *LedgerSink) Alert(ctx context.Context, a Alert) error {
	if _, err := s.log.Append(ctx, a.Event()); err != nil {
		return fmt.Errorf("anomaly: ledger: appending alert %s: %w", a.ID, err)
	}
	return nil
}
