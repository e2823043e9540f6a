package witness

import (
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/tessera"
)

func TestParsePolicy(t *testing.T) {
	w1, w2, w3 := testCosigner(t, "w1.example", 21), testCosigner(t, "w2.example", 22), testCosigner(t, "w3.example", 23)
	text := fmt.Sprintf(`# xborder audit log witnesses
log %s https://audit.node.example
witness partner %s https://witness.partner.example/w   # the counterpart abroad
witness operator %s https://dsp.example/witness
witness regulator %s http://10.0.0.5:8080
group mutual 2 partner operator regulator
quorum mutual
`, newMemLog(t, originA, 1).vkey, w1.VerifierKey(), w2.VerifierKey(), w3.VerifierKey())

	p, err := ParsePolicy([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if p.K != 2 || len(p.Witnesses) != 3 || p.Witnesses[0].Name != "partner" || p.Witnesses[2].URL != "http://10.0.0.5:8080" {
		t.Fatalf("parsed %+v", p)
	}
	// Our group and tessera's parse of the same text contact the same endpoints with the same keys.
	ours, err := p.WitnessGroup()
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := tessera.NewWitnessGroupFromPolicy([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if ours.N != theirs.N {
		t.Errorf("threshold %d, tessera %d", ours.N, theirs.N)
	}
	oe, te := ours.Endpoints(), theirs.Endpoints()
	if len(oe) != 3 || len(oe) != len(te) {
		t.Fatalf("endpoints %v vs %v", oe, te)
	}
	for u, v := range te {
		if ov, ok := oe[u]; !ok || ov.Name() != v.Name() || ov.KeyHash() != v.KeyHash() {
			t.Errorf("endpoint %s: ours %v, tessera %v", u, ov, v)
		}
	}
	if _, ok := oe["https://witness.partner.example/w/add-checkpoint"]; !ok {
		t.Errorf("endpoints %v lack the partner's add-checkpoint URL", oe)
	}

	// Policy.Verify applies the same threshold.
	l := newMemLog(t, originA, 1).grow("a", 3)
	if _, err := p.Verify(cosigned(t, l, 3, w1, w3), l.verifier); err != nil {
		t.Error(err)
	}
	if _, err := p.Verify(cosigned(t, l, 3, w2), l.verifier); err == nil {
		t.Error("1 of 3 satisfied a 2-of-3 policy")
	}
	// The group is satisfied exactly when VerifyCosignatures says so.
	if !ours.Satisfied(cosigned(t, l, 3, w1, w3)) || ours.Satisfied(cosigned(t, l, 3, w2)) {
		t.Error("tessera group disagrees with the policy")
	}

	for _, tc := range []struct {
		name, text string
		k, n       int
	}{
		{"single witness quorum", fmt.Sprintf("witness a %s\nquorum a\n", w1.VerifierKey()), 1, 1},
		{"none", "quorum none\n", 0, 0},
		{"any", fmt.Sprintf("witness a %s\nwitness b %s\ngroup g any a b\nquorum g\n", w1.VerifierKey(), w2.VerifierKey()), 1, 2},
		{"all", fmt.Sprintf("witness a %s\nwitness b %s\ngroup g all a b\nquorum g\n", w1.VerifierKey(), w2.VerifierKey()), 2, 2},
		{"witness outside the quorum dropped", fmt.Sprintf("witness a %s\nwitness b %s\ngroup g 1 a\nquorum g\n", w1.VerifierKey(), w2.VerifierKey()), 1, 1},
	} {
		p, err := ParsePolicy([]byte(tc.text))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if p.K != tc.k || len(p.Witnesses) != tc.n {
			t.Errorf("%s: k=%d n=%d, want %d %d", tc.name, p.K, len(p.Witnesses), tc.k, tc.n)
		}
	}
}

func TestParsePolicyErrors(t *testing.T) {
	w1, w2 := testCosigner(t, "w1.example", 21), testCosigner(t, "w2.example", 22)
	k1, k2 := w1.VerifierKey(), w2.VerifierKey()
	sameKeyOtherName := strings.Replace(k1, "w1.example", "w1-again.example", 1)
	for _, tc := range []struct{ name, text, want string }{
		{"no quorum", "witness a " + k1 + "\n", "no quorum"},
		{"unknown quorum", "quorum x\n", "not defined"},
		{"unknown keyword", "witnes a " + k1 + "\nquorum a\n", "unknown keyword"},
		{"nested group", "witness a " + k1 + "\nwitness b " + k2 + "\ngroup g 1 a\ngroup h 1 g b\nquorum h\n", "nested groups"},
		{"unknown member", "witness a " + k1 + "\ngroup g 1 a z\nquorum g\n", `unknown witness "z"`},
		{"threshold too big", "witness a " + k1 + "\ngroup g 2 a\nquorum g\n", "threshold 2 with 1"},
		{"threshold 0", "witness a " + k1 + "\ngroup g 0 a\nquorum g\n", "threshold"},
		{"duplicate name", "witness a " + k1 + "\nwitness a " + k2 + "\nquorum a\n", "already defined"},
		{"keyword as name", "witness any " + k1 + "\nquorum any\n", "keyword"},
		{"bad key", "witness a nonsense\nquorum a\n", "verifier key"},
		{"same key twice", "witness a " + k1 + "\nwitness b " + sameKeyOtherName + "\ngroup g 2 a b\nquorum g\n", "same key"},
		{"two quorums", "quorum none\nquorum none\n", "twice"},
	} {
		_, err := ParsePolicy([]byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	// A policy without URLs is fine for auditors but not for the log.
	p, err := ParsePolicy([]byte("witness a " + k1 + "\nquorum a\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WitnessGroup(); err == nil {
		t.Error("WitnessGroup without a URL")
	}
}
