package catalog

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Federated resolution (seed §2.3.4.2). A root resolver keeps the table
// sovereignty code → local resolver and routes each identifier by its
// sovereignty code; it never sees metadata. Each jurisdiction runs its own
// local resolver, which authenticates the requester, checks the requester
// may see the entry, records the resolution and answers with the metadata
// and the access interface — or refuses. A refusal looks exactly like an
// unknown identifier (404), as in the Dataspace Protocol.
//
// HTTP API (JSON; the connector mounts the handlers, behind TLS):
//
//	root:  GET /v1/routes              the routing table
//	       GET /v1/route/{id}          where an identifier resolves: 200 Route
//	       GET /v1/resolve/{id}        307 to the local resolver (body: Route)
//	local: GET /v1/resolve/{id}        200 Resolution; 404; 410 withdrawn
//	       GET /v1/datasets/{id}       200 the entry
//	       GET /v1/search?q=…&facet=industry:finance&to=US&page=1&limit=20&sort=…
//
// Errors are {"error": code, "message": text} with code bad_request,
// unauthorized, not_found, gone or internal.

// Authenticator identifies the requester of an HTTP request. No credentials
// is the anonymous Requester and a nil error; bad credentials are an error
// (401). The connector will plug in verification of presentations; the
// catalog only consumes the verified result.
type Authenticator interface {
	Authenticate(r *http.Request) (Requester, error)
}

// BearerTokens authenticates "Authorization: Bearer <token>" against a fixed
// table: for tests and closed deployments.
type BearerTokens map[string]Requester

// Authenticate looks the bearer token up, comparing in constant time.
func (b BearerTokens) Authenticate(r *http.Request) (Requester, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Requester{}, nil
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return Requester{}, errors.New("unsupported authorization scheme")
	}
	var found Requester
	match := 0
	for k, req := range b {
		if subtle.ConstantTimeCompare([]byte(k), []byte(tok)) == 1 {
			found, match = req, 1
		}
	}
	if match == 0 {
		return Requester{}, errors.New("unknown token")
	}
	found.operator = false
	return found, nil
}

// LocalResolverConfig configures a local resolver.
type LocalResolverConfig struct {
	Catalog       *Catalog
	Authenticator Authenticator // nil: every requester is anonymous
	Logger        *slog.Logger  // nil: discard
}

type localResolver struct {
	cfg LocalResolverConfig
	log *slog.Logger
}

// NewLocalResolver returns the HTTP handler of a local resolver.
func NewLocalResolver(cfg LocalResolverConfig) (http.Handler, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("local resolver: no catalog")
	}
	lr := &localResolver{cfg: cfg, log: cfg.Logger}
	if lr.log == nil {
		lr.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/resolve/{id...}", lr.resolve)
	mux.HandleFunc("GET /v1/datasets/{id...}", lr.dataset)
	mux.HandleFunc("GET /v1/search", lr.search)
	return mux, nil
}

func (lr *localResolver) requester(w http.ResponseWriter, r *http.Request) (Requester, bool) {
	if lr.cfg.Authenticator == nil {
		return Requester{}, true
	}
	req, err := lr.cfg.Authenticator.Authenticate(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthorized", "the credentials were not accepted")
		return Requester{}, false
	}
	return req, true
}

