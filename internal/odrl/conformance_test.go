package odrl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// conformanceFile is one file of testdata/cases: a policy and the requests
// to decide against it, or a policy that must be refused.
type conformanceFile struct {
	Description string `json:"description"`
	Options     struct {
		Lenient  bool   `json:"lenient"`
		DutyMode string `json:"dutyMode"` // "after" (default) or "first"
	} `json:"options"`
	Policy json.RawMessage `json:"policy"`
	Error  *struct {
		Code string `json:"code"`
		Path string `json:"path"` // substring of the error's path
	} `json:"error"`
	Requests []conformanceRequest `json:"requests"`
}

type conformanceRequest struct {
	Name       string          `json:"name"`
	Request    json.RawMessage `json:"request"`
	Decision   string          `json:"decision"`
	Rule       *string         `json:"rule"`
	Constraint *string         `json:"constraint"`
	Reasons    []string        `json:"reasons"`
	Duties     []string        `json:"duties"`
}

func (f *conformanceFile) opts() []Option {
	var o []Option
	if f.Options.Lenient {
		o = append(o, Lenient())
	}
	if f.Options.DutyMode == "first" {
		o = append(o, WithDutyMode(DutiesFirst))
	}
	return o
}

func loadConformance(t testing.TB) map[string]*conformanceFile {
	files, err := filepath.Glob("testdata/cases/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance cases: %v", err)
	}
	out := map[string]*conformanceFile{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf conformanceFile
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = &cf
	}
	return out
}

// TestConformance runs testdata/cases: every operator, left operand, logical
// constraint, conflict strategy and duty kind, and the refusals.
func TestPolicyConformance(t *testing.T) {
	for name, cf := range loadConformance(t) {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(cf.Policy, cf.opts()...)
			if cf.Error != nil {
				if err == nil {
					_, err = Prepare(p, cf.opts()...)
				}
				if err == nil {
					t.Fatalf("policy accepted, want error %s", cf.Error.Code)
				}
				found := false
				for _, e := range Problems(err) {
					if string(e.Code) == cf.Error.Code && strings.Contains(e.Path, cf.Error.Path) {
						found = true
					}
				}
				if !found {
					t.Fatalf("got %v, want code %s at a path containing %q", err, cf.Error.Code, cf.Error.Path)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			pp, err := Prepare(p, cf.opts()...)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			for _, rc := range cf.Requests {
				req, err := ParseRequest(rc.Request)
				if err != nil {
					t.Errorf("%s: request: %v", rc.Name, err)
					continue
				}
				d := pp.Evaluate(req)
				checkDecision(t, rc, d)
			}
		})
	}
}

func checkDecision(t *testing.T, rc conformanceRequest, d Decision) {
	t.Helper()
	bad := false
	if string(d.Decision) != rc.Decision {
		bad = true
	}
	if rc.Rule != nil && d.Rule != *rc.Rule {
		bad = true
	}
	if rc.Constraint != nil && d.Constraint != *rc.Constraint {
		bad = true
	}
	if rc.Reasons != nil {
		var codes []string
		for _, r := range d.Reasons {
			codes = append(codes, string(r.Code))
		}
		if !slices.Equal(codes, rc.Reasons) {
			bad = true
		}
	}
	if rc.Duties != nil {
		var ids []string
		for _, du := range d.Duties {
			ids = append(ids, du.Rule)
		}
		if !slices.Equal(ids, rc.Duties) && !(len(ids) == 0 && len(rc.Duties) == 0) {
			bad = true
		}
	}
	if bad {
		got, _ := json.Marshal(d)
		want, _ := json.Marshal(rc)
		t.Errorf("%s:\n got  %s\n want %s", rc.Name, got, want)
	}
}
