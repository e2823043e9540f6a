// Package tabular reads the files a data exporter wants to send abroad as
// streams of rows: CSV and TSV (UTF-8 with or without BOM, GB18030/GBK
// detected), JSON and JSONL, XLSX, Parquet and SQLite tables.
//
// Every reader streams: memory stays bounded whatever the size of the file.
// Rows come in batches, in source order, each with the line (or record
// number) of its first row so that errors and findings can name the place.
//
// # Use
//
// Discover detects the format of a file (extension and content sniffing)
// and lists its tables; Open returns a Reader for one of them; Next returns
// batches until io.EOF; Close releases the file and any goroutines (always
// call it). Malformed input is reported as an *Error naming the file, the
// table, the line and what to do (Hint); error messages never contain data
// values, only positions and column names. Readers that have non-fatal
// remarks implement Warner; the package never logs. Readers that can reuse
// the memory of batches implement Releaser: a caller done with a batch
// (and with its row slices; values may be kept) hands it back with Release.
//
// # Formats
//
//   - CSV (.csv, .txt, unknown text) and TSV (.tsv, .tab): RFC 4180 quoting
//     including quoted newlines (Batch.Lines then gives each row's first
//     physical line), CRLF or LF line ends, blank lines skipped. The
//     delimiter of a .csv/.txt file is sniffed from the header line
//     (comma, semicolon, tab or pipe, outside quotes; comma on a tie). The
//     first record is the header; empty or repeated names are made unique
//     ("col_3", "name_2"). A row with another number of fields than the
//     header, a quote inside an unquoted field, a character after a closing
//     quote and an unterminated quote are errors (quoting is strict; there
//     is no lazy-quotes mode). Encoding: a UTF-8 BOM is skipped, a UTF-16
//     BOM makes the file decoded as UTF-16; otherwise the first 64 KiB
//     decide between UTF-8 and GB18030 (which covers GBK and GB2312), or
//     Options.Encoding forces one. Text that does not decode later in the
//     file is an error naming its line.
//   - JSON (.json): a top-level array of objects, streamed element by
//     element with encoding/json's Token API (the file is never loaded
//     whole); a file of objects one after another is accepted too.
//     Batch.Lines holds the line where each object starts.
//   - JSONL (.jsonl, .ndjson): one object per line; blank lines skipped;
//     lines are exact.
//   - For both JSON forms the columns are the keys of the first 1000
//     records in order of first appearance, nested objects flattened with
//     "." ("addr.city"); keys first seen later are not columns: Warnings()
//     names each once. Arrays keep their compact JSON text, strings their
//     value, null is "", numbers and booleans their JSON text (a number with
//     an exponent is written without it when exact, 1.5e3 → 1500).
//   - XLSX (.xlsx): one table per sheet, read with archive/zip and
//     encoding/xml (the sheet XML is streamed). Shared strings are loaded in
//     memory, at most 256 MiB. Cells are placed by their reference;
//     missing cells are "". The first row is the header; a data cell right
//     of the last header column (or of the sheet's dimension) is an error.
//     Values are shown as stored: numbers as written, dates as their serial
//     number (number formats are not applied), booleans TRUE/FALSE,
//     formulas their cached value. Line is the spreadsheet row number.
//   - Parquet (.parquet): read row group by row group with parquet-go;
//     columns are the leaf paths joined with "."; repeated leaves are shown
//     as "[a,b]"; non-UTF-8 byte arrays as "<binary N bytes>"; logical types
//     (dates, timestamps, decimals) are shown as their stored integers.
//     Line is the 1-based row number.
//   - SQLite (.sqlite, .sqlite3, .db, or by content): one table per user
//     table (sqlite_* skipped), opened read-only and immutable, so that an
//     assessment never writes the file or creates journal files. BLOBs are
//     shown as "<blob N bytes>", NULL as "". Line counts rows in scan
//     (rowid) order.
//   - Empty files, binary files (NUL or many control bytes), compressed
//     files, legacy .xls and PDF are reported as *Error with a hint.
//
// # Limits and memory
//
// Options.MaxLineBytes (16 MiB) bounds a CSV record, a JSONL line, a JSON
// array element and an XLSX cell; Options.MaxColumns (4096) bounds the
// columns. The CSV reader reads 1 MiB blocks in one goroutine, cuts them at
// record boundaries (a newline outside quotes, by quote parity) and parses
// them on Options.Workers goroutines; at most 2*Workers+2 blocks are in
// flight, so it holds about (2*Workers+4) MiB besides the batches the
// caller keeps (more only for records longer than a block), and up to
// 2*Workers+4 released batches waiting to be refilled. Values of a
// CSV batch are substrings of the block's text: keeping one value keeps
// its 1 MiB block alive (use strings.Clone to keep values for long). JSON
// holds the 1000-record column sample; XLSX holds the shared strings;
// Parquet holds one page per column.
package tabular

