package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// cosigned returns l's checkpoint of size with cosignature lines from cs,
// stamped with testTime.
func cosigned(t testing.TB, l *memLog, size uint64, cs ...*Cosigner) []byte {
	t.Helper()
	cp := l.checkpoint(t, size)
	for _, c := range cs {
		line, err := c.sigLine(testTime.Unix(), []byte(l.text(size)))
		if err != nil {
			t.Fatal(err)
		}
		cp = append(cp, line...)
	}
	return cp
}

func TestVerifyCosignatures(t *testing.T) {
	l := newMemLog(t, originA, 1).grow("a", 5)
	w1, w2, w3 := testCosigner(t, "w1.example", 21), testCosigner(t, "w2.example", 22), testCosigner(t, "w3.example", 23)
	stranger := testCosigner(t, "stranger.example", 24)
	ws := []note.Verifier{w1.Verifier(), w2.Verifier(), w3.Verifier()}
	other := newMemLog(t, originA, 2).grow("a", 5)

	flip := func(cp []byte, name string) []byte {
		// Corrupt one signature byte in the line of key name.
		prefix := []byte("— " + name + " ")
		i := bytes.Index(cp, prefix) + len(prefix)
		j := i + bytes.IndexByte(cp[i:], '\n')
		raw, err := base64.StdEncoding.DecodeString(string(cp[i:j]))
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)-10] ^= 1
		return append(append(bytes.Clone(cp[:i]), base64.StdEncoding.EncodeToString(raw)...), cp[j:]...)
	}
	for _, tc := range []struct {
		name      string
		cp        []byte
		witnesses []note.Verifier
		k         int
		wantErr   error  // errors.Is target, nil for success
		errText   string // substring of the error
		wantN     int
	}{
		{name: "2 of 3", cp: cosigned(t, l, 5, w1, w3), witnesses: ws, k: 2, wantN: 2},
		{name: "3 of 3", cp: cosigned(t, l, 5, w1, w2, w3), witnesses: ws, k: 3, wantN: 3},
		{name: "k 0 needs only the log", cp: l.checkpoint(t, 5), witnesses: ws, k: 0, wantN: 0},
		{name: "unlisted cosigner ignored", cp: cosigned(t, l, 5, w1, stranger, w2), witnesses: ws, k: 2, wantN: 2},
		{name: "too few", cp: cosigned(t, l, 5, w1, stranger), witnesses: ws, k: 2, wantErr: ErrTooFewCosignatures, errText: "1 valid (w1.example), need 2"},
		{name: "same witness twice counts once", cp: append(cosigned(t, l, 5, w1), cosigned(t, l, 5, w1)[len(l.checkpoint(t, 5)):]...), witnesses: ws, k: 2, wantErr: ErrTooFewCosignatures},
		{name: "listed twice is one witness", cp: cosigned(t, l, 5, w1), witnesses: []note.Verifier{w1.Verifier(), w1.Verifier()}, k: 2, errText: "threshold 2 with 1 distinct"},
		{name: "no log signature", cp: cosigned(t, other, 5, w1, w2), witnesses: ws, k: 2, wantErr: ErrLogSignature},
		{name: "bad log signature", cp: flip(cosigned(t, l, 5, w1, w2), originA), witnesses: ws, k: 2, wantErr: ErrLogSignature},
		{name: "bad cosignature", cp: flip(cosigned(t, l, 5, w1, w2), "w2.example"), witnesses: ws, k: 1, wantErr: ErrCosignature, errText: "w2.example"},
		{name: "not a note", cp: []byte("hello\n"), witnesses: ws, k: 1, wantErr: ErrMalformedCheckpoint},
		{name: "not a checkpoint", cp: func() []byte {
			n, _ := note.Sign(&note.Note{Text: "just text\n"}, l.signer)
			return n
		}(), witnesses: ws, k: 0, wantErr: ErrMalformedCheckpoint},
		{name: "negative k", cp: cosigned(t, l, 5, w1), witnesses: ws, k: -1, errText: "threshold"},
		{name: "witness is the log", cp: cosigned(t, l, 5, w1), witnesses: []note.Verifier{l.verifier}, k: 1, errText: "is the log key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyCosignatures(tc.cp, l.verifier, tc.witnesses, tc.k)
			if tc.wantErr == nil && tc.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tc.wantN {
					t.Fatalf("%d cosignatures, want %d", len(got), tc.wantN)
				}
				for _, c := range got {
					if !c.Time.Equal(testTime) {
						t.Errorf("%s: time %v", c.Name, c.Time)
					}
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("error %q does not mention %q", err, tc.errText)
			}
		})
	}
}
