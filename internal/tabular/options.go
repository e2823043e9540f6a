package tabular

import (
	"runtime"
	"strconv"
)

// Options tune the readers. The zero value is ready to use.
type Options struct {
	// BatchRows is the most rows in one Batch (default 4096).
	BatchRows int
	// MaxLineBytes bounds one line or record: a CSV record, a JSONL line, a
	// JSON array element, an XLSX cell (default 16 MiB). A longer one is an
	// *Error "line too long".
	MaxLineBytes int
	// Encoding of CSV and TSV files: "" detects UTF-8 (with or without BOM),
	// UTF-16 with a BOM, and GB18030 (a superset of GBK and GB2312);
	// "utf-8" and "gb18030" (also "gbk") force one.
	Encoding string
	// Workers is the CSV parse parallelism (default runtime.GOMAXPROCS(0)).
	Workers int
	// MaxColumns bounds the number of columns (default 4096).
	MaxColumns int

	// blockSize overrides the CSV read block size (tests use tiny blocks
	// to exercise chunk boundaries).
	blockSize int
}

const (
	defaultBatchRows    = 4096
	defaultMaxLineBytes = 16 << 20
	defaultMaxColumns   = 4096
	jsonSampleRecords   = 1000
	maxSharedStrings    = 256 << 20
	maxWarnings         = 100
)

func (o Options) withDefaults() Options {
	if o.BatchRows <= 0 {
		o.BatchRows = defaultBatchRows
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = defaultMaxLineBytes
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.blockSize <= 0 {
		o.blockSize = csvBlockSize
	}
	if o.MaxColumns <= 0 {
		o.MaxColumns = defaultMaxColumns
	}
	return o
}

// Warner is implemented by readers that can report non-fatal oddities of
// the input (JSON keys first seen after the column sample, for instance).
// The library never logs: callers decide what to do with warnings.
type Warner interface {
	Warnings() []string
}

// uniqueNames makes column names non-empty and unique: an empty name at
// position i (0-based) becomes "col_<i+1>", a repeated one "name_2",
// "name_3", …
func uniqueNames(names []string) []string {
	out := make([]string, len(names))
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if n == "" {
			n = "col_" + strconv.Itoa(i+1)
		}
		base := n
		for k := 2; seen[n]; k++ {
			n = base + "_" + strconv.Itoa(k)
		}
		seen[n] = true
		out[i] = n
	}
	return out
}
