package contract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// addFiles adds every file matching pattern as a seed.
func addFiles(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds at %s: %v", pattern, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParsePolicy: no panic; an accepted policy is valid and re-marshals
// to bytes that parse back to the same bytes, in both forms.
func FuzzParsePolicy(f *testing.F) {
	addFiles(f, "testdata/offers/*.json")
	f.Add([]byte(`{"@context":"http://www.w3.org/ns/odrl.jsonld","@type":"Offer","uid":"urn:x:1","target":"urn:x:t","permission":[{"action":"use"}]}`))
	f.Add([]byte(`{"@type":"Agreement","@id":"urn:x:1","target":"urn:x:t","assigner":"did:x:a","assignee":"did:x:b","timestamp":"2026-01-01T00:00:00Z","permission":{"action":"odrl:use","constraint":{"leftOperand":"odrl:count","operator":"lteq","rightOperand":5}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid policy: %v", err)
		}
		for _, form := range []Form{FormODRL, FormDSP} {
			out, err := p.Marshal(form)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			q, err := ParsePolicy(out)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", out, err)
			}
			again, _ := q.Marshal(form)
			if !bytes.Equal(out, again) {
				t.Fatalf("not stable:\n%s\n%s", out, again)
			}
		}
		_ = p.Period()
		_ = p.Limits()
	})
}

// FuzzParseTemplate: no panic; an accepted template instantiates (or
// reports a *ParamError) without panicking.
func FuzzParseTemplate(f *testing.F) {
	addFiles(f, "templates/*.yaml")
	f.Add([]byte("name: x\nversion: 1\nkind: general\n"))
	params := readParams(f, "general")
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := ParseTemplate(data)
		if err != nil {
			return
		}
		offer, err := tpl.Instantiate(params)
		if err != nil {
			return
		}
		if _, err := offer.Marshal(FormODRL); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzInstantiate: arbitrary parameters for every built-in template: no
// panic, and an accepted offer parses back unchanged.
func FuzzInstantiate(f *testing.F) {
	c := builtin(f)
	names := []string{}
	for _, tpl := range c.List() {
		names = append(names, tpl.Name)
		b, err := os.ReadFile(filepath.Join("testdata", "params", tpl.Name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(len(names)-1), b)
	}
	f.Add(uint8(0), []byte(`{"target":"urn:x:y","purposes":["analytics"],"jurisdictions":["DE"],"period":{"start":"2026-01-01","end":"2026-01-01"},"max_bytes":"1TiB"}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tpl, _ := c.Get(names[int(which)%len(names)])
		p, err := ParseParams(data)
		if err != nil {
			return
		}
		offer, err := tpl.Instantiate(p)
		if err != nil {
			return
		}
		out, err := offer.Marshal(FormODRL)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePolicy(out)
		if err != nil {
			t.Fatalf("instantiated offer does not parse: %v\n%s", err, out)
		}
		again, _ := back.Marshal(FormODRL)
		if !bytes.Equal(out, again) {
			t.Fatalf("not stable")
		}
	})
}

// FuzzUseRequest: no panic; input that passes the checks is sane.
func FuzzUseRequest(f *testing.F) {
	f.Add([]byte(`{"agreement":"urn:uuid:1","count":1,"bytes":1024,"rows":10,"purpose":"analytics","country":"DE"}`))
	f.Add([]byte(`{"agreement":"urn:uuid:1","count":0,"tasks":3,"at":"2026-03-01T00:00:00Z","actor":"did:web:x.example","action":"compute"}`))
	f.Add([]byte(`{"agreement":"","count":-1}`))
	now := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	s := &Store{now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseUseRequest(data)
		if err != nil {
			return
		}
		if err := s.checkInput(&u); err != nil {
			return
		}
		if u.Count < 0 || u.Bytes < 0 || u.Rows < 0 || u.Tasks < 0 || u.At.After(now.Add(maxFutureSkew)) || u.Action == "" {
			t.Fatalf("accepted %+v", u)
		}
	})
}

// FuzzVerifyAgreement: arbitrary signed-agreement files never verify
// unless they carry the genuine signatures over the canonical agreement.
func FuzzVerifyAgreement(f *testing.F) {
	fx := newFixture(f, 1)
	offer := fx.offer(f, nil)
	a, err := NewAgreement(offer, fx.review(f, offer), fx.provider.did, fx.consumer.did, fx.clock.now())
	if err != nil {
		f.Fatal(err)
	}
	sa, err := SignAgreement(a, fx.provider.s, fx.provider.kid)
	if err != nil {
		f.Fatal(err)
	}
	cs, err := Countersign(context.Background(), sa, fx.consumer.s, fx.consumer.kid, fx.resolver.ResolveKey)
	if err != nil {
		f.Fatal(err)
	}
	genuine, _ := cs.MarshalIndent()
	f.Add(genuine)
	f.Add([]byte(`{"id":"urn:x:1","provider_jws":"e30.e30.AA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSigned(data)
		if err != nil {
			return
		}
		v, err := VerifyAgreement(context.Background(), s, fx.resolver.ResolveKey, false)
		if err != nil {
			return
		}
		// Keys differ between fuzzing processes (each makes its own fixture),
		// so the check is structural: canonical bytes, each key its party's.
		canon, _ := v.Agreement.Marshal(FormODRL)
		if !bytes.Equal(canon, v.Raw) || bindKid(v.ProviderKid, v.Agreement.Assigner) != nil ||
			(v.Countersigned && bindKid(v.ConsumerKid, v.Agreement.Assignee) != nil) {
			t.Fatalf("verified a non-canonical agreement or a key of another party")
		}
	})
}
