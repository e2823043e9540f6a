package catalog

import (
	"container/heap"
	"context"
	"maps"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// SearchRequest is one search.
type SearchRequest struct {
	// Query is text in the query syntax (ParseQuery): words, -exclusions,
	// field:value filters.
	Query string
	// Filters add facet filters: field → accepted values (either matches).
	Filters map[string][]string
	// To lists destination countries for the compliance hints; empty means
	// each entry's allowed countries, else the catalog's defaults.
	To []string
	// Sort is relevance (the default with words; otherwise newest first),
	// modified, quality or identifier.
	Sort string
	// Page counts from 1; Limit is at most MaxLimit (default 10).
	Page, Limit int
	// NoHints leaves the compliance hints out.
	NoHints bool
}

// Search limits.
const (
	DefaultLimit = 10
	MaxLimit     = 100
	maxOffset    = 10000
	maxExpansion = 50 // vocabulary terms a prefix expands to
)

// SearchResult is a page of results with facet counts over all of them.
type SearchResult struct {
	Query string `json:"query"` // the parsed query, canonically
	Total int    `json:"total"`
	Page  int    `json:"page"`
	Limit int    `json:"limit"`
	// Relaxed is true when no entry matched every word and the results are
	// those matching at least half of them.
	Relaxed bool  `json:"relaxed,omitempty"`
	Hits    []Hit `json:"hits"`
	// Facets count the visible results per value; the count of a facet
	// that is filtered ignores that facet's own filter (so the other values
	// show how many a change of filter would give).
	Facets map[string][]FacetCount `json:"facets"`
}

// FacetCount is one facet value and its count.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Hit is one search result: what to show, how to get access and what the
// rulebook says about exporting it.
type Hit struct {
	Identifier  string   `json:"identifier"`
	Title       LangMap  `json:"title"`
	Description LangMap  `json:"description,omitempty"`
	Sovereignty string   `json:"sovereignty"`
	Level       string   `json:"classificationLevel"`
	Industry    string   `json:"industry,omitempty"`
	Scenarios   []string `json:"scenarios,omitempty"`
	Format      string   `json:"format,omitempty"`
	Frequency   string   `json:"updateFrequency,omitempty"`
	Quality     *float64 `json:"qualityScore,omitempty"`
	Geo         []string `json:"spatialCoverage,omitempty"`
	Owner       string   `json:"owner"`
	Modified    string   `json:"modified,omitempty"`
	Score       float64  `json:"score"`
	// Access is how to ask for the data: the DSP endpoint and offers.
	Access []AccessInterface `json:"access,omitempty"`
	Hints  []Hint            `json:"hints,omitempty"`
}

const descriptionSnippet = 200

// clone copies the maps and slices of a hit, which the index keeps.
func (h Hit) clone() Hit {
	h.Title = maps.Clone(h.Title)
	h.Description = maps.Clone(h.Description)
	h.Scenarios = slices.Clone(h.Scenarios)
	h.Geo = slices.Clone(h.Geo)
	h.Access = slices.Clone(h.Access)
	for i := range h.Access {
		h.Access[i].Offers = slices.Clone(h.Access[i].Offers)
	}
	if h.Quality != nil {
		q := *h.Quality
		h.Quality = &q
	}
	return h
}

func hitOf(e *Entry) Hit {
	h := Hit{Identifier: e.Identifier, Title: e.Title, Sovereignty: e.Governance.Sovereignty,
		Level: e.Governance.ClassificationLevel, Owner: e.Governance.Owner, Modified: e.Modified,
		Frequency: e.UpdateFrequency, Geo: e.SpatialCoverage}
	if id, err := ParseID(e.Identifier); err == nil {
		h.Sovereignty = id.Sovereignty
	}
	if len(e.Description) > 0 {
		h.Description = LangMap{}
		for k, v := range e.Description {
			if r := []rune(v); len(r) > descriptionSnippet {
				v = string(r[:descriptionSnippet]) + "…"
			}
			h.Description[k] = v
		}
	}
	if b := e.Business; b != nil {
		h.Industry, h.Scenarios, h.Quality = b.Industry, b.Scenarios, b.QualityScore
	}
	if t := e.Technical; t != nil {
		h.Format = t.DataFormat
	}
	h.Access = accessInterfaces(e, nil)
	return h
}

// plan is a parsed query against the index.
type plan struct {
	groups   [][]weighted    // each group must match (AND)
	excluded [][]int32       // a document containing every term of one is left out
	filters  [nFacets][]bool // accepted codes per filtered facet
	hasF     [nFacets]bool
	minQ     float64 // quality lower bound (inclusive unless minQx)
	maxQ     float64
	hasQ     bool
	space    []string
	owner    []string
}

type weighted struct {
	term   int32
	weight float64
}

// scratch is the per-search accumulator, pooled.
type scratch struct {
	score   []float64
	mask    []uint32
	touched []int32
}

// Search runs a search for a requester: only entries the requester may see
// are counted and returned.
func (c *Catalog) Search(ctx context.Context, r Requester, req SearchRequest) (*SearchResult, error) {
	q, err := ParseQuery(req.Query)
	if err != nil {
		return nil, err
	}
	for f, vs := range req.Filters {
		f = strings.ToLower(f)
		if !slices.Contains(filterFields(), f) {
			return nil, inputErr("filter", "%q is not a facet; accepted: %s", f, strings.Join(filterFields(), ", "))
		}
		for _, v := range vs {
			if strings.TrimSpace(v) == "" {
				return nil, inputErr("filter", "%s has an empty value", f)
			}
			q.Filters[f] = append(q.Filters[f], v)
		}
	}
	limit := req.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	page := req.Page
	if page == 0 {
		page = 1
	}
	if limit < 1 || limit > MaxLimit || page < 1 || (page-1)*limit > maxOffset {
		return nil, inputErr("page", "want 1 ≤ limit ≤ %d and (page-1)·limit ≤ %d", MaxLimit, maxOffset)
	}
	sortBy := req.Sort
	switch sortBy {
	case "":
		sortBy = "modified"
		if len(q.Words) > 0 {
			sortBy = "relevance"
		}
	case "relevance", "modified", "quality", "identifier":
	default:
		return nil, inputErr("sort", "%q: accepted: relevance, modified, quality, identifier", req.Sort)
	}
	for i, to := range req.To {
		to = strings.ToUpper(to)
		if !isCountry(to) {
			return nil, inputErr("to", "%q is not an ISO 3166-1 alpha-2 country code", req.To[i])
		}
	}
	if err := c.maybeSync(ctx); err != nil {
		return nil, err
	}

	ix := c.idx
	ix.mu.RLock()
	res, docs, err := c.searchLocked(ctx, r, q, sortBy, page, limit)
	ix.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	// Documents are immutable once in the index: the hints need no lock.
	if !req.NoHints {
		c.addHints(res.Hits, docs, upperAll(req.To))
	}
	return res, nil
}

// searchLocked runs a parsed query; the caller holds the index's read
// lock. It returns the page of hits and their documents.
func (c *Catalog) searchLocked(ctx context.Context, r Requester, q Query, sortBy string, page, limit int) (*SearchResult, []*doc, error) {
	ix := c.idx
	p, err := ix.plan(q)
	if err != nil {
		return nil, nil, err
	}
	res := &SearchResult{Query: q.String(), Page: page, Limit: limit, Facets: map[string][]FacetCount{}}
	var counts [nFacets][]int32
	for f := range counts {
		counts[f] = make([]int32, len(ix.facets[f].values))
	}
	access := make(accessCache, len(ix.policies))
	rOwner := int32(-1)
	if o, ok := ix.ownerIDs[r.DID]; ok && r.DID != "" {
		rOwner = o
	}
	// visible is Catalog.visible without touching the cold document,
	// except to ask the checker about a policy not seen yet.
	visible := func(id int32, h *hot) bool {
		switch {
		case h.vis == visPublic || r.operator:
			return true
		case r.DID == "":
			return false
		case h.vis == visInternal || h.owner == rOwner:
			return true
		case h.policy < 0 || c.cfg.Checker == nil:
			return false
		case access[h.policy] != 0:
			return access[h.policy] > 0
		}
		return c.visible(ctx, r, ix.targetOf(id), access)
	}
	k := page * limit
	top := &hitHeap{by: sortBy, ix: ix}

	visit := func(id int32, score float64) {
		h := &ix.hot[id]
		if h.dead() {
			return
		}
		if !p.passesFixed(ix, id, h) {
			return
		}
		if !visible(id, h) {
			return
		}
		if len(p.excluded) > 0 && p.isExcluded(ix, id) {
			return
		}
		fail := p.failing(ix, id)
		if fail&(fail-1) != 0 { // two or more facets fail
			return
		}
		for f := 0; f < nFacets; f++ {
			if fail == 0 || fail == 1<<f {
				for _, v := range ix.facet(id, f) {
					counts[f][v]++
				}
			}
		}
		if fail != 0 {
			return
		}
		res.Total++
		top.offer(ranked{id: id, score: score}, k)
	}

	if len(p.groups) == 0 {
		for id := range ix.hot {
			visit(int32(id), 0)
		}
	} else {
		sc := ix.accumulate(p)
		full := uint32(1)<<len(p.groups) - 1
		for _, id := range sc.touched {
			if sc.mask[id] == full {
				visit(id, sc.score[id])
			}
		}
		if res.Total == 0 && len(p.groups) > 1 {
			// Relax: at least half of the terms, scored by the share matched.
			res.Relaxed = true
			for f := range counts {
				clear(counts[f])
			}
			minMatch := (len(p.groups) + 1) / 2
			for _, id := range sc.touched {
				if m := bits.OnesCount32(sc.mask[id]); m >= minMatch {
					visit(id, sc.score[id]*float64(m)/float64(len(p.groups)))
				}
			}
			if res.Total == 0 {
				res.Relaxed = false
			}
		}
		ix.release(sc)
	}

	for f, name := range Facets() {
		fc := []FacetCount{}
		for code, n := range counts[f] {
			if n > 0 {
				fc = append(fc, FacetCount{Value: ix.facets[f].values[code], Count: int(n)})
			}
		}
		slices.SortFunc(fc, func(a, b FacetCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		res.Facets[name] = fc
	}
	ordered := top.sorted()
	from := (page - 1) * limit
	res.Hits = []Hit{}
	var docs []*doc
	for i := from; i < len(ordered) && i < from+limit; i++ {
		d := ix.docs[ordered[i].id]
		h := d.hit.clone()
		h.Score = round4(ordered[i].score)
		h.Access = c.withCatalogService(h.Identifier, h.Access)
		res.Hits = append(res.Hits, h)
		docs = append(docs, d)
	}
	return res, docs, nil
}

// addHints computes the hints of a page of results, on up to GOMAXPROCS
// goroutines: a decision of the rulebook takes about 0.2 ms.
func (c *Catalog) addHints(hits []Hit, docs []*doc, to []string) {
	now := c.now()
	workers := min(runtime.GOMAXPROCS(0), len(hits))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(hits); i += workers {
				hits[i].Hints = c.hintsFor(docs[i], to, now)
				sortHints(hits[i].Hints)
			}
		}(w)
	}
	wg.Wait()
}

func upperAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToUpper(s)
	}
	return out
}