func (lr *localResolver) resolve(w http.ResponseWriter, r *http.Request) {
	req, ok := lr.requester(w, r)
	if !ok {
		return
	}
	res, err := lr.cfg.Catalog.Resolve(r.Context(), req, r.PathValue("id"))
	if err != nil {
		lr.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (lr *localResolver) dataset(w http.ResponseWriter, r *http.Request) {
	req, ok := lr.requester(w, r)
	if !ok {
		return
	}
	e, err := lr.cfg.Catalog.Get(r.Context(), req, r.PathValue("id"))
	if err != nil {
		lr.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (lr *localResolver) search(w http.ResponseWriter, r *http.Request) {
	req, ok := lr.requester(w, r)
	if !ok {
		return
	}
	v := r.URL.Query()
	sr := SearchRequest{Query: v.Get("q"), Sort: v.Get("sort"), NoHints: v.Get("hints") == "false"}
	for _, f := range v["facet"] {
		name, val, ok := strings.Cut(f, ":")
		if !ok {
			writeError(w, http.StatusBadRequest, "bad_request", "facet: want name:value, e.g. industry:finance")
			return
		}
		if sr.Filters == nil {
			sr.Filters = map[string][]string{}
		}
		sr.Filters[name] = append(sr.Filters[name], val)
	}
	if to := v.Get("to"); to != "" {
		sr.To = strings.Split(to, ",")
	}
	for name, dst := range map[string]*int{"page": &sr.Page, "limit": &sr.Limit} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				writeError(w, http.StatusBadRequest, "bad_request", name+": not a number")
				return
			}
			*dst = n
		}
	}
	res, err := lr.cfg.Catalog.Search(r.Context(), req, sr)
	if err != nil {
		lr.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (lr *localResolver) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case IsInputError(err):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrDenied):
		writeError(w, http.StatusNotFound, "not_found", "no such dataset")
	case errors.Is(err, ErrWithdrawn):
		writeError(w, http.StatusGone, "gone", "the dataset was withdrawn")
	default:
		lr.log.ErrorContext(r.Context(), "catalog: request failed", "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{code, msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","message":"encoding the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}

// RootResolverConfig configures a root resolver.
type RootResolverConfig struct {
	// Prefixes are the infrastructure prefixes this root answers for;
	// empty answers for any.
	Prefixes []string
	// Resolvers maps a sovereignty code (CN, DE, EU, …) to the base URL of
	// its local resolver.
	Resolvers map[string]string
	Logger    *slog.Logger
}

// Route is the root's answer: where an identifier resolves.
type Route struct {
	Identifier  string `json:"identifier"`
	Sovereignty string `json:"sovereignty"`
	Resolver    string `json:"resolver"` // base URL of the local resolver
	Resolve     string `json:"resolve"`  // the URL to GET
}

type rootResolver struct {
	prefixes  []string
	resolvers map[string]string
}

// NewRootResolver returns the HTTP handler of a root resolver.
func NewRootResolver(cfg RootResolverConfig) (http.Handler, error) {
	rr := &rootResolver{resolvers: map[string]string{}}
	for _, p := range cfg.Prefixes {
		lp, err := labelPart(p, 2, maxPrefixLen, true)
		if err != nil {
			return nil, fmt.Errorf("root resolver: prefix %q: %v", p, err)
		}
		rr.prefixes = append(rr.prefixes, lp)
	}
	for sov, base := range cfg.Resolvers {
		s := strings.ToUpper(sov)
		if !ValidSovereignty(s) {
			return nil, fmt.Errorf("root resolver: %q is not a sovereignty code", sov)
		}
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("root resolver: the resolver of %s, %q, is not an http(s) URL", s, base)
		}
		rr.resolvers[s] = strings.TrimRight(base, "/")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/routes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"prefixes": rr.prefixes, "resolvers": rr.resolvers})
	})
	mux.HandleFunc("GET /v1/route/{id...}", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := rr.route(w, r.PathValue("id")); ok {
			writeJSON(w, http.StatusOK, rt)
		}
	})
	mux.HandleFunc("GET /v1/resolve/{id...}", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := rr.route(w, r.PathValue("id")); ok {
			w.Header().Set("Location", rt.Resolve)
			writeJSON(w, http.StatusTemporaryRedirect, rt)
		}
	})
	return mux, nil
}

func (rr *rootResolver) route(w http.ResponseWriter, ref string) (Route, bool) {
	id, err := ParseRef(ref)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return Route{}, false
	}
	if len(rr.prefixes) > 0 && !slices.Contains(rr.prefixes, id.Prefix) {
		writeError(w, http.StatusNotFound, "not_found", "this root does not serve the prefix "+id.Prefix)
		return Route{}, false
	}
	base, ok := rr.resolvers[id.Sovereignty]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no resolver for sovereignty "+id.Sovereignty)
		return Route{}, false
	}
	return Route{Identifier: id.String(), Sovereignty: id.Sovereignty, Resolver: base, Resolve: base + "/v1/resolve/" + id.String()}, true
}

// Client resolves identifiers through a root resolver: it asks the root
// where the identifier resolves, then asks that local resolver with the
// requester's credentials (which never go to the root).
type Client struct {
	Root string       // base URL of the root resolver
	HTTP *http.Client // default: a client with a 10 s timeout
	// Authorize adds the requester's credentials to requests to local
	// resolvers.
	Authorize func(*http.Request) error
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Route asks the root where an identifier resolves.
func (c *Client) Route(ctx context.Context, ref string) (*Route, error) {
	id, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	var rt Route
	if err := c.get(ctx, strings.TrimRight(c.Root, "/")+"/v1/route/"+id.String(), false, &rt); err != nil {
		return nil, fmt.Errorf("asking the root resolver for %s: %w", id, err)
	}
	return &rt, nil
}

// Resolve resolves an identifier through the federation.
func (c *Client) Resolve(ctx context.Context, ref string) (*Resolution, error) {
	rt, err := c.Route(ctx, ref)
	if err != nil {
		return nil, err
	}
	var res Resolution
	if err := c.get(ctx, rt.Resolve, true, &res); err != nil {
		return nil, fmt.Errorf("resolving %s at %s: %w", rt.Identifier, rt.Resolver, err)
	}
	return &res, nil
}

// maxResponse bounds a resolver's answer.
const maxResponse = 4 * MaxEntryBytes

func (c *Client) get(ctx context.Context, u string, auth bool, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if auth && c.Authorize != nil {
		if err := c.Authorize(req); err != nil {
			return err
		}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return err
	}
	if len(body) > maxResponse {
		return fmt.Errorf("the answer is larger than %d bytes", maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		var ae apiError
		_ = json.Unmarshal(body, &ae)
		switch resp.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w", ae.Message, ErrNotFound)
		case http.StatusGone:
			return fmt.Errorf("%s: %w", ae.Message, ErrWithdrawn)
		case http.StatusBadRequest:
			return &InputError{Msg: ae.Message}
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, ae.Message)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	return nil
}
