package statuslist

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/xborder/xborder/internal/atomicfile"
)

// FileFormat is the "format" of a list file this version writes and reads.
const FileFormat = "xborder-statuslist/1"

// MaxListEntries bounds the size of a list a Store creates (2^27 entries,
// a 16 MiB bitstring: DefaultMaxDecodedBytes).
const MaxListEntries = DefaultMaxDecodedBytes * 8

var listIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ListConfig describes a new list.
type ListConfig struct {
	// ID names the list in the store and its file: 1 to 64 of
	// A-Z a-z 0-9 _ -, starting with a letter or digit.
	ID string
	// URL is where the status list credential is published; it is the
	// statusListCredential of every entry and the credential's id.
	URL string
	// Purpose is revocation, suspension, refresh or message.
	Purpose Purpose
	// Size is the number of entries: a multiple of 8, at least MinEntries
	// (the default) and at most MaxListEntries.
	Size int
}

// ListInfo describes a list of a Store.
type ListInfo struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Purpose   Purpose   `json:"purpose"`
	Size      int       `json:"size"`      // entries (bits; statusSize is 1)
	Allocated int       `json:"allocated"` // indexes handed out
	Set       int       `json:"set"`       // bits set
	Revision  uint64    `json:"revision"`  // incremented by every change of the status bits
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
}