func round4(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 4, 64), 64)
	return v
}

// plan resolves the query's words to terms and its filters to facet codes.
func (ix *index) plan(q Query) (*plan, error) {
	p := &plan{}
	for _, w := range q.Words {
		for _, g := range ix.wordGroups(w) {
			if len(p.groups) == 32 {
				return nil, inputErr("query", "has more than 32 terms")
			}
			p.groups = append(p.groups, g)
		}
	}
	for _, w := range q.Excluded {
		var terms []int32
		missing := false
		for _, g := range ix.wordGroups(Word{Text: w.Text}) {
			if len(g) == 0 {
				missing = true
				break
			}
			terms = append(terms, g[0].term)
		}
		if !missing && len(terms) > 0 {
			p.excluded = append(p.excluded, terms)
		}
	}
	for field, vals := range q.Filters {
		switch field {
		case filterSpace:
			p.space = append(p.space, lowerAll(vals)...)
			continue
		case filterOwner:
			p.owner = append(p.owner, vals...)
			continue
		}
		f := slices.Index(Facets(), field)
		if f != fQuality {
			p.hasF[f] = true
		}
		if p.filters[f] == nil {
			p.filters[f] = make([]bool, len(ix.facets[f].values))
		}
		for _, v := range vals {
			switch f {
			case fQuality:
				if err := p.qualityFilter(ix, v); err != nil {
					return nil, err
				}
			case fGeo:
				v = strings.ToUpper(v)
				for code, val := range ix.facets[f].values {
					if val == v || strings.HasPrefix(val, v+"-") {
						p.filters[f][code] = true
					}
				}
			case fSovereignty:
				v = strings.ToUpper(v)
				fallthrough
			default:
				if f != fSovereignty && f != fFrequency {
					v = strings.ToLower(v)
				}
				if code, ok := ix.facets[f].codes[v]; ok {
					p.filters[f][code] = true
				}
			}
		}
	}
	return p, nil
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// qualityFilter reads a quality filter value: a bucket (90-100, 80-89,
// 60-79, 0-59, unrated) or a bound (>=80, >80, <=60, <60).
func (p *plan) qualityFilter(ix *index, v string) error {
	for _, op := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(v, op); ok {
			n, err := strconv.ParseFloat(rest, 64)
			if err != nil || n < 0 || n > 100 {
				return inputErr("quality", "%q: want a bound such as >=80 (0 to 100)", v)
			}
			if !p.hasQ {
				p.minQ, p.maxQ, p.hasQ = -1, 101, true
			}
			switch op {
			case ">=":
				p.minQ = max(p.minQ, n)
			case ">":
				p.minQ = max(p.minQ, n+1e-9)
			case "<=":
				p.maxQ = min(p.maxQ, n)
			case "<":
				p.maxQ = min(p.maxQ, n-1e-9)
			}
			return nil
		}
	}
	switch v {
	case "90-100", "80-89", "60-79", "0-59", "unrated":
		p.hasF[fQuality] = true
		if code, ok := ix.facets[fQuality].codes[v]; ok {
			p.filters[fQuality][code] = true
		}
		return nil
	}
	return inputErr("quality", "%q: want a bucket (90-100, 80-89, 60-79, 0-59, unrated) or a bound such as >=80", v)
}

