package audit

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/tsa"
	"github.com/xborder/xborder/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

// startWitnesses runs n witnesses on loopback that know the log vkey and
// returns a k-of-n policy for them.
func startWitnesses(t *testing.T, origin, vkey string, n, k int) *witness.Policy {
	t.Helper()
	p := &witness.Policy{K: k}
	for i := range n {
		skey, wvkey, err := witness.GenerateKey(rand.Reader, "witness"+string(rune('a'+i))+".example")
		if err != nil {
			t.Fatal(err)
		}
		cs, err := witness.NewCosigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		w, err := witness.New(witness.Config{Dir: t.TempDir(), Cosigner: cs, Logs: []witness.KnownLog{{Origin: origin, VerifierKey: vkey}}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(w.Handler("/w"))
		t.Cleanup(func() { srv.Close(); w.Close() })
		p.Witnesses = append(p.Witnesses, witness.PolicyWitness{Name: "w" + string(rune('a'+i)), VerifierKey: wvkey, URL: srv.URL + "/w"})
	}
	return p
}

func localTSA(t *testing.T) (*tsa.Client, *tsa.Local) {
	t.Helper()
	d := filepath.Join(t.TempDir(), "tsa")
	if err := tsa.GenerateLocal(d, "xborder test TSA", time.Now); err != nil {
		t.Fatal(err)
	}
	loc, err := tsa.LoadLocal(d)
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.NewAuthority(loc.Signer, loc.Chain, tsa.LocalPolicy, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.Client(), loc
}

func TestWitnessedTimestampedPack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const origin = "test.xborder.example/audit"
	vkey, err := CreateKey(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	policy := startWitnesses(t, origin, vkey, 3, 2)
	ts, loc := localTSA(t)
	l, err := Open(dir, Options{Origin: origin, Witnesses: policy, Timestamper: ts, TimestampInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	const subject = "urn:xborder:agreement:a1"
	about := func(i int) *Event {
		e := testEvent(i)
		e.ObjectID, e.ObjectKind = subject, KindAgreement
		return e
	}
	for i := range 3 {
		if _, err := l.Append(ctx, about(i)); err != nil {
			t.Fatal(err)
		}
	}
	appendN(t, l, 100, 20) // other objects
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := l.StampCheckpoint(ctx, ts); err != nil || n != 23 {
		t.Fatalf("stamp: %d %v", n, err)
	}
	if _, err := l.Append(ctx, about(9)); err != nil {
		t.Fatal(err)
	}
	closeTest(t, l) // stamps the final checkpoint too

	// The published checkpoint carries k cosignatures.
	v, _ := note.NewVerifier(vkey)
	cp, raw, err := ReadCheckpoint(dir, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := policy.Verify(raw, v); err != nil || len(cs) < 2 {
		t.Fatalf("cosignatures: %v %v", cs, err)
	}

	p, err := BuildPack(ctx, dir, subject, PackOptions{Witnesses: policy, TSARoots: []*x509.Certificate{loc.Root}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 4 || len(p.Timestamps) != 2 {
		t.Fatalf("pack: %d entries, %d timestamps", len(p.Entries), len(p.Timestamps))
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	trust := PackTrust{LogKey: vkey, Witnesses: policy, TSARoots: loc.Roots()}
	rep, err := VerifyPack(b, trust)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 4 || rep.Size != cp.Size || len(rep.Cosignatures) < 2 || len(rep.Timestamps) != 2 || len(rep.FromPack) != 0 || rep.EarliestCovers.IsZero() {
		t.Fatalf("report %+v", rep)
	}
	// Self-contained verification says which anchors came from the pack.
	if rep, err := VerifyPack(b, PackTrust{}); err != nil || len(rep.FromPack) != 3 {
		t.Fatalf("self-contained: %v %+v", err, rep)
	}

	// Tampering is refused.
	otherKey := buildOther(t)
	mut := map[string]func(*Pack){
		"event": func(p *Pack) {
			tp, _ := ParseTlogProof([]byte(p.Entries[1].Proof))
			tp.Extra[len(tp.Extra)-3] ^= 1
			p.Entries[1].Proof = string(tp.Marshal())
		},
		"dropped-proof-hash": func(p *Pack) {
			tp, _ := ParseTlogProof([]byte(p.Entries[0].Proof))
			tp.Proof = tp.Proof[1:]
			p.Entries[0].Proof = string(tp.Marshal())
		},
		"checkpoint": func(p *Pack) { p.Checkpoint = strings.Replace(p.Checkpoint, "\n24\n", "\n23\n", 1) },
		"subject":    func(p *Pack) { p.Subject.ObjectID = "urn:xborder:agreement:other" },
		"token":      func(p *Pack) { p.Timestamps[0].Token[len(p.Timestamps[0].Token)-5] ^= 1 },
		"consistency": func(p *Pack) {
			p.Timestamps[0].Consistency[0][0] ^= 1
		},
		"pruned-claim": func(p *Pack) {
			tp, _ := ParseTlogProof([]byte(p.Entries[2].Proof))
			tp.Extra = nil
			p.Entries[2].Proof = string(tp.Marshal())
		},
	}
	for name, m := range mut {
		var q Pack
		json.Unmarshal(b, &q)
		m(&q)
		qb, _ := json.Marshal(q)
		if _, err := VerifyPack(qb, trust); err == nil {
			t.Errorf("%s: tampered pack verified", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := VerifyPack(b, PackTrust{LogKey: otherKey}); err == nil {
		t.Error("pack verified with another log's key")
	}
	// Witnesses that never saw the checkpoint cannot vouch for it.
	if _, err := VerifyPack(b, PackTrust{LogKey: vkey, Witnesses: &witness.Policy{K: 1, Witnesses: startWitnesses(t, origin, vkey, 1, 1).Witnesses}, TSARoots: loc.Roots()}); err == nil {
		t.Error("pack verified against witnesses that never cosigned")
	}
}

func TestTlogProofParse(t *testing.T) {
	p := &TlogProof{Extra: []byte("salt+event"), Index: 7, Proof: [][]byte{make([]byte, 32), make([]byte, 32)}, Checkpoint: []byte("origin\n8\nAAAA\n\n— origin sig\n")}
	got, err := ParseTlogProof(p.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Marshal()) != string(p.Marshal()) {
		t.Fatalf("round trip:\n%s\n%s", got.Marshal(), p.Marshal())
	}
	for _, bad := range []string{
		"", "c2sp.org/tlog-proof@v1\nindex 01\n\ncp", "c2sp.org/tlog-proof@v1\nindex x\n\ncp", "c2sp.org/tlog-proof@v2\nindex 1\n\ncp",
		"c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\ncp", "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\ncp", "c2sp.org/tlog-proof@v1\nindex 1",
	} {
		if _, err := ParseTlogProof([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseTlogProof(f *testing.F) {
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra YQ==\nindex 0\n\norigin\n1\nAAAA\n"))
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\nx"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseTlogProof(b)
		if err != nil {
			return
		}
		q, err := ParseTlogProof(p.Marshal())
		if err != nil || string(q.Marshal()) != string(p.Marshal()) {
			t.Fatalf("re-encoding changed the proof: %v", err)
		}
	})
}

func TestSM2Checkpoints(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const origin = "test.xborder.example/audit"
	if _, err := CreateKey(dir, origin); err != nil {
		t.Fatal(err)
	}
	svkey, err := CreateSM2Key(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	l := openTest(t, dir)
	appendN(t, l, 0, 5)
	closeTest(t, l)
	_, raw, err := ReadCheckpoint(dir, mustRead(t, filepath.Join(dir, pubFile)))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := NewSM2Verifier(svkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(raw, note.VerifierList(sv)); err != nil {
		t.Fatalf("checkpoint lacks a valid SM2 signature: %v\n%s", err, raw)
	}
	if _, err := VerifyDir(ctx, dir); err != nil {
		t.Fatal(err)
	}
	// Another SM2 key for the same log: the checkpoint does not verify.
	other := t.TempDir()
	if _, err := CreateSM2Key(other, origin); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(other, sm2PubFile))
	os.WriteFile(filepath.Join(dir, sm2PubFile), b, 0o644)
	if _, err := VerifyDir(ctx, dir); err == nil || !strings.Contains(err.Error(), "SM2") {
		t.Fatalf("foreign SM2 key: %v", err)
	}
	for _, bad := range []string{"", "x+1+2", svkey[:len(svkey)-4] + "AAAA", strings.Replace(svkey, "+", "+0", 1)} {
		if _, err := NewSM2Verifier(bad); err == nil {
			t.Errorf("accepted SM2 key %q", bad)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
