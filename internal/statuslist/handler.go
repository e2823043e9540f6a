package statuslist

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ServeHTTP serves the status list credential whose URL path is the request's
// path (GET and HEAD). Mount the Publisher at the path prefix of the lists'
// URLs; a path that is no list's is 404. The response carries the
// credential's media type and a Cache-Control max-age of the TTL (or no-cache
// when no TTL is set), never beyond validUntil.
func (p *Publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id, ok := p.o.Store.byPath(r.URL.EscapedPath())
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, until, err := p.Credential(r.Context(), id)
	if err != nil {
		http.Error(w, "status list unavailable", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", p.MediaType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", cacheControl(p.o.TTL, until, p.o.Now()))
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func cacheControl(ttl time.Duration, until, now time.Time) string {
	if ttl <= 0 {
		return "no-cache"
	}
	if !until.IsZero() && until.Sub(now) < ttl {
		ttl = until.Sub(now)
	}
	if ttl < time.Second {
		return "no-cache"
	}
	return fmt.Sprintf("max-age=%d", int(ttl/time.Second))
}
