package catalog

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// The search index lives in memory. It is built from catalog_datasets when
// the catalog opens and updated after every committed write, in commit
// order (Catalog.Sync also applies the writes of other processes). Nothing
// in it depends on the order documents were added: term statistics count
// live documents only and a document's weights depend on the document
// alone, so an index rebuilt from the database ranks exactly like the one
// kept up to date (TestIndexNoDrift).

// Field weights of the text fields.
const (
	weightTitle       float32 = 3.0
	weightKeyword     float32 = 2.5
	weightIdentifier  float32 = 2.0
	weightLabel       float32 = 1.5
	weightDescription float32 = 1.0
	weightField       float32 = 0.8
)

// BM25-style saturation; docLenNorm stands in for the average document
// length so that weights never depend on the rest of the index.
const (
	bm25K1     = 1.2
	bm25B      = 0.3
	docLenNorm = 40.0
)

// facet positions in doc.facetEnd.
const (
	fIndustry = iota
	fScenario
	fLevel
	fFormat
	fFrequency
	fQuality
	fGeo
	fSovereignty
	nFacets
)

// doc is the cold part of an entry in the index: what results show.
type doc struct {
	id        string
	revision  int64
	withdrawn bool
	owner     string
	space     string
	terms     []int32 // the document's terms, to keep df exact on removal
	hit       Hit     // what a result shows (without score and hints)
	hint      hintInput
}

// hot is the part of a document every search reads, kept in one array
// for the scan over all documents.
type hot struct {
	modified int64
	quality  float32
	policy   int32  // index into index.policies; -1 without a policy
	owner    int32  // index into index.owners
	fstart   uint32 // the facet values are fvals[fstart:fstart+fend[nFacets-1]]
	fend     [nFacets]uint8
	flags    uint8
	vis      visibility
}

const (
	flagDead    uint8 = 1 << iota // superseded or withdrawn: postings are stale
	flagHasQual                   // quality is set
)

func (h *hot) dead() bool    { return h.flags&flagDead != 0 }
func (h *hot) hasQual() bool { return h.flags&flagHasQual != 0 }

// facet returns the codes of facet f of document i.
func (ix *index) facet(i int32, f int) []uint32 {
	h := &ix.hot[i]
	start := h.fstart
	if f > 0 {
		start += uint32(h.fend[f-1])
	}
	return ix.fvals[start : h.fstart+uint32(h.fend[f])]
}

type postingList struct {
	docs    []int32
	impacts []float32
	df      int32 // live documents containing the term
}

type facetDict struct {
	codes  map[string]uint32
	values []string
}

func (f *facetDict) code(v string) uint32 {
	if c, ok := f.codes[v]; ok {
		return c
	}
	c := uint32(len(f.values))
	f.codes[v] = c
	f.values = append(f.values, v)
	return c
}

type index struct {
	mu       sync.RWMutex
	docs     []*doc
	hot      []hot
	fvals    []uint32
	byID     map[string]int32
	termIDs  map[string]int32
	postings []postingList
	// latin is the sorted vocabulary of non-CJK terms, for prefix queries;
	// pending holds new terms until the write finishes.
	latin, pending []string
	facets         [nFacets]facetDict
	policies       []json.RawMessage
	policyIDs      map[string]int32
	ownerIDs       map[string]int32
	live           int
	stale          int          // postings of dead documents
	total          int          // postings
	compactions    int          // for tests
	pool           sync.Pool    // *scratch accumulators of searches
	tz             tokenizer    // used by put, under mu
	tw             []termWeight // used by put, under mu

	// ids holds every identifier of byID, sorted, for List; newIDs those
	// added since the last finish.
	ids, newIDs []string
}

func newIndex() *index {
	ix := &index{byID: map[string]int32{}, termIDs: map[string]int32{}, policyIDs: map[string]int32{}, ownerIDs: map[string]int32{}}
	for i := range ix.facets {
		ix.facets[i].codes = map[string]uint32{}
	}
	return ix
}

// qualityBucket names the quality facet value of a score.
func qualityBucket(q float64, ok bool) string {
	switch {
	case !ok:
		return "unrated"
	case q >= 90:
		return "90-100"
	case q >= 80:
		return "80-89"
	case q >= 60:
		return "60-79"
	}
	return "0-59"
}

