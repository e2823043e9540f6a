package psi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// sets draws two random key sets with a planted overlap.
func sets(r *rand.Rand, na, nb, common int) (a, b []string) {
	for i := 0; i < common; i++ {
		k := fmt.Sprintf("c%d-%d", i, r.IntN(1e9))
		a, b = append(a, k), append(b, k)
	}
	for len(a) < na {
		a = append(a, fmt.Sprintf("a%d-%d", len(a), r.IntN(1e9)))
	}
	for len(b) < nb {
		b = append(b, fmt.Sprintf("b%d-%d", len(b), r.IntN(1e9)))
	}
	r.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
	r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	return a, b
}

func plain(a, b []string, vals []uint64) (keys []string, sum uint64) {
	in := map[string]bool{}
	for _, k := range a {
		in[k] = true
	}
	seen := map[string]bool{}
	for i, k := range b {
		if in[k] && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
			if vals != nil {
				sum += vals[i]
			}
		}
	}
	slices.Sort(keys)
	return keys, sum
}

func TestMatchesPlaintext(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	cases := []struct{ na, nb, common int }{
		{0, 0, 0}, {0, 5, 0}, {5, 0, 0}, {1, 1, 1}, {1, 1, 0},
		{40, 40, 0},  // disjoint
		{40, 40, 40}, // identical
		{50, 30, 10}, {17, 90, 17}, {120, 77, 33},
	}
	for _, g := range []Group{GroupRistretto255, GroupX25519} {
		for _, tc := range cases {
			for _, mode := range []Mode{ModeIntersection, ModeCardinality, ModeSum} {
				for _, reveal := range []bool{false, true} {
					name := fmt.Sprintf("%v/%d×%d∩%d/%v/reveal=%v", g, tc.na, tc.nb, tc.common, mode, reveal)
					t.Run(name, func(t *testing.T) {
						a, b := sets(r, tc.na, tc.nb, tc.common)
						vals := make([]uint64, len(b))
						for i := range vals {
							vals[i] = r.Uint64N(1 << 20)
						}
						want, wantSum := plain(a, b, vals)
						c := Config{Session: "agreement-42", Mode: mode, Group: g, RevealToB: reveal, BatchSize: 16}
						ra, rb, err := RunLocal(context.Background(), c, a, b, vals)
						if err != nil {
							t.Fatal(err)
						}
						if ra.Size != len(want) {
							t.Fatalf("A size %d, want %d", ra.Size, len(want))
						}
						if ra.OwnSize != len(a) || ra.PeerSize != len(b) || rb.PeerSize != len(a) {
							t.Fatalf("set sizes A %d/%d B %d", ra.OwnSize, ra.PeerSize, rb.PeerSize)
						}
						switch mode {
						case ModeIntersection:
							if !slices.Equal(ra.Keys, want) {
								t.Fatalf("A keys %v, want %v", ra.Keys, want)
							}
							if reveal && !slices.Equal(rb.Keys, want) {
								t.Fatalf("B keys %v, want %v", rb.Keys, want)
							}
							if !reveal && (rb.Keys != nil || rb.Learned) {
								t.Fatal("B learned the intersection without RevealToB")
							}
						case ModeCardinality:
							if ra.Keys != nil {
								t.Fatal("cardinality mode gave keys")
							}
						case ModeSum:
							if ra.Sum != wantSum || rb.Sum != wantSum || !ra.HasSum {
								t.Fatalf("sum A %d B %d, want %d", ra.Sum, rb.Sum, wantSum)
							}
						}
						if reveal && rb.Size != len(want) {
							t.Fatalf("B size %d, want %d", rb.Size, len(want))
						}
					})
				}
			}
		}
	}
}

func TestDuplicatesDropped(t *testing.T) {
	for _, g := range []Group{GroupRistretto255, GroupX25519} {
		t.Run(g.String(), func(t *testing.T) { testDuplicatesDropped(t, g) })
	}
}

func testDuplicatesDropped(t *testing.T, g Group) {
	a := []string{"x", "x", "y", "z"}
	b := []string{"y", "y", "x"}
	ra, rb, err := RunLocal(context.Background(), Config{Session: "s", Mode: ModeIntersection, Group: g, RevealToB: true}, a, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ra.Keys, []string{"x", "y"}) || ra.Dups != 1 || rb.Dups != 1 || ra.PeerSize != 2 {
		t.Fatalf("got %+v / %+v", ra, rb)
	}
	_, _, err = RunLocal(context.Background(), Config{Session: "s", Mode: ModeSum, Group: g}, a, b, []uint64{1, 2, 3})
	if err == nil {
		t.Fatal("PSI-sum accepted duplicate keys with values")
	}
}

