// Package input reads the parties' inputs to the privacy computations from
// CSV with a header row: the key column (and an optional value column) of a
// PSI party ([ReadKeys]) and the value column (and an optional group-by
// column) of a secure-aggregation party ([ReadRows]). Header names are
// trimmed and a UTF-8 byte-order mark is ignored. Both readers bound the
// rows they accept and say which column or line is wrong; they are used
// by the CLI's local modes and by the task service (internal/pet/task).
package input

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/pet/secagg"
)

// ErrColumn is matched (errors.Is) by the error for a missing column.
var ErrColumn = errors.New("no such column")

// ErrTooManyRows is matched by the error for an input over the row bound.
var ErrTooManyRows = errors.New("too many rows")

// Header reads the header row of r and returns the trimmed column names.
func Header(r io.Reader) ([]string, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file, no header row")
	}
	if err != nil {
		return nil, err
	}
	return trimHeader(head), nil
}

func trimHeader(head []string) []string {
	out := make([]string, len(head))
	for i, h := range head {
		out[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	return out
}

func findColumn(cols []string, name string) (int, error) {
	if name == "" {
		return -1, nil
	}
	for i, h := range cols {
		if h == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w %q (columns: %s)", ErrColumn, name, strings.Join(cols, ", "))
}

// Keys is a PSI party's input.
type Keys struct {
	Keys   []string
	Values []uint64 // one per key when a value column was named
}

// ReadKeys reads the key column (and the value column, when valCol is not
// empty: non-negative integers) of CSV from r; cells are trimmed, an empty
// key is an error. maxRows bounds the data rows (0: no bound).
func ReadKeys(r io.Reader, key, valCol string, maxRows int64) (*Keys, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			err = errors.New("empty file, no header row")
		}
		return nil, err
	}
	cols := trimHeader(head)
	if key == "" {
		return nil, errors.New("no key column named")
	}
	ki, err := findColumn(cols, key)
	if err != nil {
		return nil, err
	}
	vi, err := findColumn(cols, valCol)
	if err != nil {
		return nil, err
	}
	out := &Keys{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if maxRows > 0 && int64(len(out.Keys)) >= maxRows {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyRows, maxRows)
		}
		k := strings.TrimSpace(rec[ki])
		if k == "" {
			return nil, fmt.Errorf("row %d: empty key", line)
		}
		out.Keys = append(out.Keys, k)
		if vi >= 0 {
			v, err := strconv.ParseUint(strings.TrimSpace(rec[vi]), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("row %d: %s is not a non-negative integer", line, valCol)
			}
			out.Values = append(out.Values, v)
		}
	}
}

// Rows is a secure-aggregation party's input: the fixed-point values of
// its column (zeros when no column was named: count) and, with a group-by
// column, each row's group key.
type Rows struct {
	Values []int64
	Keys   []string
}

// ReadRows reads column (empty: count rows only) as fixed-point decimals
// with scale digits, and groupBy, from CSV in r. An empty or non-numeric
// value is an error naming the line. maxRows bounds the rows (0: none).
func ReadRows(r io.Reader, column, groupBy string, scale int, maxRows int64) (*Rows, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("no header row: %w", err)
	}
	cols := trimHeader(head)
	vc, err := findColumn(cols, column)
	if err != nil {
		return nil, err
	}
	gc, err := findColumn(cols, groupBy)
	if err != nil {
		return nil, err
	}
	p := &Rows{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return nil, err
		}
		if maxRows > 0 && int64(len(p.Values)) >= maxRows {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyRows, maxRows)
		}
		line, _ := cr.FieldPos(0)
		var v int64
		if vc >= 0 {
			if v, err = secagg.ParseFixed(rec[vc], scale); err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", line, column, err)
			}
		}
		p.Values = append(p.Values, v)
		if gc >= 0 {
			p.Keys = append(p.Keys, rec[gc])
		}
	}
}

// Clamp clamps every value to [lo, hi], as each party does before sharing
// so that a sum's sensitivity is what the bounds say.
func (p *Rows) Clamp(lo, hi int64) {
	for i, v := range p.Values {
		p.Values[i] = min(max(v, lo), hi)
	}
}
