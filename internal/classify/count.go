package classify

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// distinctCounter counts distinct 64-bit keys exactly, OR-ing the flags of
// equal keys, within a memory budget. Keys are appended to one of 256
// buckets chosen by their top byte (a sequential write, cheaper than
// probing a hash table); each bucket is a list of fixed-size blocks, so the
// buffer grows without copying. A full buffer is sorted bucket by bucket
// (LSD radix, with scratch space the size of one bucket, reused) and
// de-duplicated in place; since the buckets split the key space in order,
// the buckets one after another are the sorted buffer. When compaction
// still leaves the buffer more than half full it is written to a temporary
// file as a sorted run and emptied. result merges the runs (k-way, with a
// heap) and counts.
//
// Growing by blocks rather than doubling one array matters on machines
// where touching fresh memory is expensive (page faults in a VM): doubling
// touched about twice the final buffer plus a sort scratch of the same
// size, blocks touch the buffer once and a bucket-sized scratch.
//
// An entry costs 9 bytes. The buffer holds budget/18 entries, as when it
// was one array with a sort scratch of the same size: the other 9 bytes an
// entry cover the partly filled last block of each bucket (blocks hold at
// most limit/256 entries) and the bucket-sized sort scratch, and when it
// spills is unchanged.
type distinctCounter struct {
	buckets [numBuckets][]*keyBlock
	n       int // entries held in the buckets
	limit   int // entries
	blockN  int // entries in a block
	free    []*keyBlock
	dir     string
	runs    []string

	scratch []*sortScratch // one per compaction goroutine
}

// keyBlock is a fixed-size piece of a bucket; only the last block of a
// bucket is partly filled.
type keyBlock struct {
	keys  []uint64
	flags []uint8
}

const (
	entryBytes = 18
	numBuckets = 256
	bucketBits = 8
	// maxBlockEntries bounds a block (1024 entries: 9 KiB).
	maxBlockEntries = 1024
)

// mergeFanIn bounds the runs merged at once (open files and read buffers).
const mergeFanIn = 64

func newDistinctCounter(budget int64, dir string) *distinctCounter {
	limit := int(budget / entryBytes)
	if limit < 16 {
		limit = 16
	}
	// Blocks small enough that the partly filled last blocks of the 256
	// buckets stay within the budget.
	blockN := min(maxBlockEntries, max(16, limit/numBuckets))
	return &distinctCounter{limit: limit, blockN: blockN, dir: dir}
}

// add records key k with flags f.
func (d *distinctCounter) add(k uint64, f uint8) error {
	if d.n >= d.limit {
		d.compact()
		if d.n > d.limit/2 {
			if err := d.spill(); err != nil {
				return err
			}
		}
	}
	bs := d.buckets[k>>(64-bucketBits)]
	var b *keyBlock
	if len(bs) > 0 {
		b = bs[len(bs)-1]
	}
	if b == nil || len(b.keys) == cap(b.keys) {
		b = d.newBlock()
		d.buckets[k>>(64-bucketBits)] = append(bs, b)
	}
	b.keys = append(b.keys, k)
	b.flags = append(b.flags, f)
	d.n++
	return nil
}

func (d *distinctCounter) newBlock() *keyBlock {
	if n := len(d.free); n > 0 {
		b := d.free[n-1]
		d.free[n-1] = nil
		d.free = d.free[:n-1]
		return b
	}
	return &keyBlock{keys: make([]uint64, 0, d.blockN), flags: make([]uint8, 0, d.blockN)}
}

