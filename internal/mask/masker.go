package mask

import (
	"errors"
	"fmt"
	"hash"
	"unsafe"

	"github.com/xborder/xborder/internal/classify"
)

// ErrFieldCount is wrapped by the errors for a row whose number of fields
// differs from the header's.
var ErrFieldCount = errors.New("wrong number of fields")

// Masker applies one policy under one agreement's key. It is immutable and
// safe for concurrent use; Bind, CopyCSV and CopyJSONL each make their own
// working state.
type Masker struct {
	key   *Key
	ops   map[string]*op
	names []string // rule names, in policy order
	def   *op
}

// op is a compiled rule.
type op struct {
	action   Action
	maskChar []byte

	// mask
	fmt         fmtKind
	first, last int

	// pseudonymise
	norm   normKind
	prefix string
	length int
	digits bool
	domain []byte // 2-byte big-endian length || domain

	// generalise
	kind          string
	gran          granularity
	width         float64
	widthDecimals int
	bounds        []float64
	labels        []string
	decimals      int

	// redact
	with string
}

// New compiles a policy for one agreement. key may be nil when no rule
// (default included) pseudonymises.
func New(p *Policy, key *Key) (*Masker, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m := &Masker{key: key, ops: make(map[string]*op, len(p.Columns))}
	def := Rule{Action: Drop}
	if p.Default != nil {
		def = *p.Default
	}
	var err error
	if m.def, err = m.compile(&def); err != nil {
		return nil, fmt.Errorf("mask: policy: default: %w", err)
	}
	for i := range p.Columns {
		r := &p.Columns[i]
		o, err := m.compile(r)
		if err != nil {
			return nil, fmt.Errorf("mask: policy: columns[%d] (%q): %w", i, r.Name, err)
		}
		m.ops[r.Name] = o
		m.names = append(m.names, r.Name)
	}
	return m, nil
}

func (m *Masker) compile(r *Rule) (*op, error) {
	o := &op{action: r.Action, maskChar: []byte("*")}
	if r.MaskChar != "" {
		o.maskChar = []byte(r.MaskChar)
	}
	switch r.Action {
	case Mask:
		f := formatOf(r.Class)
		o.fmt, o.first, o.last = f.kind, f.first, f.last
		if r.KeepFirst != nil {
			o.first = *r.KeepFirst
		}
		if r.KeepLast != nil {
			o.last = *r.KeepLast
		}
	case Pseudonymise:
		if m.key == nil {
			return nil, errors.New("pseudonymise needs the agreement's key (DeriveKey)")
		}
		o.norm = normOf(r.Class)
		o.prefix = "ps_"
		if r.Prefix != nil {
			o.prefix = *r.Prefix
		}
		o.digits = r.Alphabet == AlphabetDigits
		o.length = r.Length
		if o.length == 0 {
			o.length = 16
		}
		o.domain = append([]byte{byte(len(r.Domain) >> 8), byte(len(r.Domain))}, r.Domain...)
	case Generalise:
		o.kind = r.Kind
		o.gran = parseGranularity(r.Granularity)
		o.width = r.Width
		o.widthDecimals = decimalsOf(r.Width)
		if r.Bounds != nil {
			o.bounds = append([]float64(nil), r.Bounds...)
			o.labels = bandLabels(r.Bounds)
		}
		o.decimals = 2
		if r.Decimals != nil {
			o.decimals = *r.Decimals
		}
		if r.Kind == KindPostal {
			o.first = 3
			if r.KeepFirst != nil {
				o.first = *r.KeepFirst
			}
		}
	case Redact:
		o.with = "***"
		if r.With != nil {
			o.with = *r.With
		}
	}
	return o, nil
}

func (m *Masker) op(name string) *op {
	if o, ok := m.ops[name]; ok {
		return o
	}
	return m.def
}

// worker is the working state of one goroutine: the MAC and scratch
// buffers. Nothing in it outlives a value.
type worker struct {
	m    *Masker
	mac  hash.Hash
	sum  [64]byte
	norm []byte
}

func (m *Masker) newWorker() *worker {
	w := &worker{m: m, norm: make([]byte, 0, 256)}
	if m.key != nil {
		w.mac = m.key.newMAC()
	}
	return w
}

// appendValue appends what o makes of v. Drop and Null append nothing;
// the caller decides what an absent value looks like.
func (w *worker) appendValue(dst []byte, o *op, v string) []byte {
	switch o.action {
	case Keep:
		return append(dst, v...)
	case Redact:
		return append(dst, o.with...)
	case Drop, Null:
		return dst
	}
	s := classify.TrimSpace(v)
	if s == "" {
		return dst // empty stays empty
	}
	switch o.action {
	case Mask:
		return w.appendMasked(dst, o, s)
	case Pseudonymise:
		w.norm = normalise(w.norm[:0], o.norm, s)
		return appendToken(dst, w.mac, o, w.norm, w.sum[:])
	case Generalise:
		var out []byte
		ok := false
		switch o.kind {
		case KindDate, KindTimestamp:
			out, ok = appendDate(dst, s, o.gran)
		case KindNumber:
			if x, good := parseNumber(s); good {
				out, ok = appendBand(dst, x, o), true
			}
		case KindGeo:
			out, ok = appendGeo(dst, s, o)
		case KindPostal:
			out, ok = appendPostal(dst, s, o)
		}
		if ok {
			return out
		}
		return append(dst, o.maskChar...) // not generalisable: one mask character
	}
	return dst
}

// normKind is the normalisation before pseudonymising.
type normKind uint8

