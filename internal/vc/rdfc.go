package vc

import (
	"context"
	"encoding/hex"
	"hash"
	"sort"
	"strconv"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// This file implements RDF Dataset Canonicalization (RDFC-1.0, W3C REC
// 2024-05-21) over the datasets json-gold builds. json-gold's own URDNA2015
// is not used for three reasons: it has no work-factor limit (a "poison"
// dataset, reachable from an ordinary-looking JSON-LD document with
// repeated identical nested objects, takes exponential time), it is SHA-256
// only, and its N-Quads escaping differs from RDFC-1.0 §4.6 for control
// characters.

// DefaultRDFCWorkLimit bounds the Hash N-Degree Quads work (calls plus
// permutations examined) of one canonicalisation. The RDFC-1.0 test suite's
// hardest accepted cases need a few thousand; a 10-node blank-node clique
// needs millions.
const DefaultRDFCWorkLimit = 20000

type term struct {
	kind  byte // 'I' IRI, 'B' blank node, 'L' literal, 0 absent (default graph)
	value string
	dt    string
	lang  string
}

type quad [4]term // subject, predicate, object, graph

type rdfc struct {
	ctx       context.Context
	newHash   func() hash.Hash
	limit     int
	work      int
	quads     []quad
	bnQuads   map[string][]int // blank node id → indexes of the quads it appears in
	canonical *idIssuer
	firstDeg  map[string]string
}

type idIssuer struct {
	prefix  string
	counter int
	issued  map[string]string
	order   []string
}

func newIssuer(prefix string) *idIssuer {
	return &idIssuer{prefix: prefix, issued: map[string]string{}}
}

func (i *idIssuer) issue(id string) string {
	if v, ok := i.issued[id]; ok {
		return v
	}
	v := i.prefix + strconv.Itoa(i.counter)
	i.counter++
	i.issued[id] = v
	i.order = append(i.order, id)
	return v
}

func (i *idIssuer) clone() *idIssuer {
	c := &idIssuer{prefix: i.prefix, counter: i.counter, issued: make(map[string]string, len(i.issued)), order: append([]string(nil), i.order...)}
	for k, v := range i.issued {
		c.issued[k] = v
	}
	return c
}

// canonicalizeQuads returns the canonical N-Quads of quads.
func canonicalizeQuads(ctx context.Context, quads []quad, newHash func() hash.Hash, limit int) ([]byte, error) {
	c := &rdfc{
		ctx: ctx, newHash: newHash, limit: limit, quads: quads,
		bnQuads: map[string][]int{}, canonical: newIssuer("c14n"), firstDeg: map[string]string{},
	}
	for i, q := range quads {
		for _, pos := range []int{0, 2, 3} {
			if q[pos].kind == 'B' {
				ids := c.bnQuads[q[pos].value]
				if len(ids) == 0 || ids[len(ids)-1] != i {
					c.bnQuads[q[pos].value] = append(ids, i)
				}
			}
		}
	}
	// Steps 3-4: first-degree hashes; unique ones get canonical ids.
	hashToNodes := map[string][]string{}
	for _, n := range sortedKeys(c.bnQuads) {
		h := c.hashFirstDegree(n)
		hashToNodes[h] = append(hashToNodes[h], n)
	}
	hashes := sortedKeys(hashToNodes)
	for _, h := range hashes {
		if nodes := hashToNodes[h]; len(nodes) == 1 {
			c.canonical.issue(nodes[0])
			delete(hashToNodes, h)
		}
	}
	// Step 5: the rest, by N-degree hashes.
	for _, h := range hashes {
		nodes, ok := hashToNodes[h]
		if !ok {
			continue
		}
		type result struct {
			hash   string
			issuer *idIssuer
		}
		var results []result
		for _, n := range nodes {
			if _, done := c.canonical.issued[n]; done {
				continue
			}
			tmp := newIssuer("b")
			tmp.issue(n)
			hh, iss, err := c.hashNDegree(n, tmp)
			if err != nil {
				return nil, err
			}
			results = append(results, result{hh, iss})
		}
		sort.SliceStable(results, func(i, j int) bool { return results[i].hash < results[j].hash })
		for _, r := range results {
			for _, n := range r.issuer.order {
				c.canonical.issue(n)
			}
		}
	}
	// Step 6: relabel, serialise, sort.
	lines := make([]string, len(quads))
	for i, q := range quads {
		for _, pos := range []int{0, 2, 3} {
			if q[pos].kind == 'B' {
				q[pos].value = c.canonical.issued[q[pos].value]
			}
		}
		lines[i] = serializeQuad(q)
	}
	sort.Strings(lines)
	var b strings.Builder
	for i, l := range lines {
		if i > 0 && l == lines[i-1] {
			continue // a dataset is a set
		}
		b.WriteString(l)
	}
	return []byte(b.String()), nil
}

func (c *rdfc) hashString(s string) string {
	h := c.newHash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// hashFirstDegree is RDFC-1.0 §4.6 Hash First Degree Quads.
func (c *rdfc) hashFirstDegree(n string) string {
	if h, ok := c.firstDeg[n]; ok {
		return h
	}
	idx := c.bnQuads[n]
	lines := make([]string, len(idx))
	for i, qi := range idx {
		q := c.quads[qi]
		for _, pos := range []int{0, 2, 3} {
			if q[pos].kind == 'B' {
				if q[pos].value == n {
					q[pos].value = "a"
				} else {
					q[pos].value = "z"
				}
			}
		}
		lines[i] = serializeQuad(q)
	}
	sort.Strings(lines)
	h := c.hashString(strings.Join(lines, ""))
	c.firstDeg[n] = h
	return h
}

// hashRelated is RDFC-1.0 §4.7 Hash Related Blank Node.
func (c *rdfc) hashRelated(related string, q quad, issuer *idIssuer, position string) string {
	var b strings.Builder
	b.WriteString(position)
	if position != "g" {
		b.WriteString("<")
		b.WriteString(q[1].value)
		b.WriteString(">")
	}
	if id, ok := c.canonical.issued[related]; ok {
		b.WriteString("_:" + id)
	} else if id, ok := issuer.issued[related]; ok {
		b.WriteString("_:" + id)
	} else {
		b.WriteString(c.hashFirstDegree(related))
	}
	return c.hashString(b.String())
}

func (c *rdfc) spend() error {
	c.work++
	if c.work > c.limit {
		return newErr(CodeMalformed, nil, "RDF canonicalisation work limit (%d) exceeded: the document's blank nodes are too symmetric", c.limit)
	}
	if c.work&1023 == 0 {
		if err := c.ctx.Err(); err != nil {
			return newErr(CodeInternal, err, "canonicalisation cancelled")
		}
	}
	return nil
}

var positionNames = [4]string{"s", "p", "o", "g"}

// hashNDegree is RDFC-1.0 §4.8 Hash N-Degree Quads.
func (c *rdfc) hashNDegree(id string, issuer *idIssuer) (string, *idIssuer, error) {
	if err := c.spend(); err != nil {
		return "", nil, err
	}
	hn := map[string][]string{}
	for _, qi := range c.bnQuads[id] {
		q := c.quads[qi]
		for _, pos := range []int{0, 2, 3} {
			if q[pos].kind == 'B' && q[pos].value != id {
				h := c.hashRelated(q[pos].value, q, issuer, positionNames[pos])
				hn[h] = append(hn[h], q[pos].value)
			}
		}
	}
	var data strings.Builder
	for _, rh := range sortedKeys(hn) {
		data.WriteString(rh)
		chosenPath, chosenIssuer := "", (*idIssuer)(nil)
		var ferr error
		permute(hn[rh], func(perm []string) bool {
			if ferr = c.spend(); ferr != nil {
				return false
			}
			ic := issuer.clone()
			var path strings.Builder
			var recursion []string
			for _, rel := range perm {
				if cid, ok := c.canonical.issued[rel]; ok {
					path.WriteString("_:" + cid)
				} else {
					if _, ok := ic.issued[rel]; !ok {
						recursion = append(recursion, rel)
					}
					path.WriteString("_:" + ic.issue(rel))
				}
				if chosenPath != "" && path.Len() >= len(chosenPath) && path.String() > chosenPath {
					return true
				}
			}
			for _, rel := range recursion {
				h, iss, err := c.hashNDegree(rel, ic)
				if err != nil {
					ferr = err
					return false
				}
				path.WriteString("_:" + ic.issue(rel))
				path.WriteString("<" + h + ">")
				ic = iss
				if chosenPath != "" && path.Len() >= len(chosenPath) && path.String() > chosenPath {
					return true
				}
			}
			if chosenPath == "" || path.String() < chosenPath {
				chosenPath, chosenIssuer = path.String(), ic
			}
			return true
		})
		if ferr != nil {
			return "", nil, ferr
		}
		data.WriteString(chosenPath)
		issuer = chosenIssuer
	}
	return c.hashString(data.String()), issuer, nil
}

// permute calls f with every permutation of s (Heap's algorithm) until f
// returns false.
func permute(s []string, f func([]string) bool) {
	a := append([]string(nil), s...)
	n := len(a)
	idx := make([]int, n)
	if !f(a) {
		return
	}
	for i := 0; i < n; {
		if idx[i] < i {
			if i%2 == 0 {
				a[0], a[i] = a[i], a[0]
			} else {
				a[idx[i]], a[i] = a[i], a[idx[i]]
			}
			if !f(a) {
				return
			}
			idx[i]++
			i = 0
		} else {
			idx[i] = 0
			i++
		}
	}
}

// serializeQuad writes q as one canonical N-Quads line (RDFC-1.0 §4.6 and
// N-Quads canonical form).
func serializeQuad(q quad) string {
	var b strings.Builder
	for i, t := range q {
		if t.kind == 0 {
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		switch t.kind {
		case 'I':
			b.WriteString("<" + t.value + ">")
		case 'B':
			b.WriteString("_:" + t.value)
		case 'L':
			b.WriteByte('"')
			escapeLiteral(&b, t.value)
			b.WriteByte('"')
			if t.lang != "" {
				b.WriteString("@" + t.lang)
			} else if t.dt != "" && t.dt != ld.XSDString {
				b.WriteString("^^<" + t.dt + ">")
			}
		}
	}
	b.WriteString(" .\n")
	return b.String()
}

const hexDigits = "0123456789ABCDEF"

func escapeLiteral(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
	}
}

// quadsFromDataset converts a json-gold dataset.
func quadsFromDataset(ds *ld.RDFDataset) []quad {
	var out []quad
	for _, g := range sortedKeys(ds.Graphs) {
		for _, q := range ds.Graphs[g] {
			out = append(out, quad{termOf(q.Subject), termOf(q.Predicate), termOf(q.Object), termOf(q.Graph)})
		}
	}
	return out
}

func termOf(n ld.Node) term {
	switch v := n.(type) {
	case ld.IRI:
		return term{kind: 'I', value: v.Value}
	case ld.BlankNode:
		return term{kind: 'B', value: strings.TrimPrefix(v.Attribute, "_:")}
	case ld.Literal:
		return term{kind: 'L', value: v.Value, dt: v.Datatype, lang: v.Language}
	}
	return term{}
}
