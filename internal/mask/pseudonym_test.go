package mask

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"hash"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/xborder/xborder/internal/classify"
)

// tokens pseudonymises values under one agreement.
func tokens(t *testing.T, suiteName, agreement string, r Rule, values ...string) []string {
	t.Helper()
	k, err := DeriveKey(suiteName, testSecret, agreement)
	if err != nil {
		t.Fatal(err)
	}
	r.Name = "c"
	m, err := New(&Policy{Version: 1, Columns: []Rule{r}}, k)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := m.Bind([]string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(values))
	for i, v := range values {
		row, err := tb.Row(nil, []string{v})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = row[0]
	}
	return out
}

// TestPseudonymVectors recomputes tokens with the standard library and
// gmsm directly, from the construction documented on DeriveKey.
func TestPseudonymVectors(t *testing.T) {
	enc := base32.NewEncoding(base32Alphabet).WithPadding(base32.NoPadding)
	for _, tc := range []struct {
		suite string
		h     func() hash.Hash
	}{{"intl", sha256.New}, {"gm", sm3.New}} {
		key, err := hkdf.Key(tc.h, testSecret, nil, "xborder mask v1 pseudonym key\x00agreement-1", 32)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(tc.h, key)
		mac.Write([]byte{0, 3})
		mac.Write([]byte("ids"))
		mac.Write([]byte("440305199001011234"))
		want := "ps_" + enc.EncodeToString(mac.Sum(nil))[:16]
		got := tokens(t, tc.suite, "agreement-1", Rule{Action: Pseudonymise, Domain: "ids"}, "440305199001011234")[0]
		if got != want {
			t.Errorf("%s: token %q, want %q", tc.suite, got, want)
		}
	}
}

func TestPseudonymProperties(t *testing.T) {
	ps := Rule{Action: Pseudonymise}
	a := tokens(t, "intl", "agreement-1", ps, "13800138000", "13800138000", "13800138001", "")
	if a[0] != a[1] {
		t.Error("same value, same key: tokens differ")
	}
	if a[0] == a[2] {
		t.Error("different values share a token")
	}
	if a[3] != "" {
		t.Errorf("empty value became %q", a[3])
	}
	if !strings.HasPrefix(a[0], "ps_") || len(a[0]) != 3+16 {
		t.Errorf("token %q: want ps_ and 16 characters", a[0])
	}

	// normalisation by class: spellings of one number share a token
	mob := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Class: classify.ClassCNMobile},
		"13800138000", "+86 138-0013-8000", "0086 13800138000", "１３８００１３８０００")
	for i := range mob {
		if mob[i] != mob[0] {
			t.Errorf("mobile spelling %d: token %q, want %q", i, mob[i], mob[0])
		}
	}
	if mob[0] != a[0] {
		t.Error("a normalised mobile and the same digits in an unclassed column differ (same domain)")
	}
	id := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Class: classify.ClassCNResidentID}, "32010419451130414x", "32010419451130414X")
	if id[0] != id[1] {
		t.Error("resident ID: x and X differ")
	}
	em := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Class: classify.ClassEmail}, "Zhang.San@Example.com", "zhang.san@example.com")
	if em[0] != em[1] {
		t.Error("e-mail: case differs")
	}
	nm := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Class: classify.ClassPersonName}, "John  Smith", "john smith")
	if nm[0] != nm[1] {
		t.Error("name: spacing or case differs")
	}

	// domains separate token spaces within one agreement
	d := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Domain: "orders"}, "13800138000")
	if d[0] == a[0] {
		t.Error("domain did not change the token")
	}
	// suites differ
	g := tokens(t, "gm", "agreement-1", ps, "13800138000")
	if g[0] == a[0] {
		t.Error("intl and gm tokens are equal")
	}

	// options
	dig := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Alphabet: AlphabetDigits, Length: 18, Prefix: strp("")}, "440305199001011234")
	if len(dig[0]) != 18 || strings.Trim(dig[0], "0123456789") != "" {
		t.Errorf("digits token %q", dig[0])
	}
	dig40 := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Alphabet: AlphabetDigits, Length: 40, Prefix: strp("P")}, "x")
	if len(dig40[0]) != 41 || dig40[0][0] != 'P' || strings.Trim(dig40[0][1:], "0123456789") != "" {
		t.Errorf("40-digit token %q", dig40[0])
	}
	long := tokens(t, "intl", "agreement-1", Rule{Action: Pseudonymise, Length: 51, Prefix: strp("id:")}, "x")
	if len(long[0]) != 3+51 || strings.Trim(long[0][3:], base32Alphabet) != "" {
		t.Errorf("51-character token %q", long[0])
	}
}

// TestPseudonymUnlinkable: the tokens of one set of values under two
// agreements (same secret, same suite) share nothing.
func TestPseudonymUnlinkable(t *testing.T) {
	values := make([]string, 2000)
	for i := range values {
		values[i] = fmt.Sprintf("138%08d", i)
	}
	r := Rule{Action: Pseudonymise, Length: 8}
	a := tokens(t, "intl", "agreement-1", r, values...)
	b := tokens(t, "intl", "agreement-2", r, values...)
	seen := map[string]bool{}
	for _, v := range a {
		seen[v] = true
	}
	if len(seen) != len(values) {
		t.Errorf("%d distinct tokens for %d values", len(seen), len(values))
	}
	same := 0
	for _, v := range b {
		if seen[v] {
			same++
		}
	}
	if same != 0 {
		t.Errorf("%d tokens of agreement-2 also appear under agreement-1", same)
	}
}

func TestKey(t *testing.T) {
	if k, _ := DeriveKey("intl", testSecret, "a"); k.MAC() != "hmac-sha256" {
		t.Errorf("intl MAC %q", k.MAC())
	}
	k, err := DeriveKey("gm", testSecret, "urn:agreement:42")
	if err != nil {
		t.Fatal(err)
	}
	if k.Suite() != "gm" || k.MAC() != "hmac-sm3" || k.Agreement() != "urn:agreement:42" {
		t.Errorf("key %s: suite %s, mac %s", k, k.Suite(), k.MAC())
	}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k)} {
		if strings.Contains(s, fmt.Sprint(k.k[:4])) || !strings.Contains(s, "hmac-sm3") {
			t.Errorf("formatted key %q", s)
		}
	}
	for _, tc := range []struct {
		suite, agreement string
		secret           []byte
		want             string
	}{
		{"rot13", "a", testSecret, "unknown suite"},
		{"intl", "a", testSecret[:15], "at least 16"},
		{"intl", "", testSecret, "agreement ID"},
	} {
		if _, err := DeriveKey(tc.suite, tc.secret, tc.agreement); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DeriveKey(%q, %d bytes, %q): %v, want %q", tc.suite, len(tc.secret), tc.agreement, err, tc.want)
		}
	}
	if _, err := New(&Policy{Version: 1, Default: &Rule{Action: Pseudonymise}}, nil); err == nil {
		t.Error("New without a key accepted a pseudonymise rule")
	}
}
