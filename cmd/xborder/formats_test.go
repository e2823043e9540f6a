package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/synth"
)

// TestAssessAcrossFormats: one export spread over a CSV file, a JSONL file
// and a SQLite table, the same persons appearing in each, counts every
// person once — as a compliance officer exporting a CRM's tables would see.
func TestAssessAcrossFormats(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	truth, err := synth.WriteCSV(&buf, synth.CSVOptions{Seed: 11, Rows: 600})
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := records[0], records[1:]
	thirds := [][][]string{rows[:200], rows[200:400], rows[400:]}

	// Part one: CSV.
	var c bytes.Buffer
	w := csv.NewWriter(&c)
	w.Write(header)
	w.WriteAll(thirds[0])
	csvPath := writeFile(t, dir, "orders.csv", c.String())

	// Part two: JSONL.
	var j strings.Builder
	for _, r := range thirds[1] {
		obj := map[string]string{}
		for i, h := range header {
			obj[h] = r[i]
		}
		b, _ := json.Marshal(obj)
		j.Write(b)
		j.WriteByte('\n')
	}
	jsonlPath := writeFile(t, dir, "orders.jsonl", j.String())

	// Part three: a SQLite table.
	dbPath := filepath.Join(dir, "crm.sqlite")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]string, len(header))
	marks := make([]string, len(header))
	for i, h := range header {
		cols[i] = `"` + h + `" TEXT`
		marks[i] = "?"
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE orders (`+strings.Join(cols, ", ")+`)`); err != nil {
		t.Fatal(err)
	}
	for _, r := range thirds[2] {
		args := make([]any, len(r))
		for i, v := range r {
			args[i] = v
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO orders VALUES (`+strings.Join(marks, ",")+`)`, args...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	before, _ := os.ReadFile(dbPath)

	stdout, stderr, code := xb(t, dir, "assess", "--from", "CN", "--to", "DE", "--purpose", "analytics", "--format", "json",
		csvPath, jsonlPath, dbPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	prof := decodeJSON(t, stdout)["profile"].(map[string]any)
	if got := int64(prof["rows"].(float64)); got != truth.Rows {
		t.Errorf("rows %d, want %d", got, truth.Rows)
	}
	if got := int64(prof["individuals"].(float64)); got != truth.Individuals {
		t.Errorf("individuals %d, want %d (persons repeat across the three files)", got, truth.Individuals)
	}
	if got := int64(prof["sensitive_individuals"].(float64)); got != truth.SensitiveIndividuals {
		t.Errorf("sensitive individuals %d, want %d", got, truth.SensitiveIndividuals)
	}
	after, _ := os.ReadFile(dbPath)
	if !bytes.Equal(before, after) {
		t.Error("assessing the SQLite database changed it")
	}
}
