package synth

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/classify"
)

// TestRunMatchesStats profiles generated files with classify.Run and
// compares its counts with the generator's truth, in UTF-8 and in GB18030
// with a BOM.
func TestRunMatchesStats(t *testing.T) {
	for _, opts := range []CSVOptions{
		{Seed: 11, Rows: 5000},
		{Seed: 12, Rows: 5000, Encoding: "gb18030", BOM: true, RepeatRatio: 0.5},
		{Seed: 13, Rows: 3000, BOM: true, RepeatRatio: -1},
	} {
		path := filepath.Join(t.TempDir(), "orders.csv")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := WriteCSV(f, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		p, err := classify.Run(context.Background(), []string{path}, classify.Options{RefDate: qualityRefDate})
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		t.Logf("%s: rows %d/%d, individuals %d/%d, sensitive %d/%d (classifier/truth), identity key %q",
			opts.Encoding, p.Rows, st.Rows, p.Individuals, st.Individuals, p.SensitiveIndividuals, st.SensitiveIndividuals, p.IdentityKey)
		if p.Rows != st.Rows || p.Individuals != st.Individuals || p.SensitiveIndividuals != st.SensitiveIndividuals {
			t.Errorf("%+v: classifier counts differ from the truth", opts)
		}
		names := make([]string, len(p.Fields))
		for i, fp := range p.Fields {
			names[i] = fp.Name
			if strings.HasPrefix(fp.Name, "\uFEFF") {
				// Reported to the tabular owner: a GB18030 BOM left in the
				// first header name. Logged, not failed, here.
				t.Logf("%s BOM %v: header name %q keeps the BOM", opts.Encoding, opts.BOM, fp.Name)
				names[i] = strings.TrimPrefix(fp.Name, "\uFEFF")
			}
		}
		for _, c := range st.Columns {
			i := slices.Index(names, c.Name)
			if i < 0 {
				t.Errorf("column %s missing from the profile", c.Name)
				continue
			}
			if fp := p.Fields[i]; fp.Class != c.Class || fp.Sensitive != c.Sensitive {
				t.Errorf("%s: classified %s (sensitive %v), truth %s (sensitive %v)", c.Name, fp.Class, fp.Sensitive, c.Class, c.Sensitive)
			}
		}
	}
}
