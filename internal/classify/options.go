package classify

import (
	"runtime"
	"time"

	"github.com/xborder/xborder/internal/tabular"
)

// Options tune Run and ClassifyValues. The zero value is ready to use.
type Options struct {
	// RefDate is the day ages and birth dates are judged on (birth dates
	// after it are invalid; minors are under 14 on it). Zero: today (UTC).
	RefDate time.Time
	// IdentityKey names a column that identifies individuals in every table
	// (Run fails when a table lacks it). Empty: the strongest identifier
	// found (doc.go, "Counting individuals").
	IdentityKey string
	// SampleSize is the number of non-empty values per column that choose
	// its class (default 1000).
	SampleSize int
	// Workers validating batches in parallel (default GOMAXPROCS).
	Workers int
	// MemoryBudget bounds the memory of the distinct-individual sets, in
	// bytes (default 512 MiB); beyond it sorted runs spill to TempDir.
	MemoryBudget int64
	// TempDir holds spilled runs (default os.TempDir()). Runs hold keyed
	// hashes only, never identifiers, and are removed when Run returns.
	TempDir string
	// Progress, when set, is called with the bytes read so far and the
	// total, at most about ten times a second, from Run's goroutine.
	Progress func(done, total int64)
	// Tabular tunes the readers.
	Tabular tabular.Options
}

const (
	defaultSampleSize   = 1000
	defaultMemoryBudget = 512 << 20
)

func (o Options) withDefaults() Options {
	if o.SampleSize <= 0 {
		o.SampleSize = defaultSampleSize
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MemoryBudget <= 0 {
		o.MemoryBudget = defaultMemoryBudget
	}
	if o.RefDate.IsZero() {
		o.RefDate = time.Now().UTC()
	}
	return o
}

// refDateInt is t's calendar day as yyyymmdd.
func refDateInt(t time.Time) int {
	y, m, d := t.Date()
	return dateInt(y, int(m), d)
}
