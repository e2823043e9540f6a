package audit

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// TestHTTPReadAPI serves a ledger and checks it with tessera's own HTTP
// client (tlog-tiles), then the proof endpoints.
func TestHTTPReadAPI(t *testing.T) {
	dir, a := buildLog(t, 300)
	h, err := Handler(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := context.Background()
	u, _ := url.Parse(srv.URL + "/")
	f, err := client.NewHTTPFetcher(u, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	vkey, v, err := readVerifierKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, v.Name())
	if err != nil || cp.Size != 300 {
		t.Fatalf("checkpoint over HTTP: %v %+v", err, cp)
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []Appended{a[0], a[257], a[299]} {
		p, err := pb.InclusionProof(ctx, x.Index)
		if err != nil {
			t.Fatal(err)
		}
		lh := leafHash(x.Commitment)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, x.Index, cp.Size, lh[:], p, cp.Hash); err != nil {
			t.Fatalf("entry %d: %v", x.Index, err)
		}
	}
	b, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, 1, cp.Size)
	if err != nil || len(b.Entries) != 44 {
		t.Fatalf("bundle over HTTP: %v", err)
	}

	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// The proof endpoint gives a tlog-proof that verifies offline.
	x := a[123]
	code, body := get("/proof/inclusion?index=" + itoa(x.Index))
	if code != 200 {
		t.Fatalf("inclusion: %d %s", code, body)
	}
	tp, err := ParseTlogProof([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	nv, _ := note.NewVerifier(vkey)
	if _, _, err := tp.Verify(nv, &x.Commitment); err != nil {
		t.Fatal(err)
	}
	if tp.Extra != nil {
		t.Fatal("the public proof endpoint disclosed the event")
	}
	if code, body := get("/proof/consistency?old=10&new=300"); code != 200 || len(strings.Fields(body)) == 0 {
		t.Fatalf("consistency: %d %s", code, body)
	}
	for path, want := range map[string]int{
		"/proof/inclusion":                  400,
		"/proof/inclusion?index=x":          400,
		"/proof/inclusion?index=300":        404,
		"/proof/inclusion?index=1&size=200": 400,
		"/proof/consistency?old=301":        400,
		"/proof/consistency?old=5&new=4":    400,
		"/tile/../log.key":                  404,
		"/tile/0/000/../../../log.key":      404,
		"/tile/0/999":                       404,
		"/log.key":                          404,
		"/payloads/general":                 404,
	} {
		if code, body := get(path); code != want {
			t.Errorf("%s: %d %q, want %d", path, code, body, want)
		}
	}
	if code, body := get("/log.pub"); code != 200 || strings.TrimSpace(body) != vkey {
		t.Errorf("log.pub: %d %q", code, body)
	}
	resp, err := srv.Client().Post(srv.URL+"/checkpoint", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /checkpoint: %d", resp.StatusCode)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