func TestSumRange(t *testing.T) {
	_, _, err := RunLocal(context.Background(), Config{Session: "s", Mode: ModeSum}, []string{"a"}, []string{"a", "b"}, []uint64{1 << 31, 1 << 31})
	if !errors.Is(err, ErrSumRange) {
		t.Fatalf("got %v, want ErrSumRange", err)
	}
}

// RFC 9380, appendix K.3: expand_message_xmd(SHA-512).
func TestExpandXMD(t *testing.T) {
	d := []byte("QUUX-V01-CS02-with-expander-SHA512-256")
	for msg, want := range map[string]string{
		"":    "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba",
		"abc": "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc",
	} {
		if got := hex.EncodeToString(expandXMD(d, []byte(msg), 32)); got != want {
			t.Errorf("%q: got %s, want %s", msg, got, want)
		}
	}
	want := "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653e36a6b11bdd7732d8b38adb4a0edc26a0cef4bb45217135456e58fbca1703cd6032cb1347ee720b87972d63fbf232587043ed2901bce7f22610c0419751c065922b488431851041310ad659e4b23520e1772ab29dcdeb2002222a363f0c2b1c972b3efe1"
	if got := hex.EncodeToString(expandXMD(d, []byte("abc"), 128)); got != want {
		t.Errorf("abc, 128 bytes: got %s", got)
	}
	// One xmd reused for several messages and lengths, appending.
	x := newXMD(d)
	out := []byte("prefix")
	out = x.expand(out, []byte("abc"), 128)
	out = x.expand(out, []byte(""), 32)
	out = x.expand(out, []byte("abc"), 32)
	if got := hex.EncodeToString(out[6:]); got != want+"6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"+"0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc" || string(out[:6]) != "prefix" {
		t.Errorf("reused: got %x", out)
	}
}

func TestDomainSeparation(t *testing.T) {
	p1 := hashToGroup(dst("s1"), []byte("k")).Encode(nil)
	p2 := hashToGroup(dst("s2"), []byte("k")).Encode(nil)
	if string(p1) == string(p2) {
		t.Fatal("same point in two sessions")
	}
	u1 := encodeToCurve25519(GroupX25519.dst("s1"), []byte("k"))
	u2 := encodeToCurve25519(GroupX25519.dst("s2"), []byte("k"))
	if u1 == u2 {
		t.Fatal("same x25519 point in two sessions")
	}
}

// A party refuses messages of the other group, and RunLocal with one
// group on each side fails.
func TestGroupMismatch(t *testing.T) {
	u := encodeToCurve25519(GroupX25519.dst("s"), []byte("k"))
	b, err := (&Message{Session: "s", Mode: ModeIntersection, Group: GroupX25519, Step: StepMaskedA, Last: true, Items: u[:]}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	_, err = RunB(context.Background(), Config{Session: "s", Mode: ModeIntersection}, &fakeConn{in: [][]byte{b}}, []string{"k"}, nil)
	if !errors.Is(err, ErrUnexpected) {
		t.Fatalf("ristretto255 B took an x25519 message: %v", err)
	}
	var m Message
	if err := m.UnmarshalBinary(b); err != nil || m.Group != GroupX25519 {
		t.Fatalf("round trip: %v %v", err, m.Group)
	}
	bad := slices.Clone(b)
	bad[7] = 2
	if err := m.UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unknown group: %v", err)
	}
	if _, _, err := RunLocal(context.Background(), Config{Session: "s", Group: 7}, []string{"k"}, []string{"k"}, nil); err == nil {
		t.Fatal("unknown group accepted")
	}
}

