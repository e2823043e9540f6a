package tabular

import (
	"context"
	"io"
	"os"
	"testing"
	"time"
)

func TestZZReadPerf(t *testing.T) {
	if os.Getenv("XB_PERF") == "" {
		t.Skip()
	}
	ctx := context.Background()
	ts, err := Discover(ctx, "/tmp/bench/bench-seed1-1000000000.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Open(ctx, ts[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(b.Rows)
		if rl, ok := r.(interface{ Release(*Batch) }); ok && os.Getenv("XB_REL") != "" {
			rl.Release(b)
		}
	}
	d := time.Since(start)
	t.Logf("%d rows in %v: %.1f MB/s", n, d, float64(ts[0].Size)/d.Seconds()/1e6)
}
