package classify

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// distinctCounter counts distinct 64-bit keys exactly, OR-ing the flags of
// equal keys, within a memory budget. Keys are appended to a buffer (a
// sequential write, cheaper than probing a hash table); a full buffer is
// sorted (LSD radix) and de-duplicated in place, and when that still leaves
// it more than half full it is written to a temporary file as a sorted run
// and emptied. result merges the runs (k-way, with a heap) and counts.
//
// An entry costs 9 bytes plus 9 bytes of sort scratch, so the buffer holds
// budget/18 entries.
type distinctCounter struct {
	keys  []uint64
	flags []uint8
	limit int // entries
	dir   string
	runs  []string
}

const entryBytes = 18

// mergeFanIn bounds the runs merged at once (open files and read buffers).
const mergeFanIn = 64

func newDistinctCounter(budget int64, dir string) *distinctCounter {
	limit := int(budget / entryBytes)
	if limit < 16 {
		limit = 16
	}
	return &distinctCounter{limit: limit, dir: dir}
}

// add records key k with flags f.
func (d *distinctCounter) add(k uint64, f uint8) error {
	if len(d.keys) == cap(d.keys) {
		if err := d.grow(); err != nil {
			return err
		}
	}
	d.keys = append(d.keys, k)
	d.flags = append(d.flags, f)
	return nil
}

func (d *distinctCounter) grow() error {
	if len(d.keys) < d.limit {
		c := 2 * cap(d.keys)
		if c < 1024 {
			c = 1024
		}
		if c > d.limit {
			c = d.limit
		}
		k := make([]uint64, len(d.keys), c)
		copy(k, d.keys)
		f := make([]uint8, len(d.flags), c)
		copy(f, d.flags)
		d.keys, d.flags = k, f
		return nil
	}
	d.compact()
	if len(d.keys) > d.limit/2 {
		return d.spill()
	}
	return nil
}

// compact sorts the buffer and merges equal keys.
func (d *distinctCounter) compact() {
	radixSort(d.keys, d.flags)
	n := 0
	for i := 0; i < len(d.keys); i++ {
		if n > 0 && d.keys[n-1] == d.keys[i] {
			d.flags[n-1] |= d.flags[i]
			continue
		}
		d.keys[n], d.flags[n] = d.keys[i], d.flags[i]
		n++
	}
	d.keys, d.flags = d.keys[:n], d.flags[:n]
}

func (d *distinctCounter) spill() error {
	name, err := d.writeRun(func(w *bufio.Writer) error {
		var rec [9]byte
		for i, k := range d.keys {
			binary.LittleEndian.PutUint64(rec[:], k)
			rec[8] = d.flags[i]
			if _, err := w.Write(rec[:]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.runs = append(d.runs, name)
	d.keys, d.flags = d.keys[:0], d.flags[:0]
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
		for _, f := range d.flags {
			c.addEntry(f)
		}
		return c, nil
	}
	if len(d.keys) > 0 {
		if err := d.spill(); err != nil {
			return c, err
		}
	}
	d.keys, d.flags = nil, nil
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
	tk := make([]uint64, n)
	tf := make([]uint8, n)
	src, dst := keys, tk
	srcF, dstF := flags, tf
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