func msg(step Step, mode Mode, seq uint32, last bool, items []byte) []byte {
	b, err := (&Message{Session: "s", Mode: mode, Step: step, Seq: seq, Last: last, Items: items}).MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

func TestWireStrict(t *testing.T) {
	good := msg(StepMaskedA, ModeIntersection, 0, true, make([]byte, 64))
	var m Message
	if err := m.UnmarshalBinary(good); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"short":        good[:10],
		"trailing":     append(slices.Clone(good), 0),
		"truncated":    good[:len(good)-1],
		"magic":        append([]byte("XPSJ"), good[4:]...),
		"version":      func() []byte { b := slices.Clone(good); b[4] = 1; return b }(),
		"group":        func() []byte { b := slices.Clone(good); b[7] = 9; return b }(),
		"flags":        func() []byte { b := slices.Clone(good); b[8] = 3; return b }(),
		"step in mode": func() []byte { b := slices.Clone(good); b[5] = byte(StepSum); return b }(),
		"count":        func() []byte { b := slices.Clone(good); b[16] = 3; return b }(),
		"session":      func() []byte { b := slices.Clone(good); b[18] = ' '; return b }(),
	}
	for name, b := range bad {
		if err := m.UnmarshalBinary(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if _, err := (&Message{Session: "s", Mode: ModeIntersection, Step: StepMaskedA, Items: make([]byte, 33)}).MarshalBinary(); err == nil {
		t.Error("encoded a wrong-length item")
	}
}

// fakeConn feeds canned messages to a party and records what it sends.
type fakeConn struct {
	in   [][]byte
	sent [][]byte
}

func (f *fakeConn) Send(ctx context.Context, b []byte) error { f.sent = append(f.sent, b); return nil }
func (f *fakeConn) Recv(ctx context.Context) ([]byte, error) {
	if len(f.in) == 0 {
		return nil, errors.New("no more input")
	}
	b := f.in[0]
	f.in = f.in[1:]
	return b, nil
}

func TestBRefusesBadPointsAndReplays(t *testing.T) {
	good := hashToGroup(dst("s"), []byte("k")).Encode(nil)
	nonCanon := make([]byte, 32)
	for i := range nonCanon {
		nonCanon[i] = 0xff
	}
	nonCanon[31] = 0x7f // ≥ p: not canonical
	negative := make([]byte, 32)
	negative[0] = 1 // s = 1 is negative (odd)
	cases := map[string]struct {
		in   [][]byte
		want error
	}{
		"identity":      {[][]byte{msg(StepMaskedA, ModeIntersection, 0, true, make([]byte, 32))}, ErrBadPoint},
		"non-canonical": {[][]byte{msg(StepMaskedA, ModeIntersection, 0, true, nonCanon)}, ErrBadPoint},
		"negative":      {[][]byte{msg(StepMaskedA, ModeIntersection, 0, true, negative)}, ErrBadPoint},
		"replayed":      {[][]byte{msg(StepMaskedA, ModeIntersection, 0, false, good), msg(StepMaskedA, ModeIntersection, 0, true, good)}, ErrReplay},
		"skipped":       {[][]byte{msg(StepMaskedA, ModeIntersection, 1, true, good)}, ErrReplay},
		"wrong mode":    {[][]byte{msg(StepMaskedA, ModeCardinality, 0, true, good)}, ErrUnexpected},
		"wrong length":  {[][]byte{msg(StepMaskedA, ModeIntersection, 0, true, good)[:30]}, ErrMalformed},
		"other session": {[][]byte{func() []byte {
			b, _ := (&Message{Session: "t", Mode: ModeIntersection, Step: StepMaskedA, Last: true, Items: good}).MarshalBinary()
			return b
		}()}, ErrUnexpected},
		"after the end": {[][]byte{msg(StepMaskedA, ModeIntersection, 0, true, good), msg(StepMaskedA, ModeIntersection, 1, true, good)}, ErrReplay},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := Config{Session: "s", Mode: ModeIntersection, RevealToB: name == "after the end"}
			_, err := RunB(context.Background(), c, &fakeConn{in: tc.in}, []string{"k"}, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestARefusesBadPoints(t *testing.T) {
	// A receives B's tags (one, matching nothing), then an identity point.
	c := Config{Session: "s", Mode: ModeIntersection}
	in := [][]byte{
		msg(StepDoubleMasked, ModeIntersection, 0, true, make([]byte, TagLen)),
		msg(StepMaskedB, ModeIntersection, 0, true, make([]byte, 32)),
	}
	_, err := RunA(context.Background(), c, &fakeConn{in: in}, []string{"k"})
	if !errors.Is(err, ErrBadPoint) {
		t.Fatalf("got %v, want ErrBadPoint", err)
	}
	// Fewer tags than keys.
	in = [][]byte{msg(StepDoubleMasked, ModeIntersection, 0, true, nil)}
	if _, err := RunA(context.Background(), c, &fakeConn{in: in}, []string{"k"}); !errors.Is(err, ErrUnexpected) {
		t.Fatalf("got %v, want ErrUnexpected", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(msg(StepMaskedA, ModeIntersection, 0, true, make([]byte, 64)))
	f.Add(msg(StepSum, ModeSum, 0, true, make([]byte, 8)))
	f.Add(msg(StepDoubleMasked, ModeCardinality, 3, false, make([]byte, 32)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded but cannot encode: %v", err)
		}
		if string(out) != string(b) {
			t.Fatal("decode/encode is not the identity")
		}
	})
}
