package psi

import (
	"context"
	"errors"
)

// chanConn is one end of an in-memory channel pair.
type chanConn struct {
	in  <-chan []byte
	out chan<- []byte
}

func (c chanConn) Send(ctx context.Context, b []byte) error {
	select {
	case c.out <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c chanConn) Recv(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.in:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Pipe returns the two ends of an in-memory connection that holds at most
// depth messages in flight each way, so memory stays bounded per batch.
func Pipe(depth int) (Conn, Conn) {
	ab := make(chan []byte, depth)
	ba := make(chan []byte, depth)
	return chanConn{in: ba, out: ab}, chanConn{in: ab, out: ba}
}

// RunLocal runs both parties in this process over an in-memory pipe and
// returns what each learned. bValues is used in ModeSum only.
func RunLocal(ctx context.Context, c Config, aKeys, bKeys []string, bValues []uint64) (ra, rb *Result, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ca, cb := Pipe(4)
	var errA, errB error
	done := make(chan struct{})
	go func() {
		defer close(done)
		rb, errB = RunB(ctx, c, cb, bKeys, bValues)
		if errB != nil {
			cancel()
		}
	}()
	ra, errA = RunA(ctx, c, ca, aKeys)
	if errA != nil {
		cancel()
	}
	<-done
	// The first failure cancels the other party; report the cause.
	if errA != nil && errors.Is(errA, context.Canceled) && errB != nil {
		errA = nil
	}
	if errB != nil && errors.Is(errB, context.Canceled) && errA != nil {
		errB = nil
	}
	if err := errors.Join(errA, errB); err != nil {
		return nil, nil, err
	}
	return ra, rb, nil
}
