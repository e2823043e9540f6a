package tabular

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// buildXLSX writes a workbook with the given parts (sheets by name →
// sheet XML body), a shared string table, and the workbook plumbing.
func buildXLSX(t *testing.T, shared []string, sheets [][2]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`)
	wb := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`
	rels := `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	for i, s := range sheets {
		id := string(rune('1' + i))
		wb += `<sheet name="` + s[0] + `" sheetId="` + id + `" r:id="rId` + id + `"/>`
		rels += `<Relationship Id="rId` + id + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet` + id + `.xml"/>`
		add("xl/worksheets/sheet"+id+".xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+s[1]+`</sheetData></worksheet>`)
	}
	rels += `<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
	add("xl/workbook.xml", wb+`</sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", rels)
	ss := `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
	for _, s := range shared {
		ss += s
	}
	add("xl/sharedStrings.xml", ss+`</sst>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "book.xlsx", buf.Bytes())
}

func TestXLSX(t *testing.T) {
	shared := []string{
		`<si><t>id</t></si>`,
		`<si><t>name</t></si>`,
		`<si><r><t>Zhang </t></r><r><t>San</t></r><rPh><t>ignored</t></rPh></si>`,
		`<si><t xml:space="preserve"> Li &amp; Si </t></si>`,
	}
	sheet1 := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>city</t></is></c><c r="E1" t="str"><v>born</v></c></row>
<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>2</v></c><c r="E2"><v>45000</v></c></row>
<row r="4"><c r="A4"><v>2.5</v></c><c r="B4" t="s"><v>3</v></c><c r="C4" t="inlineStr"><is><t>Paris &amp; Co</t></is></c><c r="D4" t="b"><v>1</v></c></row>`
	wide := `<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>3</v></c></row>`
	badIndex := `<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>99</v></c></row>`
	p := buildXLSX(t, shared, [][2]string{{"People", sheet1}, {"Empty", ""}, {"Wide", wide}, {"BadIndex", badIndex}})
	tables, err := Discover(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 4 || tables[0].Name != "People" || tables[1].Name != "Empty" || tables[0].Format != XLSX {
		t.Fatalf("tables = %+v", tables)
	}
	got, err := readTable(t, tables[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"id", "name", "city", "col_4", "born"}; !reflect.DeepEqual(got.cols, want) {
		t.Errorf("columns = %q, want %q", got.cols, want)
	}
	wantRows := [][]string{{"1", "Zhang San", "", "", "45000"}, {"2.5", " Li & Si ", "Paris & Co", "TRUE", ""}}
	if !reflect.DeepEqual(got.rows, wantRows) {
		t.Errorf("rows = %q, want %q", got.rows, wantRows)
	}
	if want := []int64{2, 4}; !reflect.DeepEqual(got.lines, want) {
		t.Errorf("lines = %v, want %v", got.lines, want)
	}
	got, err = readTable(t, tables[1], Options{})
	if err != nil || len(got.rows) != 0 {
		t.Errorf("empty sheet: %v rows, err %v", len(got.rows), err)
	}
	_, err = readTable(t, tables[2], Options{})
	wantError(t, err, "right of the last header column", 2)
	_, err = readTable(t, tables[3], Options{})
	te := wantError(t, err, "shared string index out of range", 2)
	if te.Table != "BadIndex" {
		t.Errorf("error names table %q", te.Table)
	}

	// A damaged archive.
	data, _ := os.ReadFile(p)
	bad := writeTemp(t, "bad.xlsx", data[:len(data)/2])
	_, err = Discover(context.Background(), bad, Options{})
	wantError(t, err, "unreadable zip", 0)
}

func TestColIndex(t *testing.T) {
	for ref, want := range map[string]int{"A1": 0, "Z9": 25, "AA10": 26, "AZ1": 51, "BA1": 52, "XFD1048576": 16383, "12": -1, "": -1} {
		if got := colIndex(ref); got != want {
			t.Errorf("colIndex(%q) = %d, want %d", ref, got, want)
		}
	}
}

type pqAddr struct {
	City string `parquet:"city"`
}

type pqRow struct {
	ID    int64    `parquet:"id"`
	Name  string   `parquet:"name"`
	Score *float64 `parquet:"score,optional"`
	OK    bool     `parquet:"ok"`
	Tags  []string `parquet:"tags"`
	Addr  pqAddr   `parquet:"addr"`
	Raw   []byte   `parquet:"raw"`
}

func TestParquet(t *testing.T) {
	f := 1.25
	rows := []pqRow{
		{ID: 1, Name: "Ann", Score: &f, OK: true, Tags: []string{"a", "b"}, Addr: pqAddr{"Paris"}, Raw: []byte("x")},
		{ID: 2, Name: "张三", Addr: pqAddr{"北京"}, Raw: []byte{0xff, 0x00}},
		{ID: 3, Name: "Bob", Tags: []string{"c"}},
	}
	p := filepath.Join(t.TempDir(), "data.parquet")
	if err := parquet.WriteFile(p, rows, parquet.MaxRowsPerRowGroup(2)); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 2, 100} {
		got, err := readPath(t, p, Options{BatchRows: batch})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"id", "name", "score", "ok", "tags", "addr.city", "raw"}; !reflect.DeepEqual(got.cols, want) {
			t.Errorf("columns = %q, want %q", got.cols, want)
		}
		want := [][]string{
			{"1", "Ann", "1.25", "true", "[a,b]", "Paris", "x"},
			{"2", "张三", "", "false", "", "北京", "<binary 2 bytes>"},
			{"3", "Bob", "", "false", "[c]", "", ""},
		}
		if !reflect.DeepEqual(got.rows, want) {
			t.Errorf("rows = %q, want %q", got.rows, want)
		}
		if want := []int64{1, 2, 3}; !reflect.DeepEqual(got.lines, want) {
			t.Errorf("lines = %v, want %v", got.lines, want)
		}
	}
	// A truncated file.
	data, _ := os.ReadFile(p)
	bad := writeTemp(t, "bad.parquet", data[:len(data)-20])
	_, err := readPath(t, bad, Options{})
	wantError(t, err, "Parquet", 0)
}

func TestSQLite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE "users" (id INTEGER PRIMARY KEY, name TEXT, score REAL, photo BLOB, note TEXT)`,
		`INSERT INTO users VALUES (1, 'Ann', 1.5, x'00010203', NULL), (2, '张三', NULL, NULL, 'hi')`,
		`CREATE TABLE "odd ""name""" (a TEXT, a2 TEXT)`,
		`INSERT INTO "odd ""name""" VALUES ('x', 'y')`,
		`CREATE TABLE empty (a TEXT)`,
		`CREATE INDEX users_name ON users(name)`,
		`PRAGMA journal_mode=WAL`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	before, _ := os.ReadFile(p)
	st0, _ := os.Stat(p)
	entries0, _ := os.ReadDir(dir)

	tables, err := Discover(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Name)
		if tb.Format != SQLite {
			t.Errorf("format %s", tb.Format)
		}
	}
	if want := []string{"empty", `odd "name"`, "users"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("tables = %q, want %q", names, want)
	}
	got, err := readTable(t, tables[2], Options{BatchRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"id", "name", "score", "photo", "note"}; !reflect.DeepEqual(got.cols, want) {
		t.Errorf("columns = %q", got.cols)
	}
	want := [][]string{{"1", "Ann", "1.5", "<blob 4 bytes>", ""}, {"2", "张三", "", "", "hi"}}
	if !reflect.DeepEqual(got.rows, want) || !reflect.DeepEqual(got.lines, []int64{1, 2}) {
		t.Errorf("rows = %q lines %v", got.rows, got.lines)
	}
	got, err = readTable(t, tables[1], Options{})
	if err != nil || !reflect.DeepEqual(got.rows, [][]string{{"x", "y"}}) {
		t.Errorf("odd table: %q, %v", got.rows, err)
	}
	got, err = readTable(t, tables[0], Options{})
	if err != nil || len(got.rows) != 0 || len(got.cols) != 1 {
		t.Errorf("empty table: %q %q, %v", got.cols, got.rows, err)
	}

	// Reading never writes: same bytes, same mtime, no new files.
	time.Sleep(10 * time.Millisecond)
	after, _ := os.ReadFile(p)
	st1, _ := os.Stat(p)
	entries1, _ := os.ReadDir(dir)
	if !bytes.Equal(before, after) || !st0.ModTime().Equal(st1.ModTime()) || len(entries0) != len(entries1) {
		t.Errorf("reading modified the database directory: %d → %d entries", len(entries0), len(entries1))
	}

	// A damaged database.
	bad := writeTemp(t, "bad.sqlite", append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xAB}, 200)...))
	_, err = Discover(context.Background(), bad, Options{})
	wantError(t, err, "SQLite", 0)
}

func TestSharedStringsLimit(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/sharedStrings.xml")
	w.Write([]byte(`<sst><si><t>` + string(bytes.Repeat([]byte("x"), 5000)) + `</t></si></sst>`))
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readSharedStrings(zr.File[0], 1000); err != errSharedTooBig {
		t.Errorf("err = %v, want errSharedTooBig", err)
	}
	if ss, err := readSharedStrings(zr.File[0], 10000); err != nil || len(ss) != 1 || len(ss[0]) != 5000 {
		t.Errorf("readSharedStrings: %d strings, %v", len(ss), err)
	}
}