// prepared is a document before it enters the index: everything that does
// not need the index, computed on any goroutine (prepare).
type prepared struct {
	d      *doc
	h      hot
	level  string
	sov    string
	policy json.RawMessage
	facets [nFacets][]string
	toks   []byte    // tokens, each followed by a 0 byte
	cjk    []bool    // per token
	ws     []float32 // weight per token
	length int
}

// prepare tokenises an entry and extracts its facets and display fields.
func prepare(e *Entry, revision int64, withdrawn bool, tz *tokenizer) *prepared {
	d := &doc{id: e.Identifier, revision: revision, withdrawn: withdrawn}
	g := e.Governance
	p := &prepared{d: d, level: g.ClassificationLevel, policy: g.AccessPolicy}
	h := &p.h
	h.policy = -1
	if withdrawn {
		h.flags |= flagDead
	}
	h.vis = visibilityOf(g.ClassificationLevel)
	d.owner = g.Owner
	pid, _ := ParseID(e.Identifier)
	d.space, p.sov = pid.Space, pid.Sovereignty
	if t, err := time.Parse(time.RFC3339, e.Modified); err == nil {
		h.modified = t.Unix()
	}
	d.hit = hitOf(e)
	d.hint = newHintInput(e)
	quality, hasQual := 0.0, false
	if b := e.Business; b != nil && b.QualityScore != nil {
		quality, hasQual = *b.QualityScore, true
		h.quality = float32(quality)
		h.flags |= flagHasQual
	}
	p.facets = [nFacets][]string{
		fIndustry:    {d.hit.Industry},
		fScenario:    d.hit.Scenarios,
		fLevel:       {g.ClassificationLevel},
		fFormat:      {d.hit.Format},
		fFrequency:   {e.UpdateFrequency},
		fQuality:     {qualityBucket(quality, hasQual)},
		fGeo:         e.SpatialCoverage,
		fSovereignty: {pid.Sovereignty},
	}
	if withdrawn {
		return p
	}
	field := func(s string, w float32) {
		tz.tokenize(s, true, func(b []byte, cjk bool) {
			p.toks = append(append(p.toks, b...), 0)
			p.cjk = append(p.cjk, cjk)
			p.ws = append(p.ws, w)
			p.length++
		})
	}
	field(e.Identifier, weightIdentifier)
	for _, tag := range e.Title.languages() {
		field(e.Title[tag], weightTitle)
	}
	for _, tag := range sortedKeys(e.Keywords) {
		for _, k := range e.Keywords[tag] {
			field(k, weightKeyword)
		}
	}
	for _, tag := range e.Description.languages() {
		field(e.Description[tag], weightDescription)
	}
	if b := e.Business; b != nil {
		for _, code := range append([]string{b.Industry}, b.Scenarios...) {
			if code == "" {
				continue
			}
			zh, en := labels(code)
			field(strings.ReplaceAll(code, "_", " ")+" "+en+" "+zh, weightLabel)
		}
	}
	if t := e.Technical; t != nil {
		for _, f := range t.Fields {
			field(f.Name, weightField)
		}
	}
	return p
}

// put adds or replaces the document of an entry; the caller holds mu.
func (ix *index) put(e *Entry, revision int64, withdrawn bool) {
	ix.add(prepare(e, revision, withdrawn, &ix.tz))
}