// passesFixed applies the filters that are not facets: space, owner and a
// quality bound.
func (p *plan) passesFixed(ix *index, id int32, h *hot) bool {
	if p.hasQ && (!h.hasQual() || float64(h.quality) < p.minQ || float64(h.quality) > p.maxQ) {
		return false
	}
	if len(p.space) > 0 && !slices.Contains(p.space, ix.docs[id].space) {
		return false
	}
	if len(p.owner) > 0 && !slices.Contains(p.owner, ix.docs[id].owner) {
		return false
	}
	return true
}

// failing returns the bit set of facets whose filter d fails.
func (p *plan) failing(ix *index, id int32) uint32 {
	var fail uint32
	for f := 0; f < nFacets; f++ {
		if !p.hasF[f] {
			continue
		}
		ok := false
		for _, v := range ix.facet(id, f) {
			if p.filters[f][v] {
				ok = true
				break
			}
		}
		if !ok {
			fail |= 1 << f
		}
	}
	return fail
}

// wordGroups returns the term groups of a word: one group per CJK bigram
// (or the single character), one group per Latin token with its prefix
// expansions.
func (ix *index) wordGroups(w Word) [][]weighted {
	var groups [][]weighted
	for _, t := range tokensOf(w.Text, false) {
		var g []weighted
		if id, ok := ix.termIDs[t.text]; ok {
			g = append(g, weighted{id, 1})
		}
		if !t.cjk && (w.Prefix || runeLen(t.text) >= 3) {
			weight := 0.5
			if w.Prefix {
				weight = 1
			}
			for _, x := range ix.prefixTerms(t.text, maxExpansion) {
				g = append(g, weighted{ix.termIDs[x], weight})
			}
		}
		groups = append(groups, g)
	}
	return groups
}

