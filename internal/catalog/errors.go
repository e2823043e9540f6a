package catalog

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound: no entry has this identifier.
	ErrNotFound = errors.New("not found")
	// ErrDenied: the entry exists but the requester may not see it. The HTTP
	// handlers answer it exactly like ErrNotFound, so that a requester cannot
	// learn that a restricted entry exists.
	ErrDenied = errors.New("access denied")
	// ErrWithdrawn: the entry was withdrawn; its identifier is not reused
	// unless the same entry is registered again.
	ErrWithdrawn = errors.New("withdrawn")
	// ErrExists: registering an identifier that is already registered
	// (use RegisterOptions.Replace to update it).
	ErrExists = errors.New("already registered")
)
