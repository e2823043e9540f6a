package witness

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentAddCheckpoint has many clients race to advance one log on
// one witness, half of them pushing a fork that shares the first 6 leaves.
// Each client behaves like tessera's: it starts from a guessed old size and
// follows 409 replies. The witness must never move backwards, never advance
// twice from one size, and never cosign two roots for one size.
func TestConcurrentAddCheckpoint(t *testing.T) {
	const maxSize, shared, seedSize = 32, 6, 2
	a := newMemLog(t, originA, 1).grow("a", maxSize)
	b := &memLog{origin: originA, signer: a.signer, verifier: a.verifier, vkey: a.vkey, tree: newMemLog(t, originA, 1).tree}
	for i := range shared {
		b.tree.AppendData([]byte(fmt.Sprintf("a-%d", i)))
	}
	b.grow("b", maxSize-shared)

	// Precompute every checkpoint and proof so the clients only race on the witness.
	type key struct {
		tree      int
		old, size uint64
	}
	bodies := map[key][]byte{}
	for ti, l := range []*memLog{a, b} {
		for size := uint64(0); size <= maxSize; size++ {
			cp := l.checkpoint(t, size)
			for old := uint64(0); old <= size; old++ {
				r := l.request(t, old, size)
				r.Checkpoint = cp
				bodies[key{ti, old, size}] = r.Marshal()
			}
		}
	}

	dir := t.TempDir()
	w := newTestWitness(t, dir, testCosigner(t, "w", 7), fixedClock, a.known())
	h := w.Handler("")
	if r := post(h, "/add-checkpoint", bodies[key{0, 0, seedSize}]); r.status != http.StatusOK {
		t.Fatalf("seed: %+v", r)
	}

	type accepted struct {
		old, size uint64
		root      string
	}
	var (
		mu     sync.Mutex
		got    []accepted
		wg     sync.WaitGroup
		counts = map[int]int{}
	)
	const clients, attempts = 12, 16
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			for i := range attempts {
				// Targets rise over the attempts, so clients keep contending.
				tree := rng.IntN(2)
				size := uint64(min(maxSize, i*maxSize/attempts+rng.IntN(4)))
				hint := uint64(rng.IntN(int(size) + 1))
				for try := 0; try < 4; try++ {
					r := post(h, "/add-checkpoint", bodies[key{tree, hint, size}])
					mu.Lock()
					counts[r.status]++
					mu.Unlock()
					if r.status == http.StatusOK {
						root := string([]*memLog{a, b}[tree].tree.HashAt(size))
						mu.Lock()
						got = append(got, accepted{hint, size, root})
						mu.Unlock()
						break
					}
					if r.status != http.StatusConflict || r.ctype != ContentTypeSize {
						break
					}
					latest, err := strconv.ParseUint(strings.TrimSpace(r.body), 10, 64)
					if err != nil {
						t.Errorf("409 body %q", r.body)
						return
					}
					if latest > size {
						break
					}
					hint = latest
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("statuses: %v, accepted: %d", counts, len(got))

	rootAt := map[uint64]string{seedSize: string(a.tree.HashAt(seedSize))}
	from := map[uint64]uint64{}
	for _, g := range got {
		if r, ok := rootAt[g.size]; ok && r != g.root {
			t.Errorf("two roots cosigned at size %d", g.size)
		}
		rootAt[g.size] = g.root
		if g.old == g.size {
			continue
		}
		if g.old > g.size {
			t.Errorf("cosigned a move backwards %d -> %d", g.old, g.size)
		}
		if prev, dup := from[g.old]; dup {
			t.Errorf("advanced twice from size %d: to %d and to %d", g.old, prev, g.size)
		}
		from[g.old] = g.size
	}
	// The advances form one chain from the seed size to the stored size.
	olds := make([]uint64, 0, len(from))
	for o := range from {
		olds = append(olds, o)
	}
	sort.Slice(olds, func(i, j int) bool { return olds[i] < olds[j] })
	cur := uint64(seedSize)
	for _, o := range olds {
		if o != cur {
			t.Fatalf("advance from %d, but the witness was at %d", o, cur)
		}
		cur = from[o]
	}
	st, err := ReadState(dir, originA)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != cur || !bytes.Equal(st.Root, []byte(rootAt[cur])) {
		t.Fatalf("stored size %d, chain ends at %d (or root differs)", st.Size, cur)
	}
	if len(from) == 0 {
		t.Fatal("no client advanced the log; the test exercised nothing")
	}
}
