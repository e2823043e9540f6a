package witness

import (
	"fmt"
	"net/http"
)

// Error is a refusal of an add-checkpoint request. Status is the HTTP
// status code c2sp.org/tlog-witness assigns to the failed check (see the
// package documentation); Msg is safe to send to the client.
type Error struct {
	Status int
	// Latest is set only for an old-size mismatch (409): the size of the
	// latest checkpoint the witness cosigned for the origin, which the reply
	// carries as a text/x.tlog.size body.
	Latest *uint64
	Msg    string
}

func (e *Error) Error() string {
	if e.Latest != nil {
		return fmt.Sprintf("witness: %d %s: %s (latest cosigned size %d)", e.Status, http.StatusText(e.Status), e.Msg, *e.Latest)
	}
	return fmt.Sprintf("witness: %d %s: %s", e.Status, http.StatusText(e.Status), e.Msg)
}

func malformed(msg string) *Error { return &Error{Status: http.StatusBadRequest, Msg: msg} }

func refuse(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}
