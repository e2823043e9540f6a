package tabular

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// XLSX workbooks are read with archive/zip and encoding/xml: the workbook
// and its relationships name the sheets, the shared strings are loaded
// (at most maxSharedStrings bytes), and a sheet's XML is streamed row by
// row. Cells are placed by their reference ("C7"); missing cells are "".
// Values are shown as written in the file: numbers as stored, dates as
// their serial number (formats are not applied), booleans as TRUE/FALSE,
// formulas as their cached value.

const xlsxHint = "the workbook may be damaged; open and re-save it in a spreadsheet program, or export the sheet as CSV"

type xlsxSheet struct{ name, path string }

type xlsxRel struct{ target, typ string }

func xlsxOpen(p string) (*zip.ReadCloser, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, &Error{Path: p, Msg: "cannot open XLSX workbook (unreadable zip archive)", Hint: xlsxHint, Err: err}
	}
	return zr, nil
}

func zipFile(zr *zip.ReadCloser, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	// Some writers differ in case.
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// xlsxWorkbook lists the sheets in workbook order with their part paths, and
// the shared strings part.
func xlsxWorkbook(p string, zr *zip.ReadCloser) ([]xlsxSheet, string, error) {
	rels := map[string]xlsxRel{}
	sharedPath := "xl/sharedStrings.xml"
	if f := zipFile(zr, "xl/_rels/workbook.xml.rels"); f != nil {
		err := xmlWalk(f, func(d *xml.Decoder, t xml.StartElement) error {
			if t.Name.Local == "Relationship" {
				var id, target, typ string
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "Id":
						id = a.Value
					case "Target":
						target = a.Value
					case "Type":
						typ = a.Value
					}
				}
				if strings.HasPrefix(target, "/") {
					target = strings.TrimPrefix(target, "/")
				} else {
					target = path.Join("xl", target)
				}
				rels[id] = xlsxRel{target, typ}
				if strings.HasSuffix(typ, "/sharedStrings") {
					sharedPath = target
				}
			}
			return nil
		})
		if err != nil {
			return nil, "", &Error{Path: p, Msg: "cannot read the workbook relationships", Hint: xlsxHint, Err: err}
		}
	}
	f := zipFile(zr, "xl/workbook.xml")
	if f == nil {
		return nil, "", &Error{Path: p, Msg: "not an XLSX workbook (no xl/workbook.xml)", Hint: xlsxHint}
	}
	var sheets []xlsxSheet
	err := xmlWalk(f, func(d *xml.Decoder, t xml.StartElement) error {
		if t.Name.Local != "sheet" {
			return nil
		}
		var s xlsxSheet
		var rid, sheetID string
		for _, a := range t.Attr {
			switch {
			case a.Name.Local == "name":
				s.name = a.Value
			case a.Name.Local == "id" && a.Name.Space != "":
				rid = a.Value
			case a.Name.Local == "sheetId":
				sheetID = a.Value
			}
		}
		if rel, ok := rels[rid]; ok {
			s.path = rel.target
		} else {
			s.path = "xl/worksheets/sheet" + sheetID + ".xml"
		}
		sheets = append(sheets, s)
		return nil
	})
	if err != nil {
		return nil, "", &Error{Path: p, Msg: "cannot read xl/workbook.xml", Hint: xlsxHint, Err: err}
	}
	return sheets, sharedPath, nil
}

// xmlWalk calls fn for every start element of a zip part.
func xmlWalk(f *zip.File, fn func(*xml.Decoder, xml.StartElement) error) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if t, ok := tok.(xml.StartElement); ok {
			if err := fn(d, t); err != nil {
				return err
			}
		}
	}
}

func xlsxSheetNames(p string) ([]string, error) {
	zr, err := xlsxOpen(p)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	sheets, _, err := xlsxWorkbook(p, zr)
	if err != nil {
		return nil, err
	}
	if len(sheets) == 0 {
		return nil, &Error{Path: p, Msg: "workbook has no sheets", Hint: xlsxHint}
	}
	names := make([]string, len(sheets))
	for i, s := range sheets {
		names[i] = s.name
	}
	return names, nil
}

// readSharedStrings loads the shared string table, at most limit bytes.
func readSharedStrings(f *zip.File, limit int) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var out []string
	var cur strings.Builder
	total := 0
	inSI, inT, inRPh := false, false, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				inRPh++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				total += cur.Len() + 16
				if total > limit {
					return nil, errSharedTooBig
				}
				out = append(out, cur.String())
			case "t":
				inT = false
			case "rPh":
				inRPh--
			}
		case xml.CharData:
			if inSI && inT && inRPh == 0 {
				if total+cur.Len()+len(t) > limit {
					return nil, errSharedTooBig
				}
				cur.Write(t)
			}
		}
	}
}

