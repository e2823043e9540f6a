package classify

import (
	"context"
	"os"
	"testing"
)

func TestZZPerf(t *testing.T) {
	if os.Getenv("XB_PERF") == "" {
		t.Skip()
	}
	p, err := Run(context.Background(), []string{"/tmp/bench/bench-seed1-1000000000.csv"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(p.Individuals, p.SensitiveIndividuals, p.Rows)
}