// compact sorts every bucket and merges equal keys. The buckets are
// independent, so large buffers are compacted on GOMAXPROCS goroutines,
// each with its own scratch space (the final compaction is on the critical
// path of Run).
func (d *distinctCounter) compact() {
	nw := 1
	if d.n >= parallelCompactMin {
		nw = runtime.GOMAXPROCS(0)
	}
	for len(d.scratch) < nw {
		d.scratch = append(d.scratch, &sortScratch{})
	}
	if nw == 1 {
		for i := range d.buckets {
			d.compactBucket(i, d.scratch[0])
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < nw; w++ {
			wg.Add(1)
			go func(sc *sortScratch) {
				defer wg.Done()
				for i := int(next.Add(1) - 1); i < numBuckets; i = int(next.Add(1) - 1) {
					d.compactBucket(i, sc)
				}
			}(d.scratch[w])
		}
		wg.Wait()
	}
	d.n = 0
	for _, sc := range d.scratch[:nw] {
		d.n += sc.n
		d.free = append(d.free, sc.free...)
		clear(sc.free)
		sc.n, sc.free = 0, sc.free[:0]
	}
}

// parallelCompactMin is the buffer size from which compact uses several
// goroutines.
const parallelCompactMin = 1 << 16

// sortScratch is the space of one goroutine of compact: the gathered bucket
// and the radix sort's scratch (the size of the largest bucket seen), and
// what it found: entries kept and blocks freed.
type sortScratch struct {
	sk, tk []uint64
	sf, tf []uint8
	n      int
	free   []*keyBlock
}

// compactBucket sorts bucket i and merges its equal keys in place.
func (d *distinctCounter) compactBucket(i int, sc *sortScratch) {
	bs := d.buckets[i]
	if len(bs) == 0 {
		return
	}
	// Gather the bucket into the scratch, sort, de-duplicate.
	keys, flags := sc.sk[:0], sc.sf[:0]
	for _, b := range bs {
		keys = append(keys, b.keys...)
		flags = append(flags, b.flags...)
	}
	sc.sk, sc.sf = keys, flags
	if cap(sc.tk) < len(keys) {
		sc.tk, sc.tf = make([]uint64, cap(keys)), make([]uint8, cap(keys))
	}
	radixSortScratch(keys, flags, sc.tk[:len(keys)], sc.tf[:len(keys)])
	n := 0
	for j := 0; j < len(keys); j++ {
		if n > 0 && keys[n-1] == keys[j] {
			flags[n-1] |= flags[j]
			continue
		}
		keys[n], flags[n] = keys[j], flags[j]
		n++
	}
	// Store back into the bucket's first blocks; free the others.
	keys, flags = keys[:n], flags[:n]
	k := 0
	for len(keys) > 0 {
		b := bs[k]
		m := min(len(keys), cap(b.keys))
		b.keys = append(b.keys[:0], keys[:m]...)
		b.flags = append(b.flags[:0], flags[:m]...)
		keys, flags = keys[m:], flags[m:]
		k++
	}
	for j := k; j < len(bs); j++ {
		b := bs[j]
		b.keys, b.flags = b.keys[:0], b.flags[:0]
		sc.free = append(sc.free, b)
		bs[j] = nil
	}
	d.buckets[i] = bs[:k]
	sc.n += n
}

// each calls fn with every entry, in key order once compacted.
func (d *distinctCounter) each(fn func(k uint64, f uint8) error) error {
	for _, bs := range d.buckets {
		for _, b := range bs {
			for j, k := range b.keys {
				if err := fn(k, b.flags[j]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reset empties the buckets, keeping their blocks for reuse.
func (d *distinctCounter) reset() {
	for i, bs := range d.buckets {
		for j, b := range bs {
			b.keys, b.flags = b.keys[:0], b.flags[:0]
			d.free = append(d.free, b)
			bs[j] = nil
		}
		d.buckets[i] = bs[:0]
	}
	d.n = 0
}

func (d *distinctCounter) spill() error {
	name, err := d.writeRun(func(w *bufio.Writer) error {
		var rec [9]byte
		return d.each(func(k uint64, f uint8) error {
			binary.LittleEndian.PutUint64(rec[:], k)
			rec[8] = f
			_, err := w.Write(rec[:])
			return err
		})
	})
	if err != nil {
		return err
	}
	d.runs = append(d.runs, name)
	d.reset()
	return nil
}

func (d *distinctCounter) writeRun(write func(*bufio.Writer) error) (string, error) {
	f, err := os.CreateTemp(d.dir, "xborder-classify-*.run")
	if err != nil {
		return "", fmt.Errorf("classify: spill distinct-count run: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("classify: spill distinct-count run: %w", err)
	}
	return f.Name(), nil
}

// counts is the result: distinct keys, and distinct keys per flag bit.
type counts struct {
	total  int64
	byFlag [8]int64
}

func (c *counts) addEntry(f uint8) {
	c.total++
	for b := 0; b < 8; b++ {
		if f&(1<<b) != 0 {
			c.byFlag[b]++
		}
	}
}

// result counts everything added. The counter must not be used afterwards
// except for close.
func (d *distinctCounter) result() (counts, error) {
	var c counts
	d.compact()
	if len(d.runs) == 0 {
		d.each(func(_ uint64, f uint8) error {
			c.addEntry(f)
			return nil
		})
		return c, nil
	}
	if d.n > 0 {
		if err := d.spill(); err != nil {
			return c, err
		}
	}
	d.buckets, d.free = [numBuckets][]*keyBlock{}, nil
	d.scratch = nil
	// Merge in passes of at most mergeFanIn runs until one pass counts.
	for len(d.runs) > mergeFanIn {
		var next []string
		for i := 0; i < len(d.runs); i += mergeFanIn {
			group := d.runs[i:min(i+mergeFanIn, len(d.runs))]
			var err error
			name, err := d.writeRun(func(w *bufio.Writer) error {
				return mergeRuns(group, func(k uint64, f uint8) error {
					var rec [9]byte
					binary.LittleEndian.PutUint64(rec[:], k)
					rec[8] = f
					_, err := w.Write(rec[:])
					return err
				})
			})
			if err != nil {
				return c, err
			}
			for _, r := range group {
				os.Remove(r)
			}
			next = append(next, name)
		}
		d.runs = next
	}
	err := mergeRuns(d.runs, func(_ uint64, f uint8) error {
		c.addEntry(f)
		return nil
	})
	return c, err
}

// close removes the spilled runs.
func (d *distinctCounter) close() {
	for _, r := range d.runs {
		os.Remove(r)
	}
	d.runs = nil
}

// runReader reads one sorted run.
type runReader struct {
	f    *os.File
	r    *bufio.Reader
	key  uint64
	flag uint8
}

func (r *runReader) next() (bool, error) {
	var rec [9]byte
	if _, err := io.ReadFull(r.r, rec[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("classify: read distinct-count run: %w", err)
	}
	r.key = binary.LittleEndian.Uint64(rec[:])
	r.flag = rec[8]
	return true, nil
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return h[i].key < h[j].key }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeRuns merges sorted runs and calls emit once per distinct key with
// the OR of its flags, in key order.
func mergeRuns(names []string, emit func(uint64, uint8) error) error {
	h := make(runHeap, 0, len(names))
	defer func() {
		for _, r := range h {
			r.f.Close()
		}
	}()
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return fmt.Errorf("classify: open distinct-count run: %w", err)
		}
		r := &runReader{f: f, r: bufio.NewReaderSize(f, 32<<10)}
		ok, err := r.next()
		if err != nil || !ok {
			f.Close()
			if err != nil {
				return err
			}
			continue
		}
		h = append(h, r)
	}
	heap.Init(&h)
	var cur uint64
	var curFlag uint8
	have := false
	for h.Len() > 0 {
		r := h[0]
		if have && r.key == cur {
			curFlag |= r.flag
		} else {
			if have {
				if err := emit(cur, curFlag); err != nil {
					return err
				}
			}
			cur, curFlag, have = r.key, r.flag, true
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			r.f.Close()
			heap.Pop(&h)
		}
	}
	if have {
		return emit(cur, curFlag)
	}
	return nil
}

// radixSort sorts keys ascending, carrying flags along (LSD, 8 bits a pass,
// skipping passes where every key has the same byte).
func radixSort(keys []uint64, flags []uint8) {
	if len(keys) < 64 {
		radixSortScratch(keys, flags, nil, nil)
		return
	}
	radixSortScratch(keys, flags, make([]uint64, len(keys)), make([]uint8, len(keys)))
}

// radixSortScratch is radixSort with scratch space of len(keys) entries
// (unused, and may be nil, below 64 keys).
func radixSortScratch(keys []uint64, flags []uint8, tk []uint64, tf []uint8) {
	n := len(keys)
	if n < 64 {
		for i := 1; i < n; i++ {
			for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
				flags[j], flags[j-1] = flags[j-1], flags[j]
			}
		}
		return
	}
	src, dst := keys, tk[:n]
	srcF, dstF := flags, tf[:n]
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, k := range src {
			count[byte(k>>shift)]++
		}
		if count[byte(src[0]>>shift)] == n {
			continue
		}
		pos := 0
		for i := range count {
			c := count[i]
			count[i] = pos
			pos += c
		}
		for i, k := range src {
			b := byte(k >> shift)
			p := count[b]
			dst[p] = k
			dstF[p] = srcF[i]
			count[b] = p + 1
		}
		src, dst = dst, src
		srcF, dstF = dstF, srcF
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
		copy(flags, srcF)
	}
}