// add puts a prepared document in the index; the caller holds mu.
func (ix *index) add(p *prepared) {
	d := p.d
	if old, ok := ix.byID[d.id]; ok {
		ix.kill(old)
	} else {
		ix.newIDs = append(ix.newIDs, d.id)
	}
	id := int32(len(ix.docs))
	h := p.h
	if len(p.policy) > 0 {
		k := string(p.policy)
		pi, ok := ix.policyIDs[k]
		if !ok {
			pi = int32(len(ix.policies))
			ix.policies = append(ix.policies, p.policy)
			ix.policyIDs[k] = pi
		}
		h.policy = pi
	}
	o, ok := ix.ownerIDs[d.owner]
	if !ok {
		o = int32(len(ix.ownerIDs))
		ix.ownerIDs[d.owner] = o
	}
	h.owner = o
	h.fstart = uint32(len(ix.fvals))
	for f, vs := range p.facets {
		for _, v := range vs {
			if v != "" && len(ix.fvals)-int(h.fstart) < 255 {
				ix.fvals = append(ix.fvals, ix.facets[f].code(v))
			}
		}
		h.fend[f] = uint8(len(ix.fvals) - int(h.fstart))
	}
	ix.docs = append(ix.docs, d)
	ix.hot = append(ix.hot, h)
	ix.byID[d.id] = id
	if d.withdrawn {
		return
	}
	ix.live++
	// (term, weight) pairs, merged per term
	tw := ix.tw[:0]
	toks := p.toks
	for i := 0; len(toks) > 0; i++ {
		end := bytes.IndexByte(toks, 0)
		b := toks[:end]
		toks = toks[end+1:]
		tid, ok := ix.termIDs[string(b)]
		if !ok {
			t := string(b)
			tid = int32(len(ix.postings))
			ix.termIDs[t] = tid
			ix.postings = append(ix.postings, postingList{})
			if !p.cjk[i] {
				ix.pending = append(ix.pending, t)
			}
		}
		tw = append(tw, termWeight{tid, float64(p.ws[i])})
	}
	slices.SortStableFunc(tw, func(a, b termWeight) int { return int(a.term - b.term) })
	norm := 1 - bm25B + bm25B*float64(p.length)/docLenNorm
	d.terms = make([]int32, 0, len(tw)/2+1)
	for i := 0; i < len(tw); {
		t, w := tw[i].term, 0.0
		for ; i < len(tw) && tw[i].term == t; i++ {
			w += tw[i].weight
		}
		impact := float32(w * (bm25K1 + 1) / (w + bm25K1*norm))
		pl := &ix.postings[t]
		pl.docs = append(pl.docs, id)
		pl.impacts = append(pl.impacts, impact)
		pl.df++
		ix.total++
		d.terms = append(d.terms, t)
	}
	d.terms = slices.Clip(d.terms)
	ix.tw = tw[:0]
}

type termWeight struct {
	term   int32
	weight float64
}

// kill marks a document dead; the caller holds mu.
func (ix *index) kill(id int32) {
	d, h := ix.docs[id], &ix.hot[id]
	if !h.dead() {
		ix.live--
		for _, t := range d.terms {
			ix.postings[t].df--
		}
		ix.stale += len(d.terms)
	}
	h.flags |= flagDead
	d.terms = nil
}

// finish ends a write: new vocabulary is merged into the sorted list and
// stale postings are compacted when they pile up. The caller holds mu.
func (ix *index) finish() {
	if len(ix.pending) > 0 {
		ix.latin = append(ix.latin, ix.pending...)
		slices.Sort(ix.latin)
		ix.pending = ix.pending[:0]
	}
	if len(ix.newIDs) > 0 {
		slices.Sort(ix.newIDs)
		ix.ids = mergeSorted(ix.ids, ix.newIDs)
		ix.newIDs = ix.newIDs[:0]
	}
	if ix.stale > 4096 && ix.stale > ix.total/4 {
		ix.compact()
	}
}

// mergeSorted merges two sorted lists into a new one.
func mergeSorted(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0] <= b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// compact drops the postings of dead documents.
func (ix *index) compact() {
	for i := range ix.postings {
		p := &ix.postings[i]
		n := 0
		for j, d := range p.docs {
			if !ix.hot[d].dead() {
				p.docs[n], p.impacts[n] = d, p.impacts[j]
				n++
			}
		}
		p.docs, p.impacts = p.docs[:n], p.impacts[:n]
	}
	ix.total -= ix.stale
	ix.stale = 0
	ix.compactions++
}

// prefixTerms returns up to max vocabulary terms starting with p (p itself
// excluded), in order.
func (ix *index) prefixTerms(p string, max int) []string {
	i := sort.SearchStrings(ix.latin, p)
	var out []string
	for ; i < len(ix.latin) && strings.HasPrefix(ix.latin[i], p) && len(out) < max; i++ {
		if ix.latin[i] != p {
			out = append(out, ix.latin[i])
		}
	}
	return out
}

// idf of a term with df live documents among n.
func idf(df int32, n int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}
