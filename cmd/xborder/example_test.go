package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"testing"

	"github.com/xborder/xborder/internal/synth"
)

var updateExample = flag.Bool("update-example", false, "regenerate examples/shenzhen-retail/customers.csv")

// exampleOptions are the generator options of the committed example; the
// scenario's comment says the same.
var exampleOptions = synth.CSVOptions{Seed: 2026, Rows: 4000}

// readTruth regenerates the example, checks the committed file is exactly
// the generator's output, and returns what the generator knows about it.
func readTruth(t *testing.T) synth.Stats {
	t.Helper()
	var buf bytes.Buffer
	st, err := synth.WriteCSV(&buf, exampleOptions)
	if err != nil {
		t.Fatal(err)
	}
	path := exampleDir + "/customers.csv"
	if *updateExample {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("%s is not the generator's output for %+v; run go test ./cmd/xborder -run TestAssessExample -update-example", path, exampleOptions)
	}
	return st
}

// readFirstID returns the resident ID of the example's first row.
func readFirstID(t *testing.T) string {
	t.Helper()
	f, err := os.Open(exampleDir + "/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range header {
		if h == "身份证号" {
			return row[i]
		}
	}
	t.Fatal("example has no 身份证号 column")
	return ""
}
