package statuslist

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
)

func readExample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(examplesDir + name)
	if err != nil {
		t.Skipf("spec examples not available: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecodeSpecExamples(t *testing.T) {
	for _, name := range []string{"03-example-bitstringstatuslistcredential.json", "05-a-status-list-verifiable-credential.json"} {
		m := readExample(t, name)
		subj := m["credentialSubject"].(map[string]any)
		bs, err := Decode(subj["encodedList"].(string), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bs.Len() != MinEntries {
			t.Errorf("%s: %d bits, want %d", name, bs.Len(), MinEntries)
		}
		if n := bs.Count(); n != 0 {
			t.Errorf("%s: %d bits set, want none", name, n)
		}
		// The credentials of examples 04 and 01 point into this list.
		if set, err := bs.Get(94567); err != nil || set {
			t.Errorf("%s: index 94567 = %v, %v", name, set, err)
		}
		// Re-encoding gives the same bits (the GZIP bytes may differ).
		enc, err := bs.Encode()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode(enc, 0)
		if err != nil || !bytes.Equal(again.Bytes(), bs.Bytes()) {
			t.Fatalf("%s: re-encoding: %v", name, err)
		}
	}
}

func TestEntriesOfSpecExamples(t *testing.T) {
	want := map[string][]string{
		"01-example-statuslistcredential-using-simple-entries.json":                     {"revocation:94567", "suspension:23452"},
		"04-a-revocable-verifiable-credential.json":                                     {"revocation:94567"},
		"06-associating-multiple-status-lists-with-a-single-verifiable-credential.json": {"revocation:94567", "suspension:12345"},
		"07-associating-multiple-status-entries-in-a-single-status-list.json":           {"revocation:94567", "suspension:12345"},
	}
	for name, w := range want {
		entries, err := EntriesOf(readExample(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(entries) != len(w) {
			t.Fatalf("%s: %d entries", name, len(entries))
		}
		for i, e := range entries {
			if err := e.Validate(); err != nil {
				t.Fatalf("%s[%d]: %v", name, i, err)
			}
			idx, _ := e.Index()
			if got := string(e.StatusPurpose) + ":" + itoa(idx); got != w[i] {
				t.Errorf("%s[%d] = %s, want %s", name, i, got, w[i])
			}
		}
	}
}

func itoa(i int) string { return string(mustJSON(i)) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestBitOrder(t *testing.T) {
	bs, err := NewBitstring(MinEntries)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 7, 9, MinEntries - 1} {
		if err := bs.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	b := bs.Bytes()
	if b[0] != 0x81 || b[1] != 0x40 || b[len(b)-1] != 0x01 {
		t.Fatalf("bytes % x … % x: index 0 must be the left-most bit", b[:2], b[len(b)-1])
	}
	// statusSize 2: entry 4 is bits 8 and 9 -> 0b01.
	if v, err := bs.Value(4, 2); err != nil || v != 1 {
		t.Fatalf("Value(4,2) = %d, %v", v, err)
	}
	if v, _ := bs.Value(0, 8); v != 0x81 {
		t.Fatalf("Value(0,8) = %#x", v)
	}
	if err := bs.Set(3, false); err != nil {
		t.Fatal(err)
	}
	if err := bs.Set(0, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := bs.Get(0); got {
		t.Fatal("bit 0 still set")
	}
	if bs.Count() != 3 {
		t.Fatalf("count %d", bs.Count())
	}
}

func TestIndexBounds(t *testing.T) {
	bs, _ := NewBitstring(MinEntries)
	for _, i := range []int{-1, MinEntries, MinEntries + 8} {
		if err := bs.Set(i, true); CodeOf(err) != CodeRange {
			t.Errorf("Set(%d): %v", i, err)
		}
		if _, err := bs.Get(i); CodeOf(err) != CodeRange {
			t.Errorf("Get(%d): %v", i, err)
		}
	}
	if _, err := bs.Value(MinEntries/2, 2); CodeOf(err) != CodeRange {
		t.Errorf("Value past the end: %v", err)
	}
	if _, err := bs.Value(0, 9); CodeOf(err) != CodeInvalidArgument {
		t.Errorf("statusSize 9: %v", err)
	}
	for _, n := range []int{0, -8, 7, DefaultMaxDecodedBytes*8 + 8} {
		if _, err := NewBitstring(n); err == nil {
			t.Errorf("NewBitstring(%d) accepted", n)
		}
	}
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDecodeRejects(t *testing.T) {
	ok := "u" + base64.RawURLEncoding.EncodeToString(gz(t, make([]byte, MinBytes)))
	if _, err := Decode(ok, 0); err != nil {
		t.Fatal(err)
	}
	bomb := "u" + base64.RawURLEncoding.EncodeToString(gz(t, make([]byte, DefaultMaxDecodedBytes+1)))
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes: not a bomb", len(bomb))
	}
	cases := map[string]string{
		"empty":          "",
		"no prefix":      ok[1:],
		"base58 prefix":  "z" + ok[1:],
		"base64 std":     "m" + base64.RawStdEncoding.EncodeToString(gz(t, make([]byte, 8))),
		"padding":        ok + "==",
		"not gzip":       "u" + base64.RawURLEncoding.EncodeToString([]byte("hello, world")),
		"truncated gzip": ok[:len(ok)-6],
		"empty bits":     "u" + base64.RawURLEncoding.EncodeToString(gz(t, nil)),
		"gzip bomb":      bomb,
		"too long":       "u" + string(bytes.Repeat([]byte("A"), MaxEncodedLen)),
	}
	for name, s := range cases {
		if _, err := Decode(s, 0); CodeOf(err) != CodeStatusInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Decode(ok, MinBytes-1); CodeOf(err) != CodeStatusInvalid {
		t.Errorf("a custom bound: %v", err)
	}
}

func TestEntryValidate(t *testing.T) {
	good := NewEntry("https://x.example/s/1", PurposeRevocation, 42)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	mut := func(f func(*Entry)) Entry { e := good; f(&e); return e }
	bad := map[string]Entry{
		"type":          mut(func(e *Entry) { e.Type = "StatusList2021Entry" }),
		"purpose":       mut(func(e *Entry) { e.StatusPurpose = "revoked" }),
		"index sign":    mut(func(e *Entry) { e.StatusListIndex = "-1" }),
		"index plus":    mut(func(e *Entry) { e.StatusListIndex = "+1" }),
		"index empty":   mut(func(e *Entry) { e.StatusListIndex = "" }),
		"index long":    mut(func(e *Entry) { e.StatusListIndex = "12345678901" }),
		"index hex":     mut(func(e *Entry) { e.StatusListIndex = "0x10" }),
		"no list":       mut(func(e *Entry) { e.StatusListCredential = "" }),
		"size 9":        mut(func(e *Entry) { e.StatusSize = 9 }),
		"size 2 no msg": mut(func(e *Entry) { e.StatusSize = 2 }),
	}
	for name, e := range bad {
		if err := e.Validate(); CodeOf(err) != CodeStatusInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	m := good.Map()
	if m["statusListIndex"] != "42" || m["id"] != "https://x.example/s/1#42" || m["type"] != TypeEntry {
		t.Fatalf("Map: %v", m)
	}
}
