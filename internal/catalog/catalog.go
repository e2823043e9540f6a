package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xborder/xborder/internal/rulebook"
)

// Config configures a Catalog. The zero value works: no access checker
// (restricted entries visible to their owner and the operator only), the
// table recorder on the same database, no logs.
type Config struct {
	// Checker decides access to restricted entries; nil denies.
	Checker AccessChecker
	// Recorder records every resolution; nil writes catalog_resolutions.
	Recorder Recorder
	// Logger receives warnings (never personal data); nil discards them.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HintDestinations are the destinations of compliance hints for entries
	// without allowed countries, when the search names none (default US, DE).
	HintDestinations []string
	// Node names this catalog in resolution records (default "local").
	Node string
	// SyncEvery makes reads pick up other processes' writes (other replicas
	// on a shared PostgreSQL, a command line next to a server) at most this
	// long after they commit; 0 sees only this process's writes.
	SyncEvery time.Duration
}

// Catalog is the data catalog of one node: entries in the database, a
// search index in memory, resolution with access checks and records.
// Its methods are safe for concurrent use.
type Catalog struct {
	db     *sql.DB
	cfg    Config
	log    *slog.Logger
	idx    *index
	hints  hintCache
	routes map[string]rulebook.RouteInfo // the rulebook's route table, read once

	writeMu  sync.Mutex // orders writes and syncs: the index follows commit order
	lastSeq  int64      // guarded by writeMu
	lastSync atomic.Int64
	info     atomic.Pointer[Info]
}

// Info describes the catalog itself: the DCAT catalog of the export and the
// Dataspace Protocol endpoint its datasets are served by.
type Info struct {
	ID            string       `json:"@id,omitempty"`         // the catalog's IRI (urn:uuid:… by default)
	ParticipantID string       `json:"participantId"`         // the participant's DID
	Title         LangMap      `json:"title,omitempty"`       // zh and en
	Description   LangMap      `json:"description,omitempty"` // zh and en
	Service       *DataService `json:"service,omitempty"`     // the connector's DSP endpoint
}

