package classify

import (
	"math/rand/v2"
	"os"
	"testing"
)

func TestDistinctCounter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget int64
		n      int
		space  uint64
	}{
		{"in memory", 1 << 20, 20000, 5000},
		{"spill", 2000, 20000, 5000},             // ~111 entries a run: multi-pass merge
		{"spill distinct", 4000, 30000, 1 << 62}, // nearly all distinct
		{"empty", 1000, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := newDistinctCounter(tc.budget, dir)
			defer d.close()
			r := rand.New(rand.NewPCG(5, 6))
			want := map[uint64]uint8{}
			for i := 0; i < tc.n; i++ {
				k := r.Uint64N(tc.space)
				f := uint8(1) << r.IntN(8)
				if r.IntN(3) > 0 {
					f = 0
				}
				want[k] |= f
				if err := d.add(k, f); err != nil {
					t.Fatal(err)
				}
			}
			got, err := d.result()
			if err != nil {
				t.Fatal(err)
			}
			var wc counts
			for _, f := range want {
				wc.addEntry(f)
			}
			if got != wc {
				t.Errorf("got %+v, want %+v", got, wc)
			}
			d.close()
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("%d run files left", len(ents))
			}
		})
	}
}

func TestRadixSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 63, 64, 1000} {
		k := make([]uint64, n)
		f := make([]uint8, n)
		for i := range k {
			k[i] = r.Uint64()
			if i%7 == 0 {
				k[i] &= 0xffff // shared high bytes
			}
			f[i] = uint8(k[i])
		}
		radixSort(k, f)
		for i := range k {
			if i > 0 && k[i] < k[i-1] {
				t.Fatalf("n=%d: not sorted at %d", n, i)
			}
			if f[i] != uint8(k[i]) {
				t.Fatalf("n=%d: flags not carried at %d", n, i)
			}
		}
	}
}

// TestDistinctCounterBuckets spreads keys over every bucket (full 64-bit
// range, with repeats and keys at the bucket edges), in memory and
// spilling, compacting on one goroutine and on several
// (parallelCompactMin), and compares with a map.
func TestDistinctCounterBuckets(t *testing.T) {
	for _, tc := range []struct {
		budget int64
		n      int
	}{{1 << 20, 60000}, {20000, 60000}, {3000, 60000}, {1 << 23, 200000}, {2 << 20, 300000}} {
		budget := tc.budget
		d := newDistinctCounter(budget, t.TempDir())
		r := rand.New(rand.NewPCG(9, 10))
		want := map[uint64]uint8{}
		var seen []uint64
		for i := 0; i < tc.n; i++ {
			var k uint64
			switch {
			case len(seen) > 0 && r.IntN(4) == 0:
				k = seen[r.IntN(len(seen))]
			case r.IntN(50) == 0:
				k = uint64(r.IntN(256))<<56 | uint64(r.IntN(2))*(1<<56-1) // bucket edges
			default:
				k = r.Uint64()
			}
			seen = append(seen, k)
			f := uint8(1) << r.IntN(8)
			want[k] |= f
			if err := d.add(k, f); err != nil {
				t.Fatal(err)
			}
		}
		got, err := d.result()
		if err != nil {
			t.Fatal(err)
		}
		var wc counts
		for _, f := range want {
			wc.addEntry(f)
		}
		if got != wc {
			t.Errorf("budget %d: got %+v, want %+v", budget, got, wc)
		}
		d.close()
	}
}
