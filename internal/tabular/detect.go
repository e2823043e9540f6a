package tabular

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

const sniffBytes = 64 << 10

var (
	magicSQLite  = []byte("SQLite format 3\x00")
	magicZip     = []byte("PK\x03\x04")
	magicParquet = []byte("PAR1")
	magicOLE2    = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicGzip    = []byte{0x1F, 0x8B}
	magicZstd    = []byte{0x28, 0xB5, 0x2F, 0xFD}
	magicBzip2   = []byte("BZh")
	magic7z      = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}
	magicPDF     = []byte("%PDF-")
)

// Discover detects the format of the file at path, from its extension and
// its first bytes, and lists its tables: one for a text or Parquet file, one
// per sheet of an XLSX workbook, one per user table of a SQLite database.
func Discover(ctx context.Context, path string, opts Options) ([]Table, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Path: path, Msg: "cannot read file", Hint: "check that the path exists and is readable", Err: err}
	}
	if st.IsDir() {
		return nil, &Error{Path: path, Msg: "is a directory, not a table", Hint: "pass the data files inside it"}
	}
	if st.Size() == 0 {
		return nil, &Error{Path: path, Msg: "empty file", Hint: "there is nothing to assess; remove the file from the export or re-export it"}
	}
	head, err := readHead(path, sniffBytes)
	if err != nil {
		return nil, err
	}
	format, err := detectFormat(path, head)
	if err != nil {
		return nil, err
	}
	t := Table{Path: path, Format: format, Size: st.Size()}
	switch format {
	case XLSX:
		sheets, err := xlsxSheetNames(path)
		if err != nil {
			return nil, err
		}
		tables := make([]Table, 0, len(sheets))
		for _, s := range sheets {
			t.Name = s
			tables = append(tables, t)
		}
		return tables, nil
	case SQLite:
		names, err := sqliteTableNames(ctx, path)
		if err != nil {
			return nil, err
		}
		tables := make([]Table, 0, len(names))
		for _, n := range names {
			t.Name = n
			tables = append(tables, t)
		}
		return tables, nil
	}
	return []Table{t}, nil
}

// Open starts reading a table found by Discover. The caller must Close the
// reader.
func Open(ctx context.Context, t Table, opts Options) (Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	switch t.Format {
	case CSV, TSV:
		return openCSV(ctx, t, opts)
	case JSON:
		return openJSON(ctx, t, opts)
	case JSONL:
		return openJSONL(ctx, t, opts)
	case XLSX:
		return openXLSX(ctx, t, opts)
	case Parquet:
		return openParquet(ctx, t, opts)
	case SQLite:
		return openSQLite(ctx, t, opts)
	}
	return nil, &Error{Path: t.Path, Table: t.Name, Msg: fmt.Sprintf("unknown format %q", string(t.Format)), Hint: "use a Table returned by Discover"}
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Msg: "cannot open file", Hint: "check that the file is readable", Err: err}
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, &Error{Path: path, Msg: "cannot read file", Hint: "check that the file is readable", Err: err}
	}
	return buf[:k], nil
}

func detectFormat(path string, head []byte) (Format, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case bytes.HasPrefix(head, magicSQLite):
		return SQLite, nil
	case bytes.HasPrefix(head, magicParquet):
		return Parquet, nil
	case bytes.HasPrefix(head, magicZip):
		if !zipHasWorkbook(path) {
			return "", &Error{Path: path, Msg: "zip archive that is not an XLSX workbook", Hint: "extract the archive and assess the files inside it"}
		}
		return XLSX, nil
	case bytes.HasPrefix(head, magicOLE2):
		return "", &Error{Path: path, Msg: "legacy Office file (.xls/.doc), not supported", Hint: "save it as .xlsx or CSV and assess that"}
	case bytes.HasPrefix(head, magicGzip), bytes.HasPrefix(head, magicZstd), bytes.HasPrefix(head, magicBzip2) && ext != ".csv" && ext != ".txt", bytes.HasPrefix(head, magic7z):
		return "", &Error{Path: path, Msg: "compressed file, not a table", Hint: "decompress it and assess the files inside"}
	case bytes.HasPrefix(head, magicPDF):
		return "", &Error{Path: path, Msg: "binary file, not a table (PDF)", Hint: "export the data as CSV, XLSX, JSON, Parquet or SQLite"}
	}
	switch ext {
	case ".xlsx", ".xlsm":
		return "", &Error{Path: path, Msg: "not a valid XLSX workbook (no zip signature)", Hint: "open and re-save it in a spreadsheet program, or export it as CSV"}
	case ".parquet", ".parq":
		return "", &Error{Path: path, Msg: "not a valid Parquet file (no PAR1 signature)", Hint: "re-export the file; it may be truncated"}
	case ".sqlite", ".sqlite3", ".db", ".db3":
		return "", &Error{Path: path, Msg: "not a SQLite database (no SQLite signature)", Hint: "only SQLite 3 databases are supported; export other databases as CSV"}
	}
	if isBinary(head) {
		return "", &Error{Path: path, Msg: "binary file, not a table", Hint: "export the data as CSV, TSV, JSON, JSONL, XLSX, Parquet or SQLite; UTF-16 text without a byte order mark must be converted to UTF-8"}
	}
	switch ext {
	case ".csv", ".txt":
		return CSV, nil
	case ".tsv", ".tab":
		return TSV, nil
	case ".json":
		return JSON, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	}
	// Unknown extension: guess from the first non-blank byte.
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		return JSON, nil
	}
	return CSV, nil
}

// isBinary says whether a file head looks like binary data: NUL bytes
// (outside UTF-16 text) or many control bytes.
func isBinary(head []byte) bool {
	if hasUTF16BOM(head) {
		return false
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1A {
			ctl++
		}
	}
	return ctl > len(head)/100+1
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// gb18030BOM is U+FEFF encoded in GB18030.
var gb18030BOM = []byte{0x84, 0x31, 0x95, 0x33}

func hasUTF16BOM(b []byte) bool {
	return len(b) >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))
}

func zipHasWorkbook(path string) bool {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return true // let the XLSX reader report the damage
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "xl/workbook.xml" {
			return true
		}
	}
	return false
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing an incomplete
// rune at the very end (b may be a cut sample).
func validUTF8Prefix(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	for cut := 1; cut <= 3 && cut <= len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) && !utf8.FullRune(b[len(b)-cut:]) {
			return true
		}
	}
	return false
}
