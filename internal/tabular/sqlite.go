package tabular

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqliteDSN opens the database read-only and immutable: assessing a file
// never writes to it, nor creates journal, WAL or shared-memory files.
func sqliteDSN(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	return u.String() + "?mode=ro&immutable=1&_pragma=query_only(1)"
}

func sqliteError(path, table, msg string, err error) *Error {
	return &Error{Path: path, Table: table, Msg: msg, Hint: "check that the file is an intact SQLite 3 database (try: sqlite3 FILE 'PRAGMA integrity_check')", Err: err}
}

func sqliteTableNames(ctx context.Context, path string) ([]string, error) {
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, sqliteError(path, "", "cannot open SQLite database", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, sqliteError(path, "", "cannot list the tables of the SQLite database", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, sqliteError(path, "", "cannot list the tables of the SQLite database", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, sqliteError(path, "", "cannot list the tables of the SQLite database", err)
	}
	return names, nil
}

type sqliteReader struct {
	t      Table
	opts   Options
	db     *sql.DB
	rows   *sql.Rows
	cols   []string
	vals   []any
	ptrs   []any
	n      int64
	done   bool
	err    error
	cancel context.CancelFunc
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func openSQLite(ctx context.Context, t Table, opts Options) (Reader, error) {
	db, err := sql.Open("sqlite", sqliteDSN(t.Path))
	if err != nil {
		return nil, sqliteError(t.Path, t.Name, "cannot open SQLite database", err)
	}
	db.SetMaxOpenConns(1)
	// The query outlives ctx (it is read by later Next calls), so it gets
	// its own context, cancelled by Close.
	qctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rows, err := db.QueryContext(qctx, "SELECT * FROM "+quoteIdent(t.Name))
	if err != nil {
		cancel()
		db.Close()
		return nil, sqliteError(t.Path, t.Name, "cannot read table", err)
	}
	cols, err := rows.Columns()
	if err != nil {
		cancel()
		rows.Close()
		db.Close()
		return nil, sqliteError(t.Path, t.Name, "cannot read the columns of the table", err)
	}
	if len(cols) > opts.MaxColumns {
		cancel()
		rows.Close()
		db.Close()
		return nil, &Error{Path: t.Path, Table: t.Name, Msg: fmt.Sprintf("too many columns: %d (limit %d)", len(cols), opts.MaxColumns), Hint: "raise the column limit"}
	}
	r := &sqliteReader{t: t, opts: opts, db: db, rows: rows, cols: uniqueNames(cols), cancel: cancel}
	r.vals = make([]any, len(cols))
	r.ptrs = make([]any, len(cols))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

func (r *sqliteReader) Columns() []string { return r.cols }

// BytesRead estimates progress: SQLite gives no file position, so it stays 0
// until the table is read, then it is the file size.
func (r *sqliteReader) BytesRead() int64 {
	if r.done {
		return r.t.Size
	}
	return 0
}

func (r *sqliteReader) Next(ctx context.Context) (*Batch, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := &Batch{FirstLine: r.n + 1}
	for len(b.Rows) < r.opts.BatchRows {
		if len(b.Rows)%256 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if !r.rows.Next() {
			if err := r.rows.Err(); err != nil {
				r.err = sqliteError(r.t.Path, r.t.Name, fmt.Sprintf("cannot read row %d", r.n+1), err)
			} else {
				r.err = io.EOF
				r.done = true
			}
			break
		}
		if err := r.rows.Scan(r.ptrs...); err != nil {
			r.err = sqliteError(r.t.Path, r.t.Name, fmt.Sprintf("cannot read row %d", r.n+1), err)
			break
		}
		row := make([]string, len(r.vals))
		for i, v := range r.vals {
			row[i] = sqlValue(v)
		}
		b.Rows = append(b.Rows, row)
		r.n++
	}
	if len(b.Rows) == 0 {
		return nil, r.err
	}
	return b, nil
}

func sqlValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return "<blob " + strconv.Itoa(len(v)) + " bytes>"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

func (r *sqliteReader) Close() error {
	r.cancel()
	err := r.rows.Close()
	if e := r.db.Close(); err == nil {
		err = e
	}
	return err
}