const (
	normNone   normKind = iota
	normDigits          // resident ID, bank card, SSN: digits (X upper-cased)
	normMobile          // PRC mobile: 11 digits, +86 dropped
	normPhone           // '+' and digits
	normAlnum           // IBAN, passport, HKID, USCC: upper-case letters and digits
	normEmail           // lower-cased ASCII
	normName            // lower-cased ASCII, inner white space collapsed
)

func normOf(c classify.Class) normKind {
	switch c {
	case classify.ClassCNResidentID, classify.ClassBankCard, classify.ClassUSSSN:
		return normDigits
	case classify.ClassCNMobile:
		return normMobile
	case classify.ClassPhone:
		return normPhone
	case classify.ClassIBAN, classify.ClassPassport, classify.ClassHKID, classify.ClassCNUSCC:
		return normAlnum
	case classify.ClassEmail:
		return normEmail
	case classify.ClassPersonName:
		return normName
	}
	return normNone
}

// normalise appends the normal form of s under k, or s itself when s does
// not have the class's shape (such a value still gets a token, just not
// the one of its well-formed spelling).
func normalise(buf []byte, k normKind, s string) []byte {
	switch k {
	case normDigits, normAlnum:
		if d, ok := alnumUpper(buf, s); ok {
			return d
		}
	case normMobile:
		if d, ok := mobileDigits(buf, s); ok {
			return d
		}
	case normPhone:
		if d, plus, ok := phoneDigits(buf[:0], s); ok {
			if plus {
				d = append(d, 0)
				copy(d[1:], d)
				d[0] = '+'
			}
			return d
		}
	case normEmail, normName:
		buf = buf[:0]
		space := false
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if k == normName && (c == ' ' || c == '\t') {
				space = true
				continue
			}
			if space {
				buf = append(buf, ' ')
				space = false
			}
			buf = append(buf, c)
		}
		return buf
	}
	return append(buf[:0], s...)
}

// Table is a Masker bound to the header of one table: it maps each input
// column to its rule once, so that rows are transformed by position. A
// Table is not safe for concurrent use; bind one per goroutine.
type Table struct {
	m       *Masker
	w       *worker
	in      int
	header  []string
	plan    []step // one per output column
	cols    []*op  // one per input column
	unmatch []string
	buf     []byte
	ends    []int
}

// step makes one output column from input column src.
type step struct {
	src int
	op  *op
}

// Bind maps a header to the policy. Column names must be unique; columns
// the policy does not name get its default rule (drop unless the policy
// says otherwise). It is an error when no column is left.
func (m *Masker) Bind(header []string) (*Table, error) {
	if len(header) > MaxRules {
		return nil, fmt.Errorf("mask: header of %d columns, more than %d", len(header), MaxRules)
	}
	t := &Table{m: m, w: m.newWorker(), in: len(header)}
	seen := make(map[string]int, len(header))
	for i, name := range header {
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("mask: header: column %d has the name of column %d (%q); names must be unique", i+1, j+1, name)
		}
		seen[name] = i
		o := m.op(name)
		t.cols = append(t.cols, o)
		if o.action == Drop {
			continue
		}
		t.plan = append(t.plan, step{i, o})
		t.header = append(t.header, name)
	}
	for _, n := range m.names {
		if _, ok := seen[n]; !ok {
			t.unmatch = append(t.unmatch, n)
		}
	}
	if len(t.plan) == 0 {
		return nil, errors.New("mask: the policy drops every column of this table")
	}
	t.ends = make([]int, len(t.plan))
	return t, nil
}

// Header is the output header: the input columns that are not dropped, in
// input order.
func (t *Table) Header() []string { return t.header }

// Unmatched lists the columns the policy names that the header lacks, in
// policy order: often a misspelt name, whose column then fell to the
// default rule.
func (t *Table) Unmatched() []string { return t.unmatch }

// Row transforms one row. It appends the output values to dst[:0] and
// returns it; dst may be src itself (src[:0]), transforming in place.
// Kept values are src's strings; the transformed values of one row share
// one new string (one allocation per row, none when nothing changed), so
// returned values stay valid and immutable. A row with another number of
// fields than the header is an error wrapping ErrFieldCount, and dst is
// then unchanged.
func (t *Table) Row(dst, src []string) ([]string, error) {
	if len(src) != t.in {
		return dst, fmt.Errorf("mask: %d fields, header has %d: %w", len(src), t.in, ErrFieldCount)
	}
	buf := t.buf[:0]
	for j, s := range t.plan {
		switch s.op.action {
		case Keep:
			t.ends[j] = -1
			continue
		}
		buf = t.w.appendValue(buf, s.op, src[s.src])
		t.ends[j] = len(buf)
	}
	t.buf = buf
	var text string
	if len(buf) > 0 {
		text = string(buf)
	}
	dst = dst[:0]
	start := 0
	for j, s := range t.plan {
		if t.ends[j] < 0 {
			dst = append(dst, src[s.src])
			continue
		}
		dst = append(dst, text[start:t.ends[j]])
		start = t.ends[j]
	}
	return dst, nil
}

// AppendValue appends the output of input column col for value v, for
// callers that write bytes themselves. It appends nothing for a dropped or
// nulled column, for an empty value, or for col out of range.
func (t *Table) AppendValue(dst []byte, col int, v string) []byte {
	if col < 0 || col >= t.in {
		return dst
	}
	return t.w.appendValue(dst, t.cols[col], v)
}

// stringOf views b as a string without copying. The string must not be
// used after b changes: it is only passed down to the value functions,
// which never keep it.
func stringOf(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