// accumulate scores every document that matches at least one group.
func (ix *index) accumulate(p *plan) *scratch {
	sc, _ := ix.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	n := len(ix.docs)
	if cap(sc.score) < n {
		sc.score = make([]float64, n, n+n/4)
		sc.mask = make([]uint32, n, n+n/4)
	}
	sc.score, sc.mask = sc.score[:n], sc.mask[:n]
	sc.touched = sc.touched[:0]
	for g, terms := range p.groups {
		bit := uint32(1) << g
		for _, t := range terms {
			pl := &ix.postings[t.term]
			w := idf(pl.df, ix.live) * t.weight
			for j, d := range pl.docs {
				if sc.mask[d] == 0 {
					sc.touched = append(sc.touched, d)
				}
				sc.mask[d] |= bit
				sc.score[d] += w * float64(pl.impacts[j])
			}
		}
	}
	return sc
}

func (ix *index) release(sc *scratch) {
	for _, d := range sc.touched {
		sc.score[d], sc.mask[d] = 0, 0
	}
	sc.touched = sc.touched[:0]
	ix.pool.Put(sc)
}

func (p *plan) isExcluded(ix *index, id int32) bool {
	for _, terms := range p.excluded {
		all := true
		for _, t := range terms {
			if _, found := slices.BinarySearch(ix.postings[t].docs, id); !found {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// ranked is a candidate result.
type ranked struct {
	id    int32
	score float64
}

// hitHeap keeps the best k results; the root is the worst of them.
type hitHeap struct {
	by    string
	ix    *index
	items []ranked
}

// better reports whether a ranks before b.
func (h *hitHeap) better(a, b ranked) bool {
	ha, hb := &h.ix.hot[a.id], &h.ix.hot[b.id]
	switch h.by {
	case "relevance":
		if a.score != b.score {
			return a.score > b.score
		}
		if ha.modified != hb.modified {
			return ha.modified > hb.modified
		}
	case "modified":
		if ha.modified != hb.modified {
			return ha.modified > hb.modified
		}
	case "quality":
		qa, qb := float32(-1), float32(-1)
		if ha.hasQual() {
			qa = ha.quality
		}
		if hb.hasQual() {
			qb = hb.quality
		}
		if qa != qb {
			return qa > qb
		}
	}
	return h.ix.docs[a.id].id < h.ix.docs[b.id].id
}

func (h *hitHeap) Len() int           { return len(h.items) }
func (h *hitHeap) Less(i, j int) bool { return h.better(h.items[j], h.items[i]) }
func (h *hitHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *hitHeap) Push(x any)         { h.items = append(h.items, x.(ranked)) }
func (h *hitHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

func (h *hitHeap) offer(r ranked, k int) {
	if len(h.items) < k {
		heap.Push(h, r)
		return
	}
	if h.better(r, h.items[0]) {
		h.items[0] = r
		heap.Fix(h, 0)
	}
}

func (h *hitHeap) sorted() []ranked {
	out := slices.Clone(h.items)
	slices.SortFunc(out, func(a, b ranked) int {
		if h.better(a, b) {
			return -1
		}
		if h.better(b, a) {
			return 1
		}
		return 0
	})
	return out
}
