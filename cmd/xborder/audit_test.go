package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const auditEventJSON = `{"actor":"did:web:hospital.example.cn","time":"2026-04-15T09:00:00Z","operation":"transfer","object_id":"urn:xborder:agreement:a1","object_kind":"agreement","result":"success","reason":"within_agreement","details_digest":"sha256:abababababababababababababababababababababababababababababababab","class":"sensitive","records":1200,"bytes":65536}`

func TestAuditEndToEnd(t *testing.T) {
	dir := t.TempDir()
	vkey := strings.TrimSpace(mustXB(t, dir, "audit", "init", "--origin", "audit.example.cn/node1", "--local-tsa"))
	if !strings.HasPrefix(vkey, "audit.example.cn/node1+") {
		t.Fatalf("vkey %q", vkey)
	}
	ev := writeFile(t, t.TempDir(), "ev.json", auditEventJSON)
	other := writeFile(t, t.TempDir(), "other.json", strings.Replace(auditEventJSON, "agreement:a1", "agreement:a2", 1))
	for i, f := range []string{ev, other, ev} {
		if got := strings.TrimSpace(mustXB(t, dir, "audit", "append", "--event", f)); got != string(rune('0'+i)) {
			t.Fatalf("append %d printed %q", i, got)
		}
	}
	out := mustXB(t, dir, "audit", "verify")
	if !strings.Contains(out, "OK audit.example.cn/node1: 3 entries verified") {
		t.Fatalf("verify: %s", out)
	}
	var hits []struct {
		Index  uint64
		Status string
		Event  struct {
			ObjectID string `json:"object_id"`
		}
	}
	if err := json.Unmarshal([]byte(mustXB(t, dir, "audit", "query", "--object", "urn:xborder:agreement:a1", "--format", "json")), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].Index != 0 || hits[1].Index != 2 || hits[1].Event.ObjectID != "urn:xborder:agreement:a1" {
		t.Fatalf("query: %+v", hits)
	}
	if p := mustXB(t, dir, "audit", "proof", "--index", "2"); !strings.HasPrefix(p, "c2sp.org/tlog-proof@v1\nextra ") || !strings.Contains(p, "\nindex 2\n") {
		t.Fatalf("proof: %s", p)
	}
	if p := mustXB(t, dir, "audit", "proof", "--consistency", "1:3"); len(strings.Fields(p)) == 0 {
		t.Fatal("empty consistency proof")
	}
	pack := filepath.Join(t.TempDir(), "pack.json")
	mustXB(t, dir, "audit", "pack", "--object", "urn:xborder:agreement:a1", "-o", pack)
	roots := filepath.Join(dir, "audit", "tsa", "root.crt")
	out = mustXB(t, dir, "audit", "verify", pack, "--log-key", vkey, "--tsa-roots", roots)
	if !strings.Contains(out, "OK evidence pack for urn:xborder:agreement:a1: 2 entries") || !strings.Contains(out, "existed by") {
		t.Fatalf("verify pack: %s", out)
	}
	// A tampered pack fails with exit 1.
	b, _ := os.ReadFile(pack)
	bad := writeFile(t, t.TempDir(), "bad.json", strings.Replace(string(b), `"index": 2`, `"index": 1`, 1))
	if _, stderr, code := xb(t, dir, "audit", "verify", bad, "--log-key", vkey, "--tsa-roots", roots); code != 1 || !strings.Contains(stderr, "error:") {
		t.Fatalf("tampered pack: exit %d %s", code, stderr)
	}
	// A tampered ledger fails with exit 1, naming the file.
	segs, _ := filepath.Glob(filepath.Join(dir, "audit", "payloads", "sensitive", "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	sb, _ := os.ReadFile(segs[0])
	orig := append([]byte{}, sb...)
	sb[len(sb)-2] ^= 1
	os.WriteFile(segs[0], sb, 0o600)
	if _, stderr, code := xb(t, dir, "audit", "verify"); code != 1 || !strings.Contains(stderr, "payload") || !strings.Contains(stderr, filepath.Base(segs[0])) {
		t.Fatalf("tampered ledger: exit %d %s", code, stderr)
	}
	os.WriteFile(segs[0], orig, 0o600)
	// Retention: nothing is due now; three years later the sensitive segment goes.
	if out := mustXB(t, dir, "audit", "prune", "--actor", "did:web:operator.example.cn"); !strings.Contains(out, "nothing to prune") {
		t.Fatalf("prune now: %s", out)
	}
	if out := mustXB(t, dir, "audit", "prune", "--actor", "did:web:operator.example.cn", "--now", "2030-01-01T00:00:00Z"); !strings.Contains(out, "3 payloads") {
		t.Fatalf("prune later: %s", out)
	}
	if out := mustXB(t, dir, "audit", "verify"); !strings.Contains(out, "3 pruned under 1 signed manifests") {
		t.Fatalf("verify after prune: %s", out)
	}
}

// TestAuditBadInput: exit 2, a clear error, and nothing appended.
func TestAuditBadInput(t *testing.T) {
	dir := t.TempDir()
	mustXB(t, dir, "audit", "init")
	ev := writeFile(t, t.TempDir(), "ev.json", auditEventJSON)
	mustXB(t, dir, "audit", "append", "--event", ev)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no event", []string{"audit", "append"}, "--event is required"},
		{"missing file", []string{"audit", "append", "--event", "/nonexistent.json"}, "no such file"},
		{"free text", []string{"audit", "append", "--event", writeFile(t, t.TempDir(), "e.json", strings.Replace(auditEventJSON, `"within_agreement"`, `"Zhang San asked"`, 1))}, "reason"},
		{"unknown field", []string{"audit", "append", "--event", writeFile(t, t.TempDir(), "e.json", strings.Replace(auditEventJSON, `{`, `{"name":"Li Lei",`, 1))}, "unknown field"},
		{"two values", []string{"audit", "append", "--event", writeFile(t, t.TempDir(), "e.json", auditEventJSON+auditEventJSON)}, "more than one"},
		{"bad class", []string{"audit", "append", "--event", writeFile(t, t.TempDir(), "e.json", strings.Replace(auditEventJSON, `"sensitive"`, `"secret"`, 1))}, "class"},
		{"query since", []string{"audit", "query", "--since", "yesterday"}, "--since"},
		{"query limit", []string{"audit", "query", "--limit", "20000"}, "--limit"},
		{"proof both", []string{"audit", "proof", "--index", "0", "--consistency", "0"}, "exactly one"},
		{"proof beyond", []string{"audit", "proof", "--index", "5"}, "covers entries 0..0"},
		{"prune actor", []string{"audit", "prune", "--actor", "operator"}, "--actor"},
		{"prune retention", []string{"audit", "prune", "--actor", "did:web:x", "--retention", "secret=1"}, "unknown class"},
		{"pack nothing", []string{"audit", "pack", "--object", "urn:xborder:dataset:none"}, "no entries"},
		{"format", []string{"audit", "verify", "--format", "xml"}, "--format"},
	}
	for _, c := range cases {
		_, stderr, code := xb(t, dir, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q (want exit 2 and %q)", c.name, code, stderr, c.want)
		}
	}
	if out := mustXB(t, dir, "audit", "verify"); !strings.Contains(out, ": 1 entries verified") {
		t.Fatalf("bad input changed the ledger: %s", out)
	}
}

func TestAuditAlerts(t *testing.T) {
	dir := t.TempDir()
	mustXB(t, dir, "audit", "init")
	// Six denials of one actor within ten minutes: repeated_denials (5 in 10 min).
	for i := range 6 {
		ev := strings.NewReplacer(`"result":"success"`, `"result":"deny"`, `"reason":"within_agreement"`, `"reason":"not_permitted"`,
			`09:00:00Z`, "09:0"+string(rune('0'+i))+":00Z").Replace(auditEventJSON)
		mustXB(t, dir, "audit", "append", "--event", writeFile(t, t.TempDir(), "e.json", ev))
	}
	out := mustXB(t, dir, "audit", "alerts", "--dry-run")
	if !strings.Contains(out, "6 events checked; 1 new alerts found (dry run") || !strings.Contains(out, "repeated_denials") {
		t.Fatalf("dry run: %s", out)
	}
	if out := mustXB(t, dir, "audit", "verify"); !strings.Contains(out, ": 6 entries verified") {
		t.Fatalf("dry run changed the ledger: %s", out)
	}
	out = mustXB(t, dir, "audit", "alerts")
	if !strings.Contains(out, "1 new alerts recorded") {
		t.Fatalf("alerts: %s", out)
	}
	// The alert is in the ledger, and running again raises nothing new.
	var hits []struct {
		Event struct {
			Operation string `json:"operation"`
			Reason    string `json:"reason"`
		}
	}
	if err := json.Unmarshal([]byte(mustXB(t, dir, "audit", "query", "--operation", "alert", "--format", "json")), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Event.Reason != "repeated_denials" {
		t.Fatalf("alert events: %+v", hits)
	}
	if out := mustXB(t, dir, "audit", "alerts"); !strings.Contains(out, "0 new alerts recorded") {
		t.Fatalf("second run: %s", out)
	}
	if _, stderr, code := xb(t, dir, "audit", "alerts", "--config", writeFile(t, t.TempDir(), "c.json", `{"repeated_denials":{"threshold":-1}}`)); code != 2 || !strings.Contains(stderr, "threshold") {
		t.Fatalf("bad config: exit %d %s", code, stderr)
	}
}
