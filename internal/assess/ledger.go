package assess

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"

	"github.com/xborder/xborder/internal/rulebook"
)

// LedgerFile is the ledger's file name inside the data directory.
const LedgerFile = "ledger.db"

// Ledger is the local record of past exports: dates, recipients, counts and
// the routes decided — never a data value. It makes year-to-date totals
// automatic: the Chinese thresholds count from 1 January (2024 Provisions
// arts 5(4), 7, 8), the US bulk thresholds over the preceding 12 months
// per counterparty (28 CFR 202.205).
//
// Counting across exports: the ledger keeps only counts, so the total of
// several exports is the sum of their distinct-person counts. A person sent
// twice counts twice. This over-counts, never under-counts: the route it
// gives is never lower than the true one. We chose it over storing keyed
// hashes of identifiers (which would de-duplicate exactly) because the seed's
// tool must not store the enterprise's data (§4.2.1.3), and a hash of an ID
// number is still personal data. Whether CAC counts a person once per year is
// itself unconfirmed (research/rulebook.md §0.4 [M][C]).
type Ledger struct {
	db *sql.DB
}

// ExportRecord is one recorded export.
type ExportRecord struct {
	ID                   int64             `json:"id"`
	RecordedAt           time.Time         `json:"recorded_at"`
	Date                 rulebook.Date     `json:"date"`
	ExporterCountry      string            `json:"exporter_country"`
	RecipientCountry     string            `json:"recipient_country"`
	RecipientName        string            `json:"recipient_name,omitempty"`
	Purpose              string            `json:"purpose"`
	Individuals          int64             `json:"individuals"`
	SensitiveIndividuals int64             `json:"sensitive_individuals"`
	USBulk               rulebook.USBulk   `json:"us_bulk"`
	Routes               map[string]string `json:"routes"` // jurisdiction → route
}

const ledgerSchema = `
CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS exports (
	id                    INTEGER PRIMARY KEY,
	recorded_at           TEXT    NOT NULL,
	export_date           TEXT    NOT NULL,
	exporter_country      TEXT    NOT NULL,
	recipient_country     TEXT    NOT NULL,
	recipient_name        TEXT    NOT NULL DEFAULT '',
	purpose               TEXT    NOT NULL,
	individuals           INTEGER NOT NULL CHECK (individuals >= 0),
	sensitive_individuals INTEGER NOT NULL CHECK (sensitive_individuals >= 0),
	us_bulk               TEXT    NOT NULL DEFAULT '{}',
	routes                TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS exports_by_date ON exports (export_date);
`

// OpenLedger opens the ledger in dataDir, creating the directory and the
// database when create is true. With create false, a missing ledger is
// (nil, nil): assessing without a ledger writes nothing.
func OpenLedger(ctx context.Context, dataDir string, create bool) (*Ledger, error) {
	path := filepath.Join(dataDir, LedgerFile)
	if !create {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	mode := "rwc"
	if !create {
		mode = "rw"
	}
	dsn := "file:" + path + "?mode=" + mode + "&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening ledger %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, ledgerSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing ledger %s: %w", path, err)
	}
	return &Ledger{db: db}, nil
}

// selectExports reads every column of exports in the order query scans.
const selectExports = `SELECT id, recorded_at, export_date, exporter_country, recipient_country, recipient_name,
	purpose, individuals, sensitive_individuals, us_bulk, routes FROM exports`

// Close closes the ledger.
func (l *Ledger) Close() error { return l.db.Close() }