// Open prepares the catalog tables in db (migrating them), reads the
// catalog and builds the search index. The caller owns db.
func Open(ctx context.Context, db *sql.DB, cfg Config) (*Catalog, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.HintDestinations == nil {
		cfg.HintDestinations = []string{"US", "DE"}
	}
	if cfg.Node == "" {
		cfg.Node = "local"
	}
	if cfg.Recorder == nil {
		cfg.Recorder = NewTableRecorder(db)
	}
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	c := &Catalog{db: db, cfg: cfg, log: cfg.Logger, idx: newIndex(), routes: routeTable()}
	if err := c.loadInfo(ctx); err != nil {
		return nil, err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.syncLocked(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Catalog) now() time.Time { return c.cfg.Now() }

func (c *Catalog) loadInfo(ctx context.Context) error {
	v, err := readInfo(ctx, c.db)
	if err != nil {
		return err
	}
	var in Info
	if v != "" {
		if err := json.Unmarshal([]byte(v), &in); err != nil {
			return fmt.Errorf("reading the catalog description: %w", err)
		}
	}
	c.info.Store(&in)
	return nil
}

// Info returns the catalog's description.
func (c *Catalog) Info() Info { return *c.info.Load() }

// SetInfo validates and stores the catalog's description.
func (c *Catalog) SetInfo(ctx context.Context, in Info) error {
	v := &validator{}
	if in.ParticipantID != "" {
		v.iri("participantId", in.ParticipantID)
	}
	if in.ID != "" {
		v.iri("@id", in.ID)
	}
	v.langMap("title", in.Title, 512, false, false)
	v.langMap("description", in.Description, 8192, true, false)
	in.Title, in.Description = lowerTags(in.Title), lowerTags(in.Description)
	if in.Service != nil {
		v.dataService("service", in.Service)
	}
	if v.err != nil {
		return v.err
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := writeInfo(ctx, c.db, string(b)); err != nil {
		return err
	}
	c.info.Store(&in)
	return nil
}

// RegisterOptions tune Register.
type RegisterOptions struct {
	// Replace updates entries already registered instead of failing with
	// ErrExists.
	Replace bool
}

// Register validates e (normalising it in place, see Validate), fills its
// dates and stores it: a new identifier, or with opts.Replace a new revision
// of an existing one. Bad input is an *InputError and changes nothing.
func (c *Catalog) Register(ctx context.Context, e *Entry, opts RegisterOptions) (ID, error) {
	ids, err := c.RegisterBatch(ctx, []*Entry{e}, opts)
	if err != nil {
		return ID{}, err
	}
	return ids[0], nil
}

// RegisterBatch registers several entries in one transaction: all of them
// or, on any error, none.
func (c *Catalog) RegisterBatch(ctx context.Context, entries []*Entry, opts RegisterOptions) ([]ID, error) {
	ids := make([]ID, len(entries))
	seen := make(map[ID]int, len(entries))
	info := c.Info()
	for i, e := range entries {
		if err := Validate(e); err != nil {
			return nil, batchErr(len(entries), i, err)
		}
		if err := checkServiceRefs(e, info); err != nil {
			return nil, batchErr(len(entries), i, err)
		}
		ids[i], _ = ParseID(e.Identifier)
		if j, dup := seen[ids[i]]; dup {
			return nil, batchErr(len(entries), i, inputErr("identifier", "%s is also entry %d of this batch", ids[i], j+1))
		}
		seen[ids[i]] = i
	}
	now := c.now().UTC().Truncate(time.Second).Format(time.RFC3339)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.syncLocked(ctx); err != nil {
		return nil, err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	defer tx.Rollback()
	ws, err := prepareWrites(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	defer ws.close()
	type applied struct {
		e   *Entry
		rev int64
		seq int64
	}
	done := make([]applied, 0, len(entries))
	for i, e := range entries {
		old, err := scanRow(ws.read.QueryRowContext(ctx, e.Identifier))
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("registering %s: %w", e.Identifier, err)
		}
		r := row{id: e.Identifier, status: statusActive, revision: 1, registeredAt: now, updatedAt: now}
		if exists {
			if old.status == statusActive && !opts.Replace {
				return nil, batchErr(len(entries), i, fmt.Errorf("%s: %w", e.Identifier, ErrExists))
			}
			r.revision, r.registeredAt = old.revision+1, old.registeredAt
			if e.Issued == "" {
				var prev Entry
				if json.Unmarshal([]byte(old.entry), &prev) == nil {
					e.Issued = prev.Issued
				}
			}
		}
		if e.Issued == "" {
			e.Issued = now
		}
		if e.Modified == "" {
			e.Modified = now
		}
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", e.Identifier, err)
		}
		r.entry = string(b)
		if r.seq, err = ws.nextSeq(ctx); err != nil {
			return nil, err
		}
		if err := ws.upsertRow(ctx, r, ids[i].Sovereignty, ids[i].Space, e.Governance.ClassificationLevel, e.Governance.Owner); err != nil {
			return nil, err
		}
		done = append(done, applied{e, r.revision, r.seq})
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	if len(done) == 0 || done[0].seq != c.lastSeq+1 {
		// Another process wrote in between: take everything from the
		// database, in commit order.
		if err := c.syncLocked(ctx); err != nil {
			return nil, fmt.Errorf("registered, but updating the index: %w", err)
		}
		return ids, nil
	}
	c.idx.mu.Lock()
	for _, a := range done {
		c.idx.put(a.e, a.rev, false)
		c.lastSeq = max(c.lastSeq, a.seq)
	}
	c.idx.finish()
	c.idx.mu.Unlock()
	return ids, nil
}

func batchErr(n, i int, err error) error {
	if n == 1 {
		return err
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return &InputError{Path: fmt.Sprintf("entry %d: %s", i+1, ie.Path), Msg: ie.Msg}
	}
	return fmt.Errorf("entry %d: %w", i+1, err)
}

// checkServiceRefs checks that distributions referring to a DataService by
// @id name the catalog's service.
func checkServiceRefs(e *Entry, info Info) error {
	for i, d := range e.Distributions {
		if d.AccessService.Ref == "" {
			continue
		}
		if info.Service == nil || info.Service.ID != d.AccessService.Ref {
			return inputErr(fmt.Sprintf("distribution[%d].accessService", i),
				"%q is not the catalog's DataService; give the DataService object, or set the catalog's service first (xborder catalog init --endpoint)", d.AccessService.Ref)
		}
	}
	return nil
}

// Withdraw takes an entry out of search and resolution (resolution answers
// ErrWithdrawn). Registering the identifier again brings it back.
func (c *Catalog) Withdraw(ctx context.Context, ref string) error {
	id, err := ParseRef(ref)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.syncLocked(ctx); err != nil {
		return err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("withdrawing %s: %w", id, err)
	}
	defer tx.Rollback()
	old, err := readRow(ctx, tx, id.String())
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("withdrawing %s: %w", id, err)
	}
	if old.status == statusWithdrawn {
		return fmt.Errorf("%s: %w", id, ErrWithdrawn)
	}
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return err
	}
	if err := setStatus(ctx, tx, id.String(), statusWithdrawn, seq, c.now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("withdrawing %s: %w", id, err)
	}
	if seq != c.lastSeq+1 {
		return c.syncLocked(ctx)
	}
	var e Entry
	if err := json.Unmarshal([]byte(old.entry), &e); err != nil {
		return fmt.Errorf("reading %s: %w", id, err)
	}
	c.idx.mu.Lock()
	c.idx.put(&e, old.revision+1, true)
	c.idx.finish()
	c.lastSeq = max(c.lastSeq, seq)
	c.idx.mu.Unlock()
	return nil
}

// Sync applies the writes other processes committed since the last sync.
func (c *Catalog) Sync(ctx context.Context) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.syncLocked(ctx)
}

func (c *Catalog) maybeSync(ctx context.Context) error {
	if c.cfg.SyncEvery <= 0 {
		return nil
	}
	now := time.Now().UnixNano()
	if last := c.lastSync.Load(); now-last < int64(c.cfg.SyncEvery) || !c.lastSync.CompareAndSwap(last, now) {
		return nil
	}
	return c.Sync(ctx)
}

func (c *Catalog) syncLocked(ctx context.Context) error {
	cur, err := currentSeq(ctx, c.db)
	if err != nil {
		return err
	}
	if cur == c.lastSeq {
		return nil
	}
	var batch []row
	err = rowsSince(ctx, c.db, c.lastSeq, func(r row) error {
		batch = append(batch, r)
		return nil
	})
	if err != nil {
		return err
	}
	docs, err := prepareRows(batch)
	if err != nil {
		return err
	}
	c.idx.mu.Lock()
	defer c.idx.mu.Unlock()
	for i, r := range batch {
		c.idx.add(docs[i])
		c.lastSeq = max(c.lastSeq, r.seq)
	}
	c.idx.finish()
	if err := c.loadInfo(ctx); err != nil {
		return err
	}
	return nil
}

// prepareRows decodes stored entries and prepares their documents, on
// several goroutines for large batches.
func prepareRows(rows []row) ([]*prepared, error) {
	out := make([]*prepared, len(rows))
	workers := 1
	if len(rows) > 256 {
		workers = max(2, runtime.GOMAXPROCS(0))
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var tz tokenizer
			for i := w; i < len(rows); i += workers {
				var e Entry
				if err := json.Unmarshal([]byte(rows[i].entry), &e); err != nil {
					errs[w] = fmt.Errorf("reading %s: the stored entry is corrupt: %w", rows[i].id, err)
					return
				}
				out[i] = prepare(&e, rows[i].revision, rows[i].status == statusWithdrawn, &tz)
				rows[i].entry = "" // let it go
			}
		}(w)
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// Get returns the entry of an identifier (or its IRI) if the requester may
// see it: ErrNotFound, ErrDenied or ErrWithdrawn otherwise.
func (c *Catalog) Get(ctx context.Context, r Requester, ref string) (*Entry, error) {
	e, _, err := c.get(ctx, r, ref)
	return e, err
}

func (c *Catalog) get(ctx context.Context, r Requester, ref string) (*Entry, int64, error) {
	id, err := ParseRef(ref)
	if err != nil {
		return nil, 0, err
	}
	if err := c.maybeSync(ctx); err != nil {
		return nil, 0, err
	}
	c.idx.mu.RLock()
	n, ok := c.idx.byID[id.String()]
	var t target
	var withdrawn bool
	if ok {
		t, withdrawn = c.idx.targetOf(n), c.idx.docs[n].withdrawn
	}
	c.idx.mu.RUnlock()
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if !c.visible(ctx, r, t, nil) {
		return nil, 0, fmt.Errorf("%s: %w", id, ErrDenied)
	}
	if withdrawn {
		return nil, 0, fmt.Errorf("%s: %w", id, ErrWithdrawn)
	}
	row, err := readRow(ctx, c.db, id.String())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", id, err)
	}
	var e Entry
	if err := json.Unmarshal([]byte(row.entry), &e); err != nil {
		return nil, 0, fmt.Errorf("reading %s: the stored entry is corrupt: %w", id, err)
	}
	return &e, row.revision, nil
}

// Len returns the number of live (not withdrawn) entries.
func (c *Catalog) Len() int {
	c.idx.mu.RLock()
	defer c.idx.mu.RUnlock()
	return c.idx.live
}

// serviceFor returns the catalog's service when ref names it.
func (c *Catalog) serviceFor(ref string) *DataService {
	in := c.Info()
	if in.Service != nil && in.Service.ID == ref {
		return in.Service
	}
	return nil
}

func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
