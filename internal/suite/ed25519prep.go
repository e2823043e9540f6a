package suite

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Prepared Ed25519 verification.
//
// Verification checks that the encoding of R' = [S]B - [k]A, with
// k = SHA-512(R || A || M) mod l, equals R (RFC 8032 §5.1.7 without the
// cofactor, exactly as crypto/ed25519 does). With the key fixed, both
// scalar multiplications are by a fixed point, so each point gets a table
// of signed-digit multiples, one row per digit position:
//
//	row j, column i-1 = [i·2^(w·j)]P  for i = 1 … 2^(w-1)
//
// stored in affine "Niels" form (y+x, y-x, 2d·x·y). A scalar is recoded in
// radix 2^w with digits in (-2^(w-1), 2^(w-1)], and [s]P is the sum of one
// table entry (or its negation) per nonzero digit: no doublings at all, and
// each mixed addition costs 7 field multiplications. The base point's table
// is built once per process; a public key's table when it is prepared.
// Per verification: 32 additions for [S]B (w = 8), 51 for [k]A (w = 5),
// one field inversion to read the sign of x, and SHA-512; against 253
// doublings and about 70 additions in crypto/ed25519.
//
// Everything here handles public data only and is variable-time.

const (
	// ed25519KeyWindow is the digit width of a public key's table: 51 rows
	// of 16 entries of 120 bytes, 97,920 bytes per key.
	ed25519KeyWindow = 5
	// ed25519BaseWindow is the digit width of the base point's table,
	// shared by every verifier: 32 rows of 128 entries, 491,520 bytes.
	ed25519BaseWindow = 8
)

// Ed25519Verifier verifies Ed25519 signatures by one public key with
// precomputed tables. It accepts exactly the signatures crypto/ed25519.Verify
// accepts for that key. It is immutable and safe for concurrent use.
type Ed25519Verifier struct {
	pub   [ed25519.PublicKeySize]byte // the key as given, hashed into k
	table *edTable                    // multiples of A
	base  *edTable                    // multiples of B, shared
}