// Record adds an export and returns its id.
func (l *Ledger) Record(ctx context.Context, r ExportRecord) (int64, error) {
	bulk, err := json.Marshal(r.USBulk)
	if err != nil {
		return 0, err
	}
	routes, err := json.Marshal(r.Routes)
	if err != nil {
		return 0, err
	}
	res, err := l.db.ExecContext(ctx, `INSERT INTO exports
		(recorded_at, export_date, exporter_country, recipient_country, recipient_name, purpose,
		 individuals, sensitive_individuals, us_bulk, routes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.RecordedAt.UTC().Format(time.RFC3339), r.Date.String(), r.ExporterCountry, r.RecipientCountry,
		r.RecipientName, r.Purpose, r.Individuals, r.SensitiveIndividuals, string(bulk), string(routes))
	if err != nil {
		return 0, fmt.Errorf("recording export: %w", err)
	}
	return res.LastInsertId()
}

// List returns the exports recorded, oldest first; year 0 means all years.
func (l *Ledger) List(ctx context.Context, year int) ([]ExportRecord, error) {
	q := selectExports
	var args []any
	if year != 0 {
		q += ` WHERE export_date >= ? AND export_date <= ?`
		args = append(args, fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year))
	}
	q += ` ORDER BY export_date, id`
	return l.query(ctx, q, args...)
}

func (l *Ledger) query(ctx context.Context, q string, args ...any) ([]ExportRecord, error) {
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading ledger: %w", err)
	}
	defer rows.Close()
	var out []ExportRecord
	for rows.Next() {
		var r ExportRecord
		var recorded, date, bulk, routes string
		if err := rows.Scan(&r.ID, &recorded, &date, &r.ExporterCountry, &r.RecipientCountry, &r.RecipientName,
			&r.Purpose, &r.Individuals, &r.SensitiveIndividuals, &bulk, &routes); err != nil {
			return nil, fmt.Errorf("reading ledger: %w", err)
		}
		r.RecordedAt, _ = time.Parse(time.RFC3339, recorded)
		if r.Date, err = rulebook.ParseDate(date); err != nil {
			return nil, fmt.Errorf("ledger entry %d: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(bulk), &r.USBulk); err != nil {
			return nil, fmt.Errorf("ledger entry %d: us_bulk: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(routes), &r.Routes); err != nil {
			return nil, fmt.Errorf("ledger entry %d: routes: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Totals are the sums the thresholds are tested against.
type Totals struct {
	Exports              int
	Individuals          int64
	SensitiveIndividuals int64
	USBulk               rulebook.USBulk
}

// YearToDate sums the exports of exporterCountry from 1 January of asOf's
// year to asOf inclusive (the Chinese calendar-year count).
func (l *Ledger) YearToDate(ctx context.Context, exporterCountry string, asOf rulebook.Date) (Totals, error) {
	start := fmt.Sprintf("%04d-01-01", asOf.Year())
	recs, err := l.query(ctx, selectExports+`
		WHERE export_date >= ? AND export_date <= ? AND exporter_country = ?`, start, asOf.String(), exporterCountry)
	if err != nil {
		return Totals{}, err
	}
	var t Totals
	for _, r := range recs {
		t.Exports++
		t.Individuals += r.Individuals
		t.SensitiveIndividuals += r.SensitiveIndividuals
	}
	return t, nil
}

// Rolling12Months sums the US bulk counts sent to the same counterparty
// (recipient country and name) in the 12 months up to asOf inclusive
// (28 CFR 202.205: "at any point in the preceding 12 months", per pair).
func (l *Ledger) Rolling12Months(ctx context.Context, recipientCountry, recipientName string, asOf rulebook.Date) (Totals, error) {
	start := asOf.AddDate(-1, 0, 1).Format(time.DateOnly)
	recs, err := l.query(ctx, selectExports+`
		WHERE export_date >= ? AND export_date <= ? AND recipient_country = ? AND recipient_name = ?`,
		start, asOf.String(), recipientCountry, recipientName)
	if err != nil {
		return Totals{}, err
	}
	var t Totals
	for _, r := range recs {
		t.Exports++
		t.USBulk = addBulk(t.USBulk, r.USBulk)
	}
	return t, nil
}

func addBulk(a, b rulebook.USBulk) rulebook.USBulk {
	a.HumanGenomic += b.HumanGenomic
	a.HumanOmic += b.HumanOmic
	a.Biometric += b.Biometric
	a.PreciseGeolocationDevices += b.PreciseGeolocationDevices
	a.PersonalHealth += b.PersonalHealth
	a.PersonalFinancial += b.PersonalFinancial
	a.CoveredIdentifiers += b.CoveredIdentifiers
	a.GovernmentRelated = a.GovernmentRelated || b.GovernmentRelated
	return a
}