import (
	"context"
	"fmt"
)

// Format names an input format.
type Format string

const (
	CSV     Format = "csv"
	TSV     Format = "tsv"
	JSON    Format = "json"
	JSONL   Format = "jsonl"
	XLSX    Format = "xlsx"
	Parquet Format = "parquet"
	SQLite  Format = "sqlite"
)

// Table is one table inside a file: the file itself for CSV, TSV, JSON, JSONL
// and Parquet; a sheet of a workbook; a table of a SQLite database.
type Table struct {
	Path   string `json:"path"`
	Name   string `json:"name,omitempty"` // sheet or table name; empty for one-table formats
	Format Format `json:"format"`
	Size   int64  `json:"size"` // bytes of the file, for progress
}

// String names the table for messages: "path" or "path#name".
func (t Table) String() string {
	if t.Name == "" {
		return t.Path
	}
	return t.Path + "#" + t.Name
}

// Batch is a run of consecutive rows.
type Batch struct {
	// FirstLine is the 1-based line of Rows[0] in a text file, or its 1-based
	// row/record number in XLSX, Parquet and SQLite.
	FirstLine int64
	// Lines, when not nil, holds the line of every row (CSV rows with quoted
	// newlines span several lines). When nil, row i is at FirstLine+i.
	Lines []int64
	// Rows hold one string per column, in the order of Reader.Columns. A value
	// the source lacks (a JSON key absent from one object) is "".
	Rows [][]string

	// backing is the array the rows of a CSV batch are slices of, kept so
	// that a released batch can be refilled (Releaser); its length is the
	// number of values written in it.
	backing []string
}

// Releaser is implemented by readers that can reuse the memory of batches
// the caller is done with (the CSV and TSV reader). After Release(b) the
// caller must not use b, b.Rows, b.Lines or any row slice b.Rows[i] again:
// the reader refills them with later rows. The values themselves are
// strings and stay valid. Release a batch at most once. Releasing is optional: a batch never released is
// left to the garbage collector. Release may be called from any goroutine,
// also after Close.
type Releaser interface {
	Release(b *Batch)
}

// Line returns the line or record number of row i.
func (b *Batch) Line(i int) int64 {
	if b.Lines != nil {
		return b.Lines[i]
	}
	return b.FirstLine + int64(i)
}

// Reader streams the rows of one table.
type Reader interface {
	// Columns are the column names: the CSV header, the union of JSON keys
	// seen in the first records (nested objects flattened with "."), …
	Columns() []string
	// Next returns the next batch, or io.EOF after the last one. A malformed
	// input returns an *Error naming the place.
	Next(ctx context.Context) (*Batch, error)
	// BytesRead is how far into the file the reader is, for progress.
	BytesRead() int64
	Close() error
}

// Error is a malformed or unreadable input. Its message names the file, the
// table, the line and the column where they are known, and Hint says what to
// do about it.
type Error struct {
	Path   string
	Table  string
	Line   int64  // 0 when unknown
	Column string // "" when unknown
	Msg    string
	Hint   string
	Err    error
}

func (e *Error) Error() string {
	where := e.Path
	if e.Table != "" {
		where += "#" + e.Table
	}
	if e.Line > 0 {
		where += fmt.Sprintf(":%d", e.Line)
	}
	if e.Column != "" {
		where += fmt.Sprintf(" (column %q)", e.Column)
	}
	msg := where + ": " + e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }
