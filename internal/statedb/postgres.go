package statedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Pool limits of OpenPostgres: a node is a handful of components sharing
// one server with other replicas and tools, so the pool stays small and
// gives idle connections back.
const (
	pgMaxOpen     = 10
	pgMaxIdle     = 4
	pgMaxIdleTime = 5 * time.Minute
	pgMaxLifetime = 30 * time.Minute
	pgPingTimeout = 15 * time.Second
)

// IsPostgresURL reports whether dsn asks for PostgreSQL (its scheme is
// postgres or postgresql), whether or not it is otherwise valid.
func IsPostgresURL(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	scheme = strings.ToLower(scheme)
	return ok && (scheme == "postgres" || scheme == "postgresql")
}

// CheckPostgresURL checks that dsn is a PostgreSQL URL xborder can use:
// postgres:// or postgresql://, a host (in the authority, or a host
// parameter such as ?host=/run/postgresql for a unix socket), and settings
// the driver accepts. Its errors never contain the password.
func CheckPostgresURL(dsn string) error {
	_, err := parsePostgres(dsn)
	return err
}

func parsePostgres(dsn string) (*pgx.ConnConfig, error) {
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok {
		return nil, errors.New("want a postgres:// or postgresql:// URL")
	}
	if !IsPostgresURL(dsn) {
		return nil, fmt.Errorf("scheme %q: want postgres:// or postgresql://", safeScheme(scheme))
	}
	dsn = strings.ToLower(scheme) + dsn[len(scheme):] // the driver knows lower case only
	u, err := parseURL(dsn)
	if err != nil {
		return nil, err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("not a valid URL: bad query parameters")
	}
	if u.Hostname() == "" && q.Get("host") == "" {
		return nil, errors.New("no host: write postgres://HOST[:PORT]/DATABASE, or ?host=/DIR for a unix socket")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The driver's message quotes the connection string, masking the
		// password only on a best-effort basis: give its reason only,
		// and mask whatever could be the password again.
		return nil, fmt.Errorf("not accepted by the driver: %s", redactError(dsn, driverReason(err)))
	}
	return cfg, nil
}

const encodeHint = "percent-encode '@', ':', '/' and '?' in the user name and password: %40, %3A, %2F, %3F"

// parseURL parses dsn as a URL, refusing an '@' after the host:
// postgres://u:p@ss/w@host/db parses as host "ss", and the rest of the
// password would end up in the database name, and in messages.
func parseURL(dsn string) (*url.URL, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, errors.New("not a valid URL (" + encodeHint + ")")
	}
	if strings.Contains(u.Path, "@") || strings.Contains(u.RawQuery, "@") || strings.Contains(u.Fragment, "@") {
		return nil, errors.New("'@' after the host: " + encodeHint)
	}
	return u, nil
}

// driverReason strips the quoted connection string from a pgx parse error.
func driverReason(err error) string {
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, "cannot parse `"); ok {
		if i := strings.LastIndex(rest, "`: "); i >= 0 {
			return rest[i+3:]
		}
		return "invalid connection URL"
	}
	return s
}

// safeScheme returns a scheme fit for an error message: a URL scheme's
// characters only, and short (a "scheme" may be a mistyped secret).
func safeScheme(s string) string {
	if len(s) > 16 {
		return "…"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return "…"
		}
	}
	return s
}

// OpenPostgres opens a pool of connections to the PostgreSQL database of
// dsn (see CheckPostgresURL) with pgx's database/sql driver and checks it
// with a ping. The pool is small (at most 10 connections, 4 idle) and
// recycles connections. Durability is the server's (synchronous_commit).
// Its errors never contain the password.
func OpenPostgres(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := parsePostgres(dsn)
	if err != nil {
		return nil, fmt.Errorf("statedb: postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pgMaxOpen)
	db.SetMaxIdleConns(pgMaxIdle)
	db.SetConnMaxIdleTime(pgMaxIdleTime)
	db.SetConnMaxLifetime(pgMaxLifetime)
	pctx, cancel := context.WithTimeout(ctx, pgPingTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("statedb: postgres: connecting to %s: %s", Redact(dsn), redactError(dsn, err.Error()))
	}
	return db, nil
}

// Redact returns dsn for logs and messages: a URL's password (in the user
// information and in password or sslpassword parameters) is replaced by
// xxxxx. A dsn that is no URL is replaced whole.
func Redact(dsn string) string {
	u, err := parseURL(dsn)
	if err != nil || u.Scheme == "" {
		return "xxxxx"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); len(q) > 0 {
		changed := false
		for k := range q {
			if isPasswordKey(k) {
				q[k] = []string{"xxxxx"}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

func isPasswordKey(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || k == "sslpassword"
}

// redactError masks, in a message about dsn, every string that could be
// the password: what url.Parse finds, and what a lenient reading of a URL
// it refuses finds.
func redactError(dsn, msg string) string {
	for _, s := range secrets(dsn) {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// secrets returns the candidate passwords of dsn, longest first, each in
// its raw and decoded spellings.
func secrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		out = append(out, s)
		if d, err := url.PathUnescape(s); err == nil && d != s && d != "" {
			out = append(out, d)
		}
		if d, err := url.QueryUnescape(s); err == nil && d != s && d != "" {
			out = append(out, d)
		}
	}
	if u, err := url.Parse(dsn); err == nil {
		if p, ok := u.User.Password(); ok {
			add(p)
		}
		for k, vs := range u.Query() {
			if isPasswordKey(k) {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	// Lenient: the user information up to the last '@' (with the query,
	// and without it), and every password= value of the raw text.
	if _, rest, ok := strings.Cut(dsn, "://"); ok {
		for _, r := range []string{rest, strings.SplitN(rest, "?", 2)[0]} {
			if at := strings.LastIndex(r, "@"); at >= 0 {
				if _, pw, ok := strings.Cut(r[:at], ":"); ok {
					add(pw)
				}
			}
		}
	}
	for _, part := range strings.FieldsFunc(dsn, func(r rune) bool { return r == '?' || r == '&' || r == ' ' }) {
		if k, v, ok := strings.Cut(part, "="); ok && isPasswordKey(k) {
			add(strings.Trim(v, "'"))
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