// listFile is the JSON form of a list on disk.
type listFile struct {
	Format     string    `json:"format"`
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	Purpose    Purpose   `json:"purpose"`
	Size       int       `json:"size"`
	Revision   uint64    `json:"revision"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	Status     string    `json:"status"`     // encodedList form of the status bits
	Allocation string    `json:"allocation"` // encodedList form of the allocated indexes
}

type list struct {
	f         listFile
	status    *Bitstring
	allocated *Bitstring
	nAlloc    int
}

func (l *list) info() ListInfo {
	return ListInfo{ID: l.f.ID, URL: l.f.URL, Purpose: l.f.Purpose, Size: l.f.Size,
		Allocated: l.nAlloc, Set: l.status.Count(), Revision: l.f.Revision,
		Created: l.f.Created, Updated: l.f.Updated}
}

// StoreOptions configures OpenStore.
type StoreOptions struct {
	// Rand is the source of random indexes; crypto/rand when nil.
	Rand io.Reader
	// Now is the clock of created/updated dates; time.Now when nil.
	Now func() time.Time
}

// Store keeps an issuer's status lists in a directory, one JSON file per list
// (lists/ID.json, mode 0600, written atomically). It is safe for concurrent
// use by one process; two processes must not write the same directory.
type Store struct {
	dir  string
	rand io.Reader
	now  func() time.Time

	mu    sync.Mutex
	lists map[string]*list
}

// OpenStore opens (creating when needed, mode 0700) the store in dir and
// loads every list.
func OpenStore(dir string, opts StoreOptions) (*Store, error) {
	s := &Store{dir: filepath.Join(dir, "lists"), rand: opts.Rand, now: opts.Now, lists: map[string]*list{}}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, errorf(CodeInternal, err, "creating the status list directory")
	}
	names, err := fs.Glob(os.DirFS(s.dir), "*.json")
	if err != nil {
		return nil, errorf(CodeInternal, err, "listing status lists")
	}
	for _, n := range names {
		l, err := s.load(n)
		if err != nil {
			return nil, err
		}
		s.lists[l.f.ID] = l
	}
	return s, nil
}

func (s *Store) load(name string) (*list, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		return nil, errorf(CodeInternal, err, "reading status list "+name)
	}
	var f listFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, errorf(CodeInternal, err, "decoding status list "+name)
	}
	if f.Format != FileFormat || f.ID+".json" != name || !f.Purpose.Valid() {
		return nil, errorf(CodeInternal, nil, fmt.Sprintf("status list %s: unknown format %q, wrong id %q or purpose %q", name, f.Format, f.ID, f.Purpose))
	}
	st, err := Decode(f.Status, 0)
	if err != nil {
		return nil, errorf(CodeInternal, err, "decoding the status bits of "+name)
	}
	al, err := Decode(f.Allocation, 0)
	if err != nil {
		return nil, errorf(CodeInternal, err, "decoding the allocation bits of "+name)
	}
	if st.Len() != f.Size || al.Len() != f.Size {
		return nil, errorf(CodeInternal, nil, fmt.Sprintf("status list %s: bitstrings of %d and %d bits for size %d", name, st.Len(), al.Len(), f.Size))
	}
	return &list{f: f, status: st, allocated: al, nAlloc: al.Count()}, nil
}

// save writes l; the caller holds s.mu.
func (s *Store) save(l *list) error {
	st, err := l.status.Encode()
	if err != nil {
		return err
	}
	al, err := l.allocated.Encode()
	if err != nil {
		return err
	}
	l.f.Status, l.f.Allocation = st, al
	b, err := json.MarshalIndent(l.f, "", "  ")
	if err != nil {
		return errorf(CodeInternal, err, "encoding status list "+l.f.ID)
	}
	if err := atomicfile.WriteFile(filepath.Join(s.dir, l.f.ID+".json"), append(b, '\n'), 0o600); err != nil {
		return errorf(CodeInternal, err, "saving status list "+l.f.ID)
	}
	return nil
}

// Create makes a new, empty list.
func (s *Store) Create(ctx context.Context, cfg ListConfig) (ListInfo, error) {
	if err := ctx.Err(); err != nil {
		return ListInfo{}, errorf(CodeInternal, err, "creating a status list")
	}
	if !listIDPattern.MatchString(cfg.ID) {
		return ListInfo{}, errorf(CodeInvalidArgument, nil, fmt.Sprintf("list id %q: want 1 to 64 of A-Z a-z 0-9 _ -", cfg.ID))
	}
	if u, err := url.Parse(cfg.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return ListInfo{}, errorf(CodeInvalidArgument, err, fmt.Sprintf("list URL %q: want an absolute http(s) URL without fragment", cfg.URL))
	}
	if !cfg.Purpose.Valid() {
		return ListInfo{}, errorf(CodeInvalidArgument, nil, fmt.Sprintf("unknown status purpose %q", cfg.Purpose))
	}
	if cfg.Size == 0 {
		cfg.Size = MinEntries
	}
	if cfg.Size < MinEntries || cfg.Size > MaxListEntries || cfg.Size%8 != 0 {
		return ListInfo{}, errorf(CodeInvalidArgument, nil, fmt.Sprintf("list size %d: want a multiple of 8 from %d to %d", cfg.Size, MinEntries, MaxListEntries))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lists[cfg.ID]; ok {
		return ListInfo{}, errorf(CodeExists, nil, "status list "+cfg.ID)
	}
	for _, l := range s.lists {
		if l.f.URL == cfg.URL {
			return ListInfo{}, errorf(CodeExists, nil, fmt.Sprintf("list %s is already published at %s", l.f.ID, cfg.URL))
		}
	}
	st, _ := NewBitstring(cfg.Size)
	al, _ := NewBitstring(cfg.Size)
	now := s.now().UTC().Truncate(time.Second)
	l := &list{f: listFile{Format: FileFormat, ID: cfg.ID, URL: cfg.URL, Purpose: cfg.Purpose, Size: cfg.Size,
		Revision: 1, Created: now, Updated: now}, status: st, allocated: al}
	if err := s.save(l); err != nil {
		return ListInfo{}, err
	}
	s.lists[cfg.ID] = l
	return l.info(), nil
}

// Lists describes every list, sorted by id.
func (s *Store) Lists() []ListInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ListInfo, 0, len(s.lists))
	for _, l := range s.lists {
		out = append(out, l.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Info describes list id.
func (s *Store) Info(id string) (ListInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(id)
	if err != nil {
		return ListInfo{}, err
	}
	return l.info(), nil
}

// Snapshot returns a copy of the status bits of list id with its description.
func (s *Store) Snapshot(id string) (*Bitstring, ListInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(id)
	if err != nil {
		return nil, ListInfo{}, err
	}
	return l.status.Clone(), l.info(), nil
}

// byPath finds the list published at a URL path.
func (s *Store) byPath(path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, l := range s.lists {
		if u, err := url.Parse(l.f.URL); err == nil && u.EscapedPath() == path {
			return id, true
		}
	}
	return "", false
}

func (s *Store) get(id string) (*list, error) {
	l, ok := s.lists[id]
	if !ok {
		return nil, errorf(CodeNotFound, nil, "status list "+id)
	}
	return l, nil
}
