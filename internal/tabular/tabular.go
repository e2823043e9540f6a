// Package tabular reads the files a data exporter wants to send abroad as
// streams of rows: CSV and TSV (UTF-8 with or without BOM, GB18030/GBK
// detected), JSON and JSONL, XLSX, Parquet and SQLite tables.
//
// Every reader streams: memory stays bounded whatever the size of the file.
// Rows come in batches, in source order, each with the line (or record
// number) of its first row so that errors and findings can name the place.
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
