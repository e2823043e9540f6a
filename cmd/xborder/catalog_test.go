package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateCatalog = flag.Bool("update-catalog", false, "rewrite the golden files in testdata/catalog")

// catalogGolden compares got with testdata/catalog/<name>, or rewrites it
// with -update-catalog.
func catalogGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "catalog", name)
	if *updateCatalog {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/xborder -run Catalog -update-catalog)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (check, then run with -update-catalog):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func mustXB(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, stderr, code := xb(t, dir, args...)
	if code != 0 {
		t.Fatalf("xborder %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// TestCatalogEndToEnd harvests the example, finds it in Chinese and in
// English, and resolves it to its access interface.
func TestCatalogEndToEnd(t *testing.T) {
	dir := t.TempDir()
	mustXB(t, dir, "catalog", "init", "--participant", "did:web:retail.example.cn", "--endpoint", "https://connector.retail.example.cn/dsp",
		"--service-id", "urn:uuid:4aa2dcc8-4d2d-569e-d634-8394a8834d77", "--catalog-id", "urn:uuid:3afeadd8-ed2d-569e-d634-8394a8836d57",
		"--title-zh", "深圳零售数据目录", "--title-en", "Shenzhen retail data catalog")
	id := "xb86/CN/gba-retail/customers-2026q1"
	out, stderr, code := xb(t, dir, "catalog", "harvest", "--id", id,
		"--title-zh", "深圳跨境零售客户订单（2026年第一季度）", "--title-en", "Shenzhen cross-border retail customer orders (Q1 2026)",
		"--description-zh", "跨境零售商本季度的客户订单，用于销售分析。", "--description-en", "This quarter's customer orders of a cross-border retailer, for sales analytics.",
		"--keyword-zh", "零售,订单", "--keyword-en", "retail,orders",
		"--owner", "did:web:retail.example.cn", "--industry", "retail", "--scenario", "sales_analytics", "--geo", "CN-GD",
		"--frequency", "quarterly", "--location", "cn-gd", exampleDir+"/customers.csv")
	if code != 0 {
		t.Fatalf("harvest: exit %d: %s", code, stderr)
	}
	if out != id+"\n" {
		t.Errorf("harvest printed %q, want the identifier", out)
	}
	if !regexp.MustCompile(`harvested customers.csv: 4000 rows, 10 columns, \d+ individuals \(\d+ with sensitive information\); level sensitive, revision 1`).MatchString(stderr) {
		t.Errorf("harvest summary: %s", stderr)
	}
	// search in Chinese and in English
	for _, q := range [][]string{{"深圳", "零售"}, {"零售客户"}, {"shenzhen", "retail"}, {"customer", "orders"}, {"银行卡号"}} {
		out := mustXB(t, dir, append([]string{"catalog", "search", "--json", "--to", "US"}, q...)...)
		var res struct {
			Total int `json:"total"`
			Hits  []struct {
				Identifier string `json:"identifier"`
				Access     []struct {
					EndpointURL string `json:"endpointURL"`
				} `json:"access"`
				Hints []struct {
					To, Jurisdiction, Route string
				} `json:"hints"`
			} `json:"hits"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 || res.Hits[0].Identifier != id || len(res.Hits[0].Hints) == 0 || res.Hits[0].Hints[0].To != "US" ||
			res.Hits[0].Access[0].EndpointURL != "https://connector.retail.example.cn/dsp" {
			t.Errorf("search %v: %s", q, out)
		}
	}
	// identifier → metadata → access interface, and the record of it
	var res struct {
		Identifier string `json:"identifier"`
		Metadata   struct {
			Technical struct {
				RowCount  int64 `json:"rowCount"`
				PIProfile struct {
					Individuals int64 `json:"individuals"`
				} `json:"piProfile"`
			} `json:"technical"`
		} `json:"metadata"`
		Access []struct {
			EndpointURL, DatasetURL, Protocol string
		} `json:"access"`
		ParticipantID string `json:"participantId"`
	}
	out = mustXB(t, dir, "catalog", "resolve", id)
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Identifier != id || res.Metadata.Technical.RowCount != 4000 || res.Metadata.Technical.PIProfile.Individuals == 0 ||
		len(res.Access) != 1 || res.Access[0].EndpointURL != "https://connector.retail.example.cn/dsp" ||
		res.Access[0].Protocol != "dataspace-protocol-http:2025-1" || res.ParticipantID != "did:web:retail.example.cn" {
		t.Errorf("resolve: %s", out)
	}
	if out := mustXB(t, dir, "catalog", "resolutions"); !strings.Contains(out, "resolved") || !strings.Contains(out, id) {
		t.Errorf("resolutions: %s", out)
	}
	// the DSP catalog has no dataset yet: the entry has no offer
	out = mustXB(t, dir, "catalog", "export", "--dsp")
	if !strings.Contains(out, `"participantId": "did:web:retail.example.cn"`) || !strings.Contains(out, `"dataset": []`) {
		t.Errorf("export --dsp: %s", out)
	}
	// as another participant without credentials the sensitive entry is invisible
	if out := mustXB(t, dir, "catalog", "search", "--as", "did:web:someone.example", "零售"); !strings.HasPrefix(out, "0 results") {
		t.Errorf("search --as: %s", out)
	}
	if _, stderr, code := xb(t, dir, "catalog", "resolve", "--as", "did:web:someone.example", id); code != exitFailure || !strings.Contains(stderr, "access denied") {
		t.Errorf("resolve --as: exit %d: %s", code, stderr)
	}
}

// TestCatalogGolden registers an entry and checks what get, search and
// resolve print against testdata/catalog.
func TestCatalogGolden(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join("testdata", "catalog", "entry.json")
	catalogGolden(t, "register.stdout", mustXB(t, dir, "catalog", "register", entry))
	catalogGolden(t, "get.json", mustXB(t, dir, "catalog", "get", "xb86/CN/gba-finance/retail-customers-2026"))
	catalogGolden(t, "search.txt", mustXB(t, dir, "catalog", "search", "零售", "客户", "--to", "US,DE"))
	catalogGolden(t, "search.zh.txt", mustXB(t, dir, "catalog", "search", "customer*", "--lang", "zh-CN"))
	catalogGolden(t, "search.json", mustXB(t, dir, "catalog", "search", "--json", "--facet", "level=sensitive", "retail"))
	catalogGolden(t, "resolve.json", mustXB(t, dir, "catalog", "resolve", "https://w3id.org/xborder/id/xb86/CN/gba-finance/retail-customers-2026"))
	catalogGolden(t, "dry-run.json", mustXB(t, dir, "catalog", "register", "--dry-run", entry))
	if out := mustXB(t, dir, "catalog", "context"); !strings.Contains(out, `"xbc": "https://w3id.org/xborder/catalog#"`) {
		t.Errorf("context: %s", out)
	}
	// replace, then remove
	if _, stderr, code := xb(t, dir, "catalog", "register", entry); code != exitBadInput || !strings.Contains(stderr, "--replace") {
		t.Errorf("registering twice: exit %d: %s", code, stderr)
	}
	mustXB(t, dir, "catalog", "register", "--replace", entry)
	mustXB(t, dir, "catalog", "remove", "xb86/CN/gba-finance/retail-customers-2026")
	if _, stderr, code := xb(t, dir, "catalog", "resolve", "xb86/CN/gba-finance/retail-customers-2026"); code != exitFailure || !strings.Contains(stderr, "withdrawn") {
		t.Errorf("resolving a removed entry: exit %d: %s", code, stderr)
	}
}

// TestCatalogBadInput: bad input exits 2 with an error and a hint and
// writes nothing; a missing entry exits 1.
func TestCatalogBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.json", `{"identifier":"xb86/CN/a1/b","title":{"zh":"x"},"governance":{"owner":"did:web:a.example","classificationLevel":"public","ownr":"x"}}`)
	good := writeFile(t, dir, "good.json", `{"identifier":"xb86/CN/a1/b","title":{"zh":"甲"},"governance":{"owner":"did:web:a.example","classificationLevel":"public"}}`)
	array := writeFile(t, dir, "array.json", `[{"identifier":"xb86/CN/a1/c","title":{"zh":"乙"},"governance":{"owner":"did:web:a.example","classificationLevel":"public"}},
		{"identifier":"xb86/CN/a1/d","title":{"zh":"丙"},"governance":{"owner":"did:web:a.example","classificationLevel":"secret"}}]`)
	csvBad := writeFile(t, dir, "bad.csv", "a,b\n1,2\n3\n")
	empty := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"catalog", "search", "x"}, exitFailure, "no catalog in"},
		{[]string{"catalog", "register", bad}, exitBadInput, "governance.ownr: unknown key"},
		{[]string{"catalog", "register", good, array}, exitBadInput, `entry 3: governance.classificationLevel: "secret" is not accepted`},
		{[]string{"catalog", "register", filepath.Join(dir, "missing.json")}, exitBadInput, "missing.json"},
		{[]string{"catalog", "harvest", csvBad}, exitBadInput, "--id is required"},
		{[]string{"catalog", "harvest", "--id", "xb86/CN/a1/new", csvBad}, exitBadInput, "is not registered"},
		{[]string{"catalog", "harvest", "--id", "xb86/CN/a1/new", "--owner", "did:web:a.example", "--title-en", "New", csvBad}, exitBadInput, "bad.csv"},
		{[]string{"catalog", "harvest", "--id", "xb86/CN/new", "--owner", "did:web:a.example", "--title-en", "New", csvBad}, exitBadInput, "has 3 parts"},
		{[]string{"catalog", "init", "--endpoint", "ftp://x"}, exitBadInput, "service.endpointURL"},
	}
	for _, tc := range tests {
		d := dir
		if tc.code == exitFailure {
			d = empty
		}
		_, stderr, code := xb(t, d, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "xborder: error:") || !strings.Contains(stderr, "xborder: hint:") {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.args, code, tc.code, tc.want, stderr)
		}
	}
	// nothing was written by the failures above
	if n := countCatalogRows(t, dir); n != 0 {
		t.Errorf("%d entries written by bad input", n)
	}
	mustXB(t, dir, "catalog", "register", good)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"catalog", "get", "xb86/CN/a1/zz"}, exitFailure, "not found"},
		{[]string{"catalog", "resolve", "xb86/CN/a1"}, exitBadInput, "has 3 parts"},
		{[]string{"catalog", "search", `"open`}, exitBadInput, "unterminated quote"},
		{[]string{"catalog", "search", "--facet", "industry"}, exitBadInput, "want NAME=VALUE"},
		{[]string{"catalog", "search", "--facet", "colour=red"}, exitBadInput, "not a facet"},
		{[]string{"catalog", "search", "--to", "Mars"}, exitBadInput, "not an ISO 3166-1"},
		{[]string{"catalog", "search", "--limit", "1000"}, exitBadInput, "limit"},
		{[]string{"catalog", "remove", "xb86/CN/a1/zz"}, exitFailure, "not found"},
	} {
		_, stderr, code := xb(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.args, code, tc.code, tc.want, stderr)
		}
	}
	if n := countCatalogRows(t, dir); n != 1 {
		t.Errorf("%d entries, want 1", n)
	}
}

func countCatalogRows(t *testing.T, dir string) int {
	t.Helper()
	path := filepath.Join(dir, "xborder.db")
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM catalog_datasets`).Scan(&n); err != nil {
		return 0
	}
	return n
}

// TestCatalogBench runs the benchmark command small: it must work; its
// figures are not checked.
func TestCatalogBench(t *testing.T) {
	out := mustXB(t, t.TempDir(), "bench", "catalog", "--datasets", "300", "--queries", "40", "--resolutions", "40")
	for _, want := range []string{"catalog: 300 datasets", "search, 40 queries", "baseline: SQLite FTS5", "resolution, 40 identifiers"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench catalog output lacks %q:\n%s", want, out)
		}
	}
}

// TestCatalogCredentialAccess: a sensitive entry is hidden from a requester
// until it presents a verified credential whose claims satisfy the entry's
// ODRL access policy; a credential about someone else, or a tampered one,
// does not help.
func TestCatalogCredentialAccess(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join("testdata", "catalog", "entry.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entry map[string]any
	if err := json.Unmarshal(raw, &entry); err != nil {
		t.Fatal(err)
	}
	gov := entry["governance"].(map[string]any)
	gov["classificationLevel"] = "sensitive"
	gov["accessPolicy"] = map[string]any{
		"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Set", "uid": "urn:uuid:0b1e0c1a-0000-4000-8000-00000000a11d",
		"permission": []any{map[string]any{
			"target": "https://w3id.org/xborder/id/xb86/CN/gba-finance/retail-customers-2026", "action": "read",
			"constraint": []any{map[string]any{"leftOperand": "https://xborder.dev/ns/odrl/claim/role", "operator": "eq", "rightOperand": "auditor"}},
		}},
	}
	b, _ := json.Marshal(entry)
	entryFile := filepath.Join(dir, "entry.json")
	os.WriteFile(entryFile, b, 0o600)
	mustXB(t, dir, "catalog", "register", entryFile)

	// An issuer vouches that the requester is an auditor.
	issuerKey := filepath.Join(dir, "issuer.pem")
	mustXB(t, dir, "key", "generate", "--out", issuerKey)
	holderOut := mustXB(t, dir, "key", "generate", "--out", filepath.Join(dir, "holder.pem"))
	var holder struct{ DID string }
	json.Unmarshal([]byte(holderOut), &holder)
	issue := func(name, subject string) string {
		s := filepath.Join(dir, name+".subject.json")
		os.WriteFile(s, []byte(subject), 0o600)
		cred := mustXB(t, dir, "vc", "issue", "--key", issuerKey, "--subject", s, "--context", "https://www.w3.org/ns/credentials/examples/v2")
		f := filepath.Join(dir, name+".json")
		os.WriteFile(f, []byte(cred), 0o600)
		return f
	}
	auditor := issue("auditor", `{"id": "`+holder.DID+`", "role": "auditor"}`)
	marketing := issue("marketing", `{"id": "`+holder.DID+`", "role": "marketing"}`)
	someoneElse := issue("else", `{"id": "did:example:someone-else", "role": "auditor"}`)
	tampered := filepath.Join(dir, "tampered.json")
	tb, _ := os.ReadFile(marketing)
	os.WriteFile(tampered, []byte(strings.Replace(string(tb), `"marketing"`, `"auditor"`, 1)), 0o600)

	id := "xb86/CN/gba-finance/retail-customers-2026"
	if _, _, code := xb(t, dir, "catalog", "get", id, "--as", holder.DID); code != exitFailure {
		t.Errorf("no credential: exit %d, want the entry hidden", code)
	}
	if out, stderr, code := xb(t, dir, "catalog", "get", id, "--as", holder.DID, "--credential", auditor); code != exitOK || !strings.Contains(out, id) {
		t.Errorf("auditor credential: exit %d: %s", code, stderr)
	}
	if _, _, code := xb(t, dir, "catalog", "get", id, "--as", holder.DID, "--credential", marketing); code != exitFailure {
		t.Errorf("marketing credential: exit %d, want hidden", code)
	}
	if _, stderr, code := xb(t, dir, "catalog", "get", id, "--as", holder.DID, "--credential", someoneElse); code != exitFailure || !strings.Contains(stderr, "subject") {
		t.Errorf("someone else's credential: exit %d: %s", code, stderr)
	}
	if _, stderr, code := xb(t, dir, "catalog", "get", id, "--as", holder.DID, "--credential", tampered); code != exitFailure || !strings.Contains(stderr, "bad_signature") {
		t.Errorf("tampered credential: exit %d: %s", code, stderr)
	}
	if _, _, code := xb(t, dir, "catalog", "get", id, "--credential", auditor); code != exitBadInput {
		t.Errorf("--credential without --as: exit %d", code)
	}
	// Search shows it to the auditor only.
	if out := mustXB(t, dir, "catalog", "search", "--json", "--as", holder.DID, "--credential", auditor, "retail"); !strings.Contains(out, id) {
		t.Errorf("auditor search lacks the entry: %s", out)
	}
	if out := mustXB(t, dir, "catalog", "search", "--json", "--as", holder.DID, "retail"); strings.Contains(out, id) {
		t.Errorf("search without credentials shows the entry: %s", out)
	}
}