var errSharedTooBig = errors.New("shared strings exceed the memory limit")

// xmlError keeps the position of an XML syntax error but not its text, which
// may quote cell content.
func xmlError(msg string, err error) (string, error) {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: malformed XML (XML line %d)", msg, se.Line), nil
	}
	return msg, err
}

type xlsxReader struct {
	t      Table
	opts   Options
	zr     *zip.ReadCloser
	rc     io.ReadCloser
	cnt    *countingReader
	usize  int64
	d      *xml.Decoder
	shared []string
	cols   []string
	width  int
	dimW   int
	// pending is a data row read while looking for the header.
	err  error
	line int64
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func openXLSX(ctx context.Context, t Table, opts Options) (Reader, error) {
	zr, err := xlsxOpen(t.Path)
	if err != nil {
		return nil, err
	}
	r := &xlsxReader{t: t, opts: opts, zr: zr}
	if err := r.init(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *xlsxReader) errorf(line int64, format string, args ...any) *Error {
	return &Error{Path: r.t.Path, Table: r.t.Name, Line: line, Msg: fmt.Sprintf(format, args...), Hint: xlsxHint}
}

func (r *xlsxReader) init() error {
	sheets, sharedPath, err := xlsxWorkbook(r.t.Path, r.zr)
	if err != nil {
		return err
	}
	var sheetPath string
	for _, s := range sheets {
		if s.name == r.t.Name {
			sheetPath = s.path
			break
		}
	}
	if sheetPath == "" {
		return &Error{Path: r.t.Path, Table: r.t.Name, Msg: "no such sheet", Hint: "use a Table returned by Discover"}
	}
	if f := zipFile(r.zr, sharedPath); f != nil {
		r.shared, err = readSharedStrings(f, maxSharedStrings)
		if errors.Is(err, errSharedTooBig) {
			return &Error{Path: r.t.Path, Table: r.t.Name, Msg: fmt.Sprintf("shared strings exceed %d MiB", maxSharedStrings>>20), Hint: "export the sheet as CSV and assess that"}
		}
		if err != nil {
			msg, err := xmlError("cannot read the shared strings", err)
			return &Error{Path: r.t.Path, Table: r.t.Name, Msg: msg, Hint: xlsxHint, Err: err}
		}
	}
	f := zipFile(r.zr, sheetPath)
	if f == nil {
		return r.errorf(0, "sheet part %s is missing", sheetPath)
	}
	r.rc, err = f.Open()
	if err != nil {
		return &Error{Path: r.t.Path, Table: r.t.Name, Msg: "cannot open the sheet", Hint: xlsxHint, Err: err}
	}
	r.usize = int64(f.UncompressedSize64)
	r.cnt = &countingReader{r: r.rc}
	r.d = xml.NewDecoder(r.cnt)
	hdr, line, err := r.readRow(true)
	if err == io.EOF {
		return nil // an empty sheet: no columns, no rows
	}
	if err != nil {
		return err
	}
	if len(hdr) > r.opts.MaxColumns {
		return &Error{Path: r.t.Path, Table: r.t.Name, Line: line, Msg: fmt.Sprintf("too many columns: %d (limit %d)", len(hdr), r.opts.MaxColumns), Hint: "raise the column limit"}
	}
	for len(hdr) < r.dimW {
		hdr = append(hdr, "")
	}
	for i := range hdr {
		hdr[i] = strings.TrimSpace(hdr[i])
	}
	r.cols = uniqueNames(hdr)
	r.width = len(hdr)
	return nil
}

// colIndex turns the letters of a cell reference ("BC12") into a 0-based
// column index; -1 when there are none.
func colIndex(ref string) int {
	n := 0
	i := 0
	for ; i < len(ref); i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
		if n > 1<<20 {
			return -2
		}
	}
	if i == 0 {
		return -1
	}
	return n - 1
}

// readRow reads the next <row>. With header set, the row may be as wide as
// it likes (up to MaxColumns); otherwise a cell beyond the header is an
// error.
func (r *xlsxReader) readRow(header bool) ([]string, int64, error) {
	var row []string
	inRow := false
	col := -1
	var ctype string
	var val strings.Builder
	inV, inT, inIS, rph := false, false, false, 0
	hasV := false
	for {
		tok, err := r.d.RawToken()
		if err == io.EOF {
			if inRow {
				return nil, r.line, r.errorf(r.line, "sheet XML ends inside a row")
			}
			return nil, r.line, io.EOF
		}
		if err != nil {
			// The XML error text may quote cell content: keep its position only.
			msg := "malformed sheet XML"
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				msg += fmt.Sprintf(" (XML line %d)", se.Line)
			} else {
				return nil, r.line, &Error{Path: r.t.Path, Table: r.t.Name, Line: r.line, Msg: "cannot read the sheet", Hint: xlsxHint, Err: err}
			}
			return nil, r.line, &Error{Path: r.t.Path, Table: r.t.Name, Line: r.line, Msg: msg, Hint: xlsxHint}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "dimension":
				for _, a := range t.Attr {
					if a.Name.Local == "ref" {
						ref := a.Value
						if i := strings.IndexByte(ref, ':'); i >= 0 {
							ref = ref[i+1:]
						}
						if c := colIndex(ref); c >= 0 && c < r.opts.MaxColumns {
							r.dimW = c + 1
						}
					}
				}
			case "row":
				inRow = true
				row = nil
				col = -1
				num := r.line + 1
				for _, a := range t.Attr {
					if a.Name.Local == "r" {
						if n, err := strconv.ParseInt(a.Value, 10, 64); err == nil && n > r.line {
							num = n
						}
					}
				}
				r.line = num
			case "c":
				if !inRow {
					continue
				}
				ctype = ""
				next := col + 1
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "r":
						if c := colIndex(a.Value); c >= 0 {
							next = c
						} else if c == -2 {
							return nil, r.line, r.errorf(r.line, "cell reference out of range")
						}
					case "t":
						ctype = a.Value
					}
				}
				col = next
				val.Reset()
				hasV = false
			case "v":
				inV = true
				hasV = true
			case "is":
				inIS = true
				hasV = true
			case "t":
				inT = true
			case "rPh":
				rph++
			}
		case xml.CharData:
			if inV || (inIS && inT && rph == 0) {
				if val.Len()+len(t) > r.opts.MaxLineBytes {
					return nil, r.line, &Error{Path: r.t.Path, Table: r.t.Name, Line: r.line, Msg: fmt.Sprintf("cell too long: more than %d bytes", r.opts.MaxLineBytes), Hint: "shorten the cell or raise the line limit"}
				}
				val.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "is":
				inIS = false
			case "t":
				inT = false
			case "rPh":
				rph--
			case "c":
				if !inRow || !hasV {
					continue
				}
				v := val.String()
				switch ctype {
				case "s":
					i, err := strconv.Atoi(strings.TrimSpace(v))
					if err != nil || i < 0 || i >= len(r.shared) {
						return nil, r.line, &Error{Path: r.t.Path, Table: r.t.Name, Line: r.line, Column: r.colName(col), Msg: "shared string index out of range", Hint: xlsxHint}
					}
					v = r.shared[i]
				case "b":
					switch strings.TrimSpace(v) {
					case "1":
						v = "TRUE"
					case "0":
						v = "FALSE"
					}
				}
				limit := r.width
				if header {
					limit = r.opts.MaxColumns
				}
				if col >= limit {
					if header {
						return nil, r.line, &Error{Path: r.t.Path, Table: r.t.Name, Line: r.line, Msg: fmt.Sprintf("too many columns: more than %d", limit), Hint: "raise the column limit"}
					}
					return nil, r.line, &Error{Path: r.t.Path, Table: r.t.Name, Line: r.line, Msg: fmt.Sprintf("cell in column %d, right of the last header column (%d)", col+1, r.width), Hint: "give every column with data a header in the first row"}
				}
				if col >= len(row) {
					if header {
						row = append(row, make([]string, col+1-len(row))...)
					} else {
						row = make([]string, r.width)
					}
				}
				row[col] = v
			case "row":
				if !inRow {
					continue
				}
				if !header && row == nil {
					row = make([]string, r.width)
				}
				return row, r.line, nil
			}
		}
	}
}

func (r *xlsxReader) colName(c int) string {
	if c >= 0 && c < len(r.cols) {
		return r.cols[c]
	}
	return ""
}

func (r *xlsxReader) Columns() []string { return r.cols }

func (r *xlsxReader) BytesRead() int64 {
	if r.cnt == nil || r.usize == 0 {
		return 0
	}
	return int64(float64(r.t.Size) * float64(r.cnt.n) / float64(r.usize))
}

func (r *xlsxReader) Next(ctx context.Context) (*Batch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.d == nil || r.cols == nil {
		r.err = io.EOF
		return nil, io.EOF
	}
	var b *Batch
	for b == nil || len(b.Rows) < r.opts.BatchRows {
		if b != nil && len(b.Rows)%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		} else if b == nil {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		row, line, err := r.readRow(false)
		if err != nil {
			r.err = err
			break
		}
		if b == nil {
			b = &Batch{FirstLine: line}
		}
		b.Rows = append(b.Rows, row)
		b.Lines = append(b.Lines, line)
	}
	if b == nil {
		return nil, r.err
	}
	return b, nil
}

func (r *xlsxReader) Close() error {
	if r.rc != nil {
		r.rc.Close()
	}
	return r.zr.Close()
}