// PrepareEd25519 builds a verifier for pub, which must be 32 bytes that
// decode to a curve point as crypto/ed25519 decodes them (non-canonical and
// small-order encodings included: they are accepted there too). Preparing
// builds a 96 KiB table in about 0.25 ms, the time of five
// crypto/ed25519 verifications; a prepared verification takes about 30%
// of one (see the BenchmarkEd25519 benchmarks). The first call also builds
// the shared 480 KiB table of the base point, in about 1 ms.
func PrepareEd25519(pub ed25519.PublicKey) (*Ed25519Verifier, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("ed25519: public key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	var a edwards25519.Point
	if _, err := a.SetBytes(pub); err != nil {
		return nil, errors.New("ed25519: public key is not a curve point")
	}
	v := &Ed25519Verifier{base: ed25519BaseTable()}
	copy(v.pub[:], pub)
	var p edExt
	v.table = newEdTable(p.fromPoint(&a), ed25519KeyWindow)
	return v, nil
}

// Verify reports whether sig is a valid signature of msg by the prepared
// key, with the same result as crypto/ed25519.Verify.
func (v *Ed25519Verifier) Verify(msg, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize || sig[63]&0xe0 != 0 {
		return false
	}
	// S must be canonical, below the group order l.
	if _, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	var digest [sha512.Size]byte
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(v.pub[:])
	h.Write(msg)
	h.Sum(digest[:0])
	k, err := new(edwards25519.Scalar).SetUniformBytes(digest[:])
	if err != nil {
		panic("suite: SetUniformBytes rejected 64 bytes")
	}
	var s, kb [32]byte
	copy(s[:], sig[32:])
	copy(kb[:], k.Bytes())

	// R' = [S]B + [k](-A).
	var r edExt
	r.identity()
	v.base.mulAdd(&r, &s, false)
	v.table.mulAdd(&r, &kb, true)
	return r.encodes(sig[:32])
}

// ed25519BaseTable is the table of the base point B, built on first use
// and never modified afterwards.
var ed25519BaseTable = sync.OnceValue(func() *edTable {
	var b edExt
	return newEdTable(b.fromPoint(edwards25519.NewGeneratorPoint()), ed25519BaseWindow)
})

// ed2D is 2d, d = -121665/121666 the curve constant of edwards25519
// (RFC 8032 §5.1), computed from its definition.
var ed2D = func() field.Element {
	var one, num, den, d field.Element
	one.One()
	num.Mult32(&one, 121665)
	num.Negate(&num)
	den.Mult32(&one, 121666)
	d.Multiply(&num, den.Invert(&den))
	return *d.Add(&d, &d)
}()

// edExt is a point in extended coordinates (X:Y:Z:T): x = X/Z, y = Y/Z,
// x·y = T/Z (Hisil, Wong, Carter, Dawson, "Twisted Edwards curves
// revisited", 2008). The addition and doubling formulas below are complete
// on edwards25519 (a = -1 is a square, d is not), so they hold for every
// pair of curve points, small-order ones and the identity included, and Z
// is never zero.
type edExt struct{ X, Y, Z, T field.Element }

// edNiels is an affine point as (y+x, y-x, 2d·x·y), the operand of a mixed
// addition.
type edNiels struct{ YplusX, YminusX, XY2d field.Element }

// edCached is a projective point as (Y+X, Y-X, 2Z, 2d·T), the operand of a
// general addition (used only while building tables).
type edCached struct{ YplusX, YminusX, Z2, T2d field.Element }

func (v *edExt) identity() *edExt {
	v.X.Zero()
	v.Y.One()
	v.Z.One()
	v.T.Zero()
	return v
}

func (v *edExt) fromPoint(p *edwards25519.Point) *edExt {
	X, Y, Z, T := p.ExtendedCoordinates()
	v.X.Set(X)
	v.Y.Set(Y)
	v.Z.Set(Z)
	v.T.Set(T)
	return v
}

func (c *edCached) fromExt(p *edExt) *edCached {
	c.YplusX.Add(&p.Y, &p.X)
	c.YminusX.Subtract(&p.Y, &p.X)
	c.Z2.Add(&p.Z, &p.Z)
	c.T2d.Multiply(&p.T, &ed2D)
	return c
}

// finish sets v from the intermediate values E, F, G, H of the HWCD
// formulas: X = EF, Y = GH, Z = FG, T = EH.
func (v *edExt) finish(e, f, g, h *field.Element) *edExt {
	v.X.Multiply(e, f)
	v.Y.Multiply(g, h)
	v.Z.Multiply(f, g)
	v.T.Multiply(e, h)
	return v
}

// addCached sets v = p + q (add-2008-hwcd-3 with k = 2d).
func (v *edExt) addCached(p *edExt, q *edCached) *edExt {
	var a, b, c, d, e, f, g, h field.Element
	a.Subtract(&p.Y, &p.X)
	a.Multiply(&a, &q.YminusX)
	b.Add(&p.Y, &p.X)
	b.Multiply(&b, &q.YplusX)
	c.Multiply(&p.T, &q.T2d)
	d.Multiply(&p.Z, &q.Z2)
	e.Subtract(&b, &a)
	f.Subtract(&d, &c)
	g.Add(&d, &c)
	h.Add(&b, &a)
	return v.finish(&e, &f, &g, &h)
}

// addNiels sets v = p + q, or p - q when neg, for an affine q (the mixed
// addition madd-2008-hwcd-3; -q swaps y+x and y-x and negates 2dxy).
func (v *edExt) addNiels(p *edExt, q *edNiels, neg bool) *edExt {
	var a, b, c, d, e, f, g, h field.Element
	qp, qm := &q.YplusX, &q.YminusX
	if neg {
		qp, qm = qm, qp
	}
	a.Subtract(&p.Y, &p.X)
	a.Multiply(&a, qm)
	b.Add(&p.Y, &p.X)
	b.Multiply(&b, qp)
	c.Multiply(&p.T, &q.XY2d)
	d.Add(&p.Z, &p.Z)
	e.Subtract(&b, &a)
	h.Add(&b, &a)
	if neg {
		f.Add(&d, &c)
		g.Subtract(&d, &c)
	} else {
		f.Subtract(&d, &c)
		g.Add(&d, &c)
	}
	return v.finish(&e, &f, &g, &h)
}

// double sets v = 2p (dbl-2008-hwcd with a = -1).
func (v *edExt) double(p *edExt) *edExt {
	var a, b, c, e, f, g, h field.Element
	a.Square(&p.X)
	b.Square(&p.Y)
	c.Square(&p.Z)
	c.Add(&c, &c)
	e.Add(&p.X, &p.Y)
	e.Square(&e)
	e.Subtract(&e, &a)
	e.Subtract(&e, &b)
	g.Subtract(&b, &a) // aX² + Y² with a = -1
	f.Subtract(&g, &c)
	h.Add(&a, &b)
	h.Negate(&h) // aX² - Y²
	return v.finish(&e, &f, &g, &h)
}

// encodes reports whether enc is the RFC 8032 encoding of v: the 255-bit
// little-endian y, reduced below p, with the sign (low bit) of x on top.
// The y half is checked projectively, so that most wrong values are
// rejected without the field inversion.
func (v *edExt) encodes(enc []byte) bool {
	var y, t field.Element
	if _, err := y.SetBytes(enc); err != nil {
		return false
	}
	// SetBytes ignores the top bit and reduces y ≥ p; the encoding of a
	// point never has such a y.
	yb := y.Bytes()
	for i := range 31 {
		if yb[i] != enc[i] {
			return false
		}
	}
	if yb[31] != enc[31]&0x7f {
		return false
	}
	if t.Multiply(&y, &v.Z).Equal(&v.Y) != 1 {
		return false
	}
	var zinv, x field.Element
	zinv.Invert(&v.Z)
	x.Multiply(&v.X, &zinv)
	return x.IsNegative() == int(enc[31]>>7)
}

// edTable holds [i·2^(w·j)]P for i in 1 … 2^(w-1) and j in 0 … rows-1.
type edTable struct {
	w, rows int
	entries []edNiels // row-major, row j then i-1
}

// edRows is the number of radix-2^w digits that every scalar below 2^253
// (both S and k are below l < 2^253) recodes to without a final carry:
// rows·w ≥ 254.
func edRows(w int) int { return (254 + w - 1) / w }

func newEdTable(p *edExt, w int) *edTable {
	cols := 1 << (w - 1)
	rows := edRows(w)
	t := &edTable{w: w, rows: rows, entries: make([]edNiels, rows*cols)}

	// First pass: compute each entry projectively, parking X, Y, Z in the
	// entry's three fields, and pre[i] = Z_0 · … · Z_(i-1) for Montgomery's
	// trick, so that the whole table is normalized with one inversion.
	pre := make([]field.Element, len(t.entries))
	var acc field.Element
	acc.One()
	var row, cur edExt
	var c edCached
	row = *p
	for j := range rows {
		c.fromExt(&row)
		cur = row
		for i := range cols {
			if i > 0 {
				cur.addCached(&cur, &c)
			}
			k := j*cols + i
			e := &t.entries[k]
			e.YplusX, e.YminusX, e.XY2d = cur.X, cur.Y, cur.Z
			pre[k] = acc
			acc.Multiply(&acc, &cur.Z)
		}
		row.double(&cur) // [2·2^(w-1)·2^(w·j)]P = [2^(w·(j+1))]P
	}

	// Second pass, backwards: inv = 1/(Z_0 · … · Z_i) on entry to step i.
	var inv, zinv, x, y field.Element
	inv.Invert(&acc)
	for k := len(t.entries) - 1; k >= 0; k-- {
		e := &t.entries[k]
		zinv.Multiply(&inv, &pre[k])
		inv.Multiply(&inv, &e.XY2d)
		x.Multiply(&e.YplusX, &zinv)
		y.Multiply(&e.YminusX, &zinv)
		e.YplusX.Add(&y, &x)
		e.YminusX.Subtract(&y, &x)
		e.XY2d.Multiply(&x, &y)
		e.XY2d.Multiply(&e.XY2d, &ed2D)
	}
	return t
}

// recode writes the signed radix-2^w digits of the little-endian scalar s
// (below 2^253) to d, least significant first: s = Σ d[j]·2^(w·j) with
// d[j] in (-2^(w-1), 2^(w-1)].
func recode(d []int32, s *[32]byte, w int) {
	var buf [40]byte // room for an 8-byte load at any digit
	copy(buf[:], s[:])
	mask := uint64(1)<<w - 1
	half := int32(1) << (w - 1)
	var carry int32
	for j := range d {
		b := j * w
		digit := int32(binary.LittleEndian.Uint64(buf[b/8:])>>(b%8)&mask) + carry
		carry = 0
		if digit > half {
			digit -= 1 << w
			carry = 1
		}
		d[j] = digit
	}
}

// mulAdd sets v = v + [s]P, or v - [s]P when neg, for the table's P.
func (t *edTable) mulAdd(v *edExt, s *[32]byte, neg bool) {
	var digits [128]int32
	d := digits[:t.rows]
	recode(d, s, t.w)
	cols := 1 << (t.w - 1)
	for j, di := range d {
		if di == 0 {
			continue
		}
		n := neg
		if di < 0 {
			di, n = -di, !n
		}
		v.addNiels(v, &t.entries[j*cols+int(di)-1], n)
	}
}

// ed25519PrepareAfter is the number of valid signatures a key must have
// produced through a VerifierCache before the cache prepares it.
// Preparing costs about five unprepared verifications and saves about 70%
// of one per later verification, so it pays off from about the eighth
// verification on. Waiting for a second signature means that a key seen
// once (a one-off holder key) never pays for a table, while a key that
// keeps signing (an issuer, a peer connector) pays once and one
// unprepared verification late. Only valid signatures count: forged
// traffic cannot make the cache spend preparations on keys nobody signs
// with.
const ed25519PrepareAfter = 2

// VerifierCache verifies signatures exactly as Verify does, with prepared
// Ed25519 verifiers (see PrepareEd25519) for the public keys that keep
// signing. It keeps at most maxKeys prepared keys, about 96 KiB each, evicting
// the least recently used, and remembers up to 8·maxKeys other keys' counts
// of valid signatures (a few dozen bytes each); a key is prepared once it
// has produced ed25519PrepareAfter valid signatures. Other algorithms go
// straight to Verify. A VerifierCache is safe for concurrent use; a nil
// *VerifierCache, or one made with maxKeys ≤ 0, caches nothing.
type VerifierCache struct {
	maxKeys int

	mu       sync.Mutex
	prepared map[[32]byte]*cacheEntry
	lru      cacheEntry // sentinel: lru.next is the most recently used
	seen     map[[32]byte]sighting
	ring     [][32]byte // seen keys in arrival order, for eviction
	next     int        // the ring slot to overwrite next
}

type cacheEntry struct {
	key        [32]byte
	v          *Ed25519Verifier
	prev, next *cacheEntry
}

type sighting struct {
	count int
	slot  int // the key's ring slot
}

// NewVerifierCache returns a cache of at most maxKeys prepared Ed25519 keys.
func NewVerifierCache(maxKeys int) *VerifierCache {
	c := &VerifierCache{maxKeys: maxKeys}
	if maxKeys > 0 {
		c.prepared = make(map[[32]byte]*cacheEntry)
		c.seen = make(map[[32]byte]sighting)
		c.ring = make([][32]byte, 0, 8*maxKeys)
		c.lru.prev, c.lru.next = &c.lru, &c.lru
	}
	return c
}

// Verify checks sig over msg with pub under alg, with the same result and
// the same errors as the package function Verify.
func (c *VerifierCache) Verify(alg Alg, pub crypto.PublicKey, msg, sig []byte) error {
	if c == nil || c.maxKeys <= 0 || alg != Ed25519 {
		return Verify(alg, pub, msg, sig)
	}
	k, ok := pub.(ed25519.PublicKey)
	if !ok || len(k) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return Verify(alg, pub, msg, sig)
	}
	key := [32]byte(k)
	if v := c.get(&key); v != nil {
		if !v.Verify(msg, sig) {
			return fmt.Errorf("ed25519: %w", ErrBadSignature)
		}
		return nil
	}
	if err := Verify(alg, pub, msg, sig); err != nil {
		return err
	}
	if c.sighted(&key) {
		// Prepared outside the lock: it takes a few hundred microseconds.
		if v, err := PrepareEd25519(k); err == nil {
			c.put(&key, v)
		}
	}
	return nil
}

