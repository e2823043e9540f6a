package witness

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// ContentTypeSize is the content type of a 409 reply that carries the
// witness's latest cosigned size. tessera's client compares it exactly, so
// it has no parameters.
const ContentTypeSize = "text/x.tlog.size"

// Handler returns an http.Handler serving "POST <prefix>/add-checkpoint".
// prefix is a plain URL path such as "/witness", or "" for the root; it is
// the path part of the URL logs configure (tessera.NewWitness appends
// "/add-checkpoint" to it). The server should set ReadHeaderTimeout and
// ReadTimeout; the handler bounds the body to [MaxRequestBytes].
func (w *Witness) Handler(prefix string) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+prefix+"/add-checkpoint", w.serveAddCheckpoint)
	return mux
}

func (w *Witness) serveAddCheckpoint(rw http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	body, err := io.ReadAll(http.MaxBytesReader(rw, req.Body, MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(rw, &Error{Status: http.StatusRequestEntityTooLarge, Msg: "request body too large"})
			return
		}
		w.log.DebugContext(ctx, "add-checkpoint: reading the body", slog.Any("error", err))
		writeError(rw, malformed("cannot read the request body"))
		return
	}
	r, err := ParseRequest(body)
	if err == nil {
		var cosig []byte
		if cosig, err = w.AddCheckpoint(ctx, r); err == nil {
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Write(cosig)
			return
		}
	}
	var e *Error
	if !errors.As(err, &e) {
		// Already logged by AddCheckpoint; the detail stays out of the reply.
		e = &Error{Status: http.StatusInternalServerError, Msg: "internal error"}
	}
	writeError(rw, e)
}

// writeError is the one place that turns a refusal into an HTTP reply.
func writeError(rw http.ResponseWriter, e *Error) {
	h := rw.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if e.Status == http.StatusConflict && e.Latest != nil {
		h.Set("Content-Type", ContentTypeSize)
		rw.WriteHeader(e.Status)
		io.WriteString(rw, strconv.FormatUint(*e.Latest, 10)+"\n")
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	rw.WriteHeader(e.Status)
	io.WriteString(rw, e.Msg+"\n")
}
