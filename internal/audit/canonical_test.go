package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// canonicalEvent fixes field order (sorted by key) for the canonical form.
type canonicalEvent struct {
	Actor         string `json:"actor"`
	Bytes         uint64 `json:"bytes"`
	Class         string `json:"class"`
	DetailsDigest string `json:"details_digest"`
	ObjectID      string `json:"object_id"`
	ObjectKind    string `json:"object_kind"`
	Operation     string `json:"operation"`
	Reason        string `json:"reason"`
	Records       uint64 `json:"records"`
	Result        string `json:"result"`
	Time          string `json:"time"`
}

// canonicalJSON is the reference encoder: encoding/json over the sorted struct.
func canonicalJSON(e *Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	c := canonicalEvent{
		Actor: e.Actor, Bytes: e.Bytes, Class: string(e.EffectiveClass()), DetailsDigest: e.DetailsDigest, ObjectID: e.ObjectID,
		ObjectKind: string(e.ObjectKind), Operation: string(e.Operation), Reason: e.Reason, Records: e.Records,
		Result: string(e.Result), Time: e.Time.UTC().Format(time.RFC3339Nano),
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// FuzzCanonical: the direct encoder writes what encoding/json writes.
func FuzzCanonical(f *testing.F) {
	f.Add("did:web:a.example", "urn:x:a\"b\\c<>&", "within_agreement", int64(1700000000123456789), uint64(0), uint64(1<<53-1), uint8(1))
	f.Add("did:key:z6Mk", "https://example.org/d?x=1", "", int64(946684800000000000), uint64(7), uint64(0), uint8(0))
	f.Fuzz(func(t *testing.T, actor, object, reason string, ns int64, records, nbytes uint64, class uint8) {
		classes := []Class{"", ClassGeneral, ClassPersonal, ClassSensitive, ClassImportant, ClassCore}
		e := &Event{Actor: actor, Time: time.Unix(0, ns), Operation: OpTransfer, ObjectID: object, ObjectKind: KindTransfer,
			Result: ResultSuccess, Reason: reason, DetailsDigest: "sha256:" + strings.Repeat("0f", 32),
			Class: classes[int(class)%len(classes)], Records: records, Bytes: nbytes}
		got, err := e.Canonical()
		want, werr := canonicalJSON(e)
		if (err == nil) != (werr == nil) {
			t.Fatalf("encoder %v, reference %v", err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
		if err == nil {
			if _, err := ParseCanonical(got); err != nil {
				t.Fatalf("own output does not parse: %v", err)
			}
		}
	})
}

// parseCanonicalJSON is the reference: decode with encoding/json, then
// require that re-encoding gives the input back.
func parseCanonicalJSON(b []byte) (*Event, error) {
	var c canonicalEvent
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	t, err := time.Parse(time.RFC3339Nano, c.Time)
	if err != nil {
		return nil, err
	}
	e := &Event{Actor: c.Actor, Time: t.UTC(), Operation: Operation(c.Operation), ObjectID: c.ObjectID,
		ObjectKind: ObjectKind(c.ObjectKind), Result: Result(c.Result), Reason: c.Reason, DetailsDigest: c.DetailsDigest,
		Class: Class(c.Class), Records: c.Records, Bytes: c.Bytes}
	again, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, errors.New("not canonical")
	}
	return e, nil
}

func canonicalSeeds() [][]byte {
	var out [][]byte
	for i, mut := range []func(*Event){
		func(*Event) {},
		func(e *Event) { e.Class, e.Records, e.Bytes = ClassSensitive, 1200, 1<<53-1 },
		func(e *Event) { e.ObjectID = `urn:x:a"b\c` },
		func(e *Event) { e.Reason = "" },
		func(e *Event) { e.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	} {
		e := testEvent(i)
		mut(e)
		b, err := e.Canonical()
		if err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}

func TestParseCanonicalMatchesReference(t *testing.T) {
	for _, b := range canonicalSeeds() {
		got, err := ParseCanonical(b)
		want, werr := parseCanonicalJSON(b)
		if err != nil || werr != nil {
			t.Fatalf("%s: %v / %v", b, err, werr)
		}
		if fmt.Sprint(*got) != fmt.Sprint(*want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", b, got, want)
		}
	}
	good := string(canonicalSeeds()[1])
	for _, bad := range []string{
		strings.Replace(good, `"bytes":9007199254740991`, `"bytes":9007199254740992`, 1),
		strings.Replace(good, `"records":1200`, `"records":01200`, 1),
		strings.Replace(good, `"records":1200`, `"records":1.2e3`, 1),
		strings.Replace(good, `{"actor"`, `{ "actor"`, 1),
		strings.Replace(good, `Z"}`, `+00:00"}`, 1),
		strings.Replace(good, `"class":"sensitive"`, `"class":""`, 1),
		strings.Replace(good, `"reason":"within_agreement"`, `"reason":"within\u005fagreement"`, 1),
		good + " ",
	} {
		if _, err := ParseCanonical([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
		if _, err := parseCanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("reference accepted %s", bad)
		}
	}
}

// FuzzParseCanonical: the fast parser accepts exactly what the encoding/json
// round trip accepts, with the same result.
func FuzzParseCanonical(f *testing.F) {
	for _, b := range canonicalSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseCanonical(b)
		want, werr := parseCanonicalJSON(b)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: fast %v, reference %v", b, err, werr)
		}
		if err == nil && fmt.Sprint(*got) != fmt.Sprint(*want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}
