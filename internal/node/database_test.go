package node

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/statedb"
	"github.com/xborder/xborder/internal/statedb/pgtest"
	"github.com/xborder/xborder/internal/suite"
)

func TestConfigDatabase(t *testing.T) {
	const pw = "s3cr3t-PW"
	cases := []struct {
		name, yaml, env string
		want            string // the database configured, or the error's fragment
		ok              bool
	}{
		{"default: SQLite", "", "", "", true},
		{"postgres URL", "database: postgres://xb:" + pw + "@db.example:5432/xborder?sslmode=verify-full", "", "postgres://xb:" + pw + "@db.example:5432/xborder?sslmode=verify-full", true},
		{"postgresql URL, unix socket", "database: postgresql:///xborder?host=/run/postgresql", "", "postgresql:///xborder?host=/run/postgresql", true},
		{"from the environment", "", "postgres://db.example/xborder", "postgres://db.example/xborder", true},
		{"environment over the file", "database: postgres://a.example/x", "postgres://b.example/x", "postgres://b.example/x", true},
		{"mysql", "database: mysql://xb:" + pw + "@db.example/xborder", "", `scheme "mysql"`, false},
		{"a file path", "database: /var/lib/xborder/xborder.db", "", "postgres:// or postgresql:// URL", false},
		{"keyword form", "database: host=db.example password=" + pw, "", "postgres:// or postgresql:// URL", false},
		{"no host", "database: postgres://xb:" + pw + "@/xborder", "", "no host", false},
		{"bad port", "database: postgres://xb:" + pw + "@db.example:x/xborder", "", "percent-encode", false},
		{"unknown key beside it", "database: postgres://db.example/x\ndatabase_pool: 3\n", "", "database_pool", false},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "x.yaml")
			if err := os.WriteFile(p, []byte("data_dir: /srv/xborder\n"+c.yaml+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(p, func(k string) string {
				if k == "XBORDER_DATABASE" {
					return c.env
				}
				return ""
			})
			if err == nil {
				err = cfg.Validate()
			}
			switch {
			case c.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case c.ok && cfg.Database != c.want:
				t.Fatalf("database %q, want %q", cfg.Database, c.want)
			case !c.ok && err == nil:
				t.Fatal("accepted")
			case !c.ok && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q, want it to say %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
			if strings.Contains(cfg.stateDBName(), pw) {
				t.Fatalf("the logged name shows the password: %s", cfg.stateDBName())
			}
		})
	}
}

// TestNodeOnPostgres: a node configured with database: postgres://… keeps
// its catalog there (none in DATA_DIR): a dataset registered through the
// management API is still there after a restart. The password in the URL
// is never logged. Needs XBORDER_TEST_POSTGRES.
func TestNodeOnPostgres(t *testing.T) {
	u, err := url.Parse(pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	const pw = "n0t-logged-PW" // the throwaway cluster trusts local connections: any password does
	u.User = url.UserPassword(u.Query().Get("user"), pw)
	if u.User.Username() == "" {
		u.User = url.UserPassword("postgres", pw)
	}
	signer, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Database, cfg.DID = t.TempDir(), u.String(), "did:web:hospital.example.cn"
	cfg.Listen = Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	cfg.Anomaly.Disabled = true
	var logs syncBuffer
	run := func(f func(n *Node)) {
		t.Helper()
		n, err := Open(context.Background(), cfg, Deps{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		for deadline := time.Now().Add(5 * time.Second); !n.ready.Load() && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		f(n)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	entry, err := os.ReadFile("../catalog/testdata/entries/minimal.json")
	if err != nil {
		t.Fatal(err)
	}
	var id string
	run(func(n *Node) {
		if n.DSP() == nil {
			t.Fatal("no DSP control plane (its store is on PostgreSQL too)")
		}
		ops, _ := n.Tokens().Add("ops", RoleOperations, time.Now())
		code, body := doBody(t, "POST", n.MgmtURL+"/api/v1/datasets", ops, string(entry))
		if code != 201 {
			t.Fatalf("register: %d %s", code, body)
		}
		var reg struct{ ID string }
		if err := json.Unmarshal([]byte(body), &reg); err != nil || reg.ID == "" {
			t.Fatalf("register: %s", body)
		}
		id = reg.ID
	})
	if _, err := os.Stat(filepath.Join(cfg.DataDir, statedb.File)); !os.IsNotExist(err) {
		t.Fatalf("%s in the data directory: %v", statedb.File, err)
	}
	run(func(n *Node) {
		ops, _ := n.Tokens().Add("ops2", RoleOperations, time.Now())
		if code, body := doBody(t, "GET", n.MgmtURL+"/api/v1/datasets/"+id, ops, ""); code != 200 || !strings.Contains(body, id) {
			t.Fatalf("after the restart: %d %s", code, body)
		}
	})
	if strings.Contains(logs.String(), pw) {
		t.Fatalf("the password is in the logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "state database") || !strings.Contains(logs.String(), "xxxxx@") {
		t.Fatalf("no redacted state database in the logs:\n%s", logs.String())
	}
}

// useTestDatabase puts the node's state on PostgreSQL when the tests run
// there (XBORDER_TEST_POSTGRES): the schema standing for its data
// directory, so that a node restarted on the same directory finds it.
func useTestDatabase(t *testing.T, cfg *Config) {
	t.Helper()
	if pgtest.Enabled() {
		cfg.Database = pgtest.At(t, cfg.DataDir)
	}
}

// syncBuffer is a bytes.Buffer safe for the node's concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
