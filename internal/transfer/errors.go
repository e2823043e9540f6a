package transfer

import (
	"errors"
	"fmt"
)

// Errors of the stream format. A [Reader] wraps one of them in every error
// it returns (chunk errors inside a [*ChunkError]), so callers can tell an
// interrupted stream, which can be resumed, from one that does not verify,
// which must not be.
var (
	// ErrTruncated: the stream ended, or the connection failed, before the
	// trailer. The chunks verified so far stand; resume from Reader.Next.
	// The underlying read error, if any, is wrapped as well.
	ErrTruncated = errors.New("stream truncated")
	// ErrMalformed: the bytes are not a stream of this format (bad magic,
	// unknown version, record of a wrong type or length, a field out of
	// range, data after the trailer).
	ErrMalformed = errors.New("malformed stream")
	// ErrMismatch: a well-formed, signed stream that is for another
	// transfer, party, consumer key, suite or starting chunk than the
	// Reader expects.
	ErrMismatch = errors.New("stream is not the one expected")
	// ErrChunkAuth: a chunk's AEAD tag does not verify: it was modified,
	// moved, dropped, duplicated, taken from another stream, or sealed
	// under another key. Always inside a *ChunkError naming the index.
	ErrChunkAuth = errors.New("chunk does not authenticate")
	// ErrHeaderSignature: the provider's signature on the header does not
	// verify under the provider key the Reader was given.
	ErrHeaderSignature = errors.New("header signature does not verify")
	// ErrTrailerSignature: the provider's signature on the trailer does not
	// verify.
	ErrTrailerSignature = errors.New("trailer signature does not verify")
	// ErrDigest: the trailer's digest, chunk count or byte count is not the
	// one of the plaintext received.
	ErrDigest = errors.New("trailer does not match the plaintext received")
)

// Errors of a transfer's state, returned by [Provider] methods, by a
// Writer whose transfer was suspended or terminated mid-stream, and by the
// pull and push clients when the other side reports that state.
var (
	ErrUnknownTransfer = errors.New("unknown transfer")
	ErrSuspended       = errors.New("transfer suspended")
	ErrTerminated      = errors.New("transfer terminated")
)

// Errors of access tokens ([Tokens.Verify]).
var (
	ErrTokenInvalid = errors.New("invalid access token")
	ErrTokenExpired = errors.New("access token expired")
	ErrTokenScope   = errors.New("access token is for another transfer or use")
)

// ChunkError is a failure of one chunk. Index is the chunk's index in the
// transfer (0 is the first chunk of the whole transfer, not of a resumed
// stream). Err wraps ErrChunkAuth, ErrMalformed, ErrMismatch or
// ErrTruncated.
type ChunkError struct {
	Index uint64
	Err   error
}

func (e *ChunkError) Error() string { return fmt.Sprintf("transfer: chunk %d: %v", e.Index, e.Err) }
func (e *ChunkError) Unwrap() error { return e.Err }

// Resumable reports whether a new stream can continue the transfer right
// away after err: a truncated or interrupted stream, as opposed to one
// that failed verification, a suspended transfer (which waits for the
// provider's Resume) or a terminated one.
func Resumable(err error) bool {
	if err == nil {
		return false
	}
	for _, e := range []error{ErrMalformed, ErrMismatch, ErrChunkAuth, ErrHeaderSignature,
		ErrTrailerSignature, ErrDigest, ErrTerminated, ErrUnknownTransfer} {
		if errors.Is(err, e) {
			return false
		}
	}
	return errors.Is(err, ErrTruncated)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("transfer: %w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func mismatch(format string, args ...any) error {
	return fmt.Errorf("transfer: %w: %s", ErrMismatch, fmt.Sprintf(format, args...))
}

func chunkErr(index uint64, sentinel error, format string, args ...any) error {
	if format == "" {
		return &ChunkError{Index: index, Err: sentinel}
	}
	return &ChunkError{Index: index, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}