// get returns the prepared verifier for key, if any, marking it used.
func (c *VerifierCache) get(key *[32]byte) *Ed25519Verifier {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.prepared[*key]
	if e == nil {
		return nil
	}
	if c.lru.next != e {
		e.unlink()
		c.pushFront(e)
	}
	return e.v
}

// sighted counts one valid signature by key, an unprepared key, and
// reports whether the key is due for preparation; if so it is forgotten
// here, so that concurrent callers do not prepare it too.
func (c *VerifierCache) sighted(key *[32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.prepared[*key]; ok {
		return false // prepared meanwhile
	}
	s, ok := c.seen[*key]
	if ok {
		s.count++
		if s.count >= ed25519PrepareAfter {
			delete(c.seen, *key)
			return true
		}
		c.seen[*key] = s
		return false
	}
	if ed25519PrepareAfter <= 1 {
		return true
	}
	// A new key takes the oldest ring slot, forgetting the key there
	// unless that key has since moved on (prepared, or seen again later
	// in another slot).
	s = sighting{count: 1, slot: c.next}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, *key)
	} else {
		old := c.ring[c.next]
		if o, ok := c.seen[old]; ok && o.slot == c.next {
			delete(c.seen, old)
		}
		c.ring[c.next] = *key
	}
	c.next = (c.next + 1) % cap(c.ring)
	c.seen[*key] = s
	return false
}

// put adds a prepared verifier, evicting the least recently used beyond max.
func (c *VerifierCache) put(key *[32]byte, v *Ed25519Verifier) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.prepared[*key]; ok {
		return
	}
	delete(c.seen, *key)
	e := &cacheEntry{key: *key, v: v}
	c.prepared[*key] = e
	c.pushFront(e)
	for len(c.prepared) > c.maxKeys {
		old := c.lru.prev
		old.unlink()
		delete(c.prepared, old.key)
	}
}

func (c *VerifierCache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	e.prev.next, e.next.prev = e, e
}

func (e *cacheEntry) unlink() {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}
