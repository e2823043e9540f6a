package statedb_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/statedb"
	"github.com/xborder/xborder/internal/statedb/pgtest"
)

func TestCheckPostgresURL(t *testing.T) {
	const pw = "s3cr3t-PW"
	cases := []struct {
		name, dsn string
		want      string // a fragment of the error; "" when accepted
	}{
		{"host and database", "postgres://xb:" + pw + "@db.example:5432/xborder?sslmode=verify-full", ""},
		{"postgresql scheme", "postgresql://xb@db.example/xborder", ""},
		{"scheme in capitals", "POSTGRES://xb@db.example/xborder", ""},
		{"unix socket", "postgres:///xborder?host=/run/postgresql", ""},
		{"IPv6 host", "postgres://xb:" + pw + "@[::1]:5432/xborder", ""},
		{"runtime parameter", "postgres://db.example/xborder?search_path=xb&application_name=xborder", ""},
		{"encoded password", "postgres://xb:p%40ss%2Fw%3Ard@db.example/xborder", ""},
		{"no scheme", "db.example:5432/xborder", "postgres:// or postgresql:// URL"},
		{"keyword form", "host=db.example password=" + pw, "postgres:// or postgresql:// URL"},
		{"mysql", "mysql://xb:" + pw + "@db.example/xborder", `scheme "mysql"`},
		{"sqlite", "sqlite:///var/lib/xborder/xborder.db", `scheme "sqlite"`},
		{"odd scheme", "pg sql://xb:" + pw + "@db/x", "scheme \"…\""},
		{"no host", "postgres:///xborder", "no host"},
		{"no host, user and password", "postgres://xb:" + pw + "@/xborder", "no host"},
		{"empty host parameter", "postgres:///xborder?host=", "no host"},
		{"bad port", "postgres://xb:" + pw + "@db.example:port/xborder", "percent-encode"},
		{"unencoded password", "postgres://xb:p@ss/" + pw + "@db.example/xborder", "percent-encode"},
		{"colon in the password", "postgres://xb:p:" + pw + ":x@db.example:5432/xborder", ""},
		{"bad sslmode", "postgres://xb:" + pw + "@db.example/xborder?sslmode=sometimes", "not accepted by the driver"},
		{"bad connect_timeout", "postgres://xb:" + pw + "@db.example/xborder?connect_timeout=soon", "not accepted by the driver"},
		{"bad query", "postgres://xb:" + pw + "@db.example/xborder?a=%zz", "bad query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := statedb.CheckPostgresURL(c.dsn)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatal("accepted")
			case err != nil && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q, want it to say %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
			if got := statedb.IsPostgresURL(c.dsn); got != strings.HasPrefix(strings.ToLower(c.dsn), "postgres") {
				t.Errorf("IsPostgresURL = %v", got)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://xb:secret@db.example:5432/xborder", "postgres://xb:xxxxx@db.example:5432/xborder"},
		{"postgres://xb@db.example/xborder", "postgres://xb@db.example/xborder"},
		{"postgres://db.example/xborder?password=secret&sslmode=require", "postgres://db.example/xborder?password=xxxxx&sslmode=require"},
		{"postgres://db.example/xborder?sslpassword=secret", "postgres://db.example/xborder?sslpassword=xxxxx"},
		{"postgres://xb:p%40ss@db.example/x", "postgres://xb:xxxxx@db.example/x"},
		{"postgres://xb:secret@db.example:port/x", "xxxxx"}, // not a URL
		{"host=db password=secret", "xxxxx"},
		{"", "xxxxx"},
	}
	for _, c := range cases {
		if got := statedb.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzPostgresURL: whatever the password (encoded or not) and whatever
// follows the host, neither the errors of CheckPostgresURL nor the
// redacted URL show the password.
func FuzzPostgresURL(f *testing.F) {
	for _, s := range [][2]string{
		{"s3cr3t-PW", "xborder"},
		{"s3cr3t-PW", "xborder?sslmode=nope"},
		{"p@ss:w/rd", "x"},
		{"123?x@h", "db"},
		{"a b%zz-secret", "x?connect_timeout=x"},
		{"p%40ss%2Fword", "x?password=other-secret"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pw, tail string) {
		const head, host = "postgres://xb:", "@db.example:5432/"
		if len(pw) < 6 || strings.Contains(head+host+tail, pw) {
			t.Skip() // too short to tell, or also another part of the URL
		}
		dsn := head + pw + host + tail
		shown := []string{pw}
		if d, err := url.PathUnescape(pw); err == nil && len(d) >= 6 && !strings.Contains(head+host+tail, d) {
			shown = append(shown, d)
		}
		// What the same URL with another password shows is no leak (the
		// password may be part of the encoded rest of the URL).
		other := head + "zzzzzzzz" + host + tail
		otherErr := ""
		if err := statedb.CheckPostgresURL(other); err != nil {
			otherErr = err.Error()
		}
		for _, s := range shown {
			if err := statedb.CheckPostgresURL(dsn); err != nil && strings.Contains(err.Error(), s) && !strings.Contains(otherErr, s) {
				t.Fatalf("error shows the password: %v", err)
			}
			if r := statedb.Redact(dsn); strings.Contains(r, s) && !strings.Contains(statedb.Redact(other), s) {
				t.Fatalf("Redact shows the password: %s", r)
			}
		}
	})
}

func TestOpenPostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	db := pgtest.Open(t, dsn)
	var v string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "xbt_") {
		t.Fatalf("current schema %q", v)
	}
	if s := db.Stats(); s.MaxOpenConnections != 10 {
		t.Errorf("pool limit %d", s.MaxOpenConnections)
	}
	// A wrong password: the server refuses, the message does not repeat it.
	// (The throwaway cluster trusts local connections: use a database that
	// does not exist instead, with a password in the URL.)
	u, _ := url.Parse(dsn)
	u.User = url.UserPassword("postgres", "s3cr3t-PW")
	u.Path = "/xborder_no_such_database"
	_, err := statedb.OpenPostgres(ctx, u.String())
	if err == nil {
		t.Fatal("opened a database that does not exist")
	}
	if strings.Contains(err.Error(), "s3cr3t-PW") || !strings.Contains(err.Error(), "xborder_no_such_database") {
		t.Fatalf("error: %v", err)
	}
}
