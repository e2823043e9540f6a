package psi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"

	"github.com/gtank/ristretto255"
)

// Conn carries one party's messages to the other and back, in order.
type Conn interface {
	Send(ctx context.Context, msg []byte) error
	Recv(ctx context.Context) ([]byte, error)
}

// Config is what both parties agree on before they start; they must pass
// equal values.
type Config struct {
	// Session is the agreement or task id: bound into the hash-to-group
	// domain separation and into every message.
	Session string
	Mode    Mode
	// Group is the group the masking runs in: GroupRistretto255 (the
	// default) or GroupX25519. ModeSum's ElGamal encryption stays on
	// ristretto255 either way.
	Group Group
	// RevealToB makes A tell B the output (the intersection, or the size).
	RevealToB bool
	// BatchSize is the number of items per message; 0 means 4096.
	BatchSize int
	// Progress, if set, is called after each batch.
	Progress func(Progress)
}

// Progress reports how far a party got.
type Progress struct {
	Party       string // "A" or "B"
	Stage       string // "mask", "double-mask", "match"
	Done, Total int
}

// Result is what one party learned.
type Result struct {
	// Learned reports whether this party learned the size (and the
	// intersection or sum, per mode).
	Learned bool
	Size    int
	// Keys is the intersection, sorted (ModeIntersection).
	Keys []string
	// Sum of B's values over the intersection (ModeSum).
	Sum    uint64
	HasSum bool
	// OwnSize and PeerSize are the set sizes after deduplication; Dups is
	// how many duplicate keys were dropped from this party's input.
	OwnSize, PeerSize, Dups int
}

func (c *Config) check() error {
	if err := validSession(c.Session); err != nil {
		return fmt.Errorf("psi: %w", err)
	}
	if itemWidth(StepMaskedA, c.Mode) == 0 || c.Mode < ModeIntersection || c.Mode > ModeSum {
		return fmt.Errorf("psi: unknown mode %d", c.Mode)
	}
	if !c.Group.valid() {
		return fmt.Errorf("psi: unknown group %d", c.Group)
	}
	if c.BatchSize < 0 || c.BatchSize > MaxBatch {
		return fmt.Errorf("psi: batch size must be 1 to %d", MaxBatch)
	}
	return nil
}

func (c *Config) batch() int {
	if c.BatchSize == 0 {
		return 4096
	}
	return c.BatchSize
}

func (c *Config) progress(party, stage string, done, total int) {
	if c.Progress != nil {
		c.Progress(Progress{party, stage, done, total})
	}
}

// dedupe drops repeated keys, keeping the first.
func dedupe(keys []string) ([]string, int) {
	seen := make(map[string]struct{}, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, k)
	}
	return out, len(keys) - len(out)
}

// sendBatches sends n items of step in batches; fill computes items
// [lo, hi) into out, in parallel.
func sendBatches(ctx context.Context, c *Config, conn Conn, party, stage string, step Step, n int, fill func(lo, hi int, out []byte) error) error {
	w := itemWidth(step, c.Mode)
	bs := c.batch()
	seq := uint32(0)
	for lo := 0; lo < n || (n == 0 && seq == 0); lo += bs {
		hi := min(lo+bs, n)
		out := make([]byte, (hi-lo)*w)
		err := parallel(hi-lo, func(a, b int) error { return fill(lo+a, lo+b, out[a*w:b*w]) })
		if err != nil {
			return err
		}
		if err := send(ctx, conn, &Message{Session: c.Session, Mode: c.Mode, Group: c.Group, Step: step, Seq: seq, Last: hi == n, Items: out}); err != nil {
			return err
		}
		seq++
		c.progress(party, stage, hi, n)
	}
	return nil
}

func send(ctx context.Context, conn Conn, m *Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	return conn.Send(ctx, b)
}

// maskKeys fills out with H(k)^s for keys[lo:hi].
func maskKeys(d []byte, s exponent, keys []string, lo, hi int, out []byte, w int) error {
	return s.hashExpBatch(d, keys[lo:hi], func(i int) []byte { return out[i*w : i*w+pointLen] })
}

// RunA runs party A over conn with its keys.
func RunA(ctx context.Context, c Config, conn Conn, keys []string) (*Result, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	keys, dups := dedupe(keys)
	res := &Result{Learned: true, OwnSize: len(keys), Dups: dups}
	a, err := newExponent(c.Group)
	if err != nil {
		return nil, err
	}
	d := c.Group.dst(c.Session)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sent := make(chan error, 1)
	go func() {
		sent <- sendBatches(ctx, &c, conn, "A", "mask", StepMaskedA, len(keys), func(lo, hi int, out []byte) error {
			return maskKeys(d, a, keys, lo, hi, out, pointLen)
		})
	}()
	fail := func(err error) (*Result, error) {
		cancel()
		<-sent
		return nil, err
	}
	r := &receiver{session: c.Session, mode: c.Mode, group: c.Group}
	if c.Mode == ModeSum {
		r.steps = append(r.steps, StepPublicKey)
	}
	r.steps = append(r.steps, StepDoubleMasked, StepMaskedB)
	if c.Mode == ModeSum {
		r.steps = append(r.steps, StepSum)
	}

	var pk *ristretto255.Element
	if c.Mode == ModeSum {
		m, err := recv(ctx, conn, r)
		if err != nil {
			return fail(err)
		}
		if pk, err = decodePoint(m.Item(0)); err != nil {
			return fail(err)
		}
	}
	// Step 2: B's double-masked tags of our keys.
	tags := make(map[[TagLen]byte]int32, len(keys))
	for pos := 0; ; {
		m, err := recv(ctx, conn, r)
		if err != nil {
			return fail(err)
		}
		for i := 0; i < m.Count(); i++ {
			if pos >= len(keys) {
				return fail(fmt.Errorf("%w: more tags than keys", ErrUnexpected))
			}
			t := [TagLen]byte(m.Item(i))
			if _, dup := tags[t]; dup {
				return fail(fmt.Errorf("%w: duplicate tag from B", ErrUnexpected))
			}
			idx := int32(-1)
			if c.Mode == ModeIntersection {
				idx = int32(pos)
			}
			tags[t] = idx
			pos++
		}
		if m.Last {
			if pos != len(keys) {
				return fail(fmt.Errorf("%w: %d tags for %d keys", ErrUnexpected, pos, len(keys)))
			}
			break
		}
	}
	// Step 3: B's masked set; raise to a and look up.
	var (
		matchA []string
		matchB []uint32
		agg    = ciphertext{ristretto255.NewElement().Zero(), ristretto255.NewElement().Zero()}
		seen   = make(map[[TagLen]byte]struct{}, len(keys)) // a hint: B's size is not known yet
		bPos   = 0
	)
	for {
		m, err := recv(ctx, conn, r)
		if err != nil {
			return fail(err)
		}
		n := m.Count()
		w := itemWidth(StepMaskedB, c.Mode)
		got := make([][TagLen]byte, n)
		var cts []ciphertext
		if c.Mode == ModeSum {
			cts = make([]ciphertext, n)
		}
		err = parallel(n, func(lo, hi int) error {
			buf := make([]byte, (hi-lo)*pointLen)
			err := a.expBatch(hi-lo,
				func(i int) []byte { return m.Items[(lo+i)*w : (lo+i)*w+pointLen] },
				func(i int) []byte { return buf[i*pointLen : (i+1)*pointLen] })
			if err != nil {
				return err
			}
			for i := lo; i < hi; i++ {
				got[i] = [TagLen]byte(buf[(i-lo)*pointLen:])
				if cts != nil {
					it := m.Items[i*w : (i+1)*w]
					if cts[i], err = decodeCiphertext(it[pointLen:]); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fail(err)
		}
		for i, t := range got {
			if _, dup := seen[t]; dup {
				return fail(fmt.Errorf("%w: duplicate element from B", ErrUnexpected))
			}
			seen[t] = struct{}{}
			idx, ok := tags[t]
			if ok {
				res.Size++
				switch c.Mode {
				case ModeIntersection:
					matchA = append(matchA, keys[idx])
					matchB = append(matchB, uint32(bPos+i))
				case ModeSum:
					agg.c1.Add(agg.c1, cts[i].c1)
					agg.c2.Add(agg.c2, cts[i].c2)
				}
			}
		}
		bPos += n
		c.progress("A", "match", bPos, 0)
		if m.Last {
			break
		}
	}
	res.PeerSize = bPos
	if err := <-sent; err != nil {
		return nil, err
	}
	slices.Sort(matchA)
	res.Keys = matchA
	// Finals.
	switch c.Mode {
	case ModeIntersection:
		if c.RevealToB {
			err := sendBatches(ctx, &c, conn, "A", "reveal", StepIndices, len(matchB), func(lo, hi int, out []byte) error {
				for i := lo; i < hi; i++ {
					binary.BigEndian.PutUint32(out[(i-lo)*4:], matchB[i])
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	case ModeCardinality, ModeSum:
		if c.RevealToB {
			if err := send(ctx, conn, &Message{Session: c.Session, Mode: c.Mode, Group: c.Group, Step: StepCount, Last: true, Items: binary.BigEndian.AppendUint64(nil, uint64(res.Size))}); err != nil {
				return nil, err
			}
		}
	}
	if c.Mode == ModeSum {
		// Re-randomise so that B cannot tell which of its ciphertexts were added.
		z, err := encrypt(pk, 0)
		if err != nil {
			return nil, err
		}
		agg.c1.Add(agg.c1, z.c1)
		agg.c2.Add(agg.c2, z.c2)
		out := make([]byte, 2*pointLen)
		agg.encode(out)
		if err := send(ctx, conn, &Message{Session: c.Session, Mode: c.Mode, Group: c.Group, Step: StepAggregate, Last: true, Items: out}); err != nil {
			return nil, err
		}
		m, err := recv(ctx, conn, r)
		if err != nil {
			return nil, err
		}
		res.Sum, res.HasSum = binary.BigEndian.Uint64(m.Item(0)), true
	}
	return res, nil
}

func recv(ctx context.Context, conn Conn, r *receiver) (*Message, error) {
	b, err := conn.Recv(ctx)
	if err != nil {
		return nil, err
	}
	return r.accept(b)
}

// ErrDuplicateValues is returned when B's input to PSI-sum repeats a key.
var ErrDuplicateValues = errors.New("psi: duplicate keys in B's input; PSI-sum needs one value per key")

// RunB runs party B over conn with its keys and, in ModeSum, one value per
// key (values is ignored otherwise). In ModeSum duplicate keys are refused
// rather than dropped, since their values would be ambiguous.
func RunB(ctx context.Context, c Config, conn Conn, keys []string, values []uint64) (*Result, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var sk *ristretto255.Scalar
	var pk *ristretto255.Element
	if c.Mode == ModeSum {
		if len(values) != len(keys) {
			return nil, fmt.Errorf("psi: %d values for %d keys", len(values), len(keys))
		}
		var total uint64
		for _, v := range values {
			total += v
			if v >= MaxSum || total >= MaxSum {
				return nil, ErrSumRange
			}
		}
	}
	dk, dups := dedupe(keys)
	if c.Mode == ModeSum && dups > 0 {
		return nil, ErrDuplicateValues
	}
	res := &Result{Learned: c.RevealToB || c.Mode == ModeSum, OwnSize: len(dk), Dups: dups}
	// A random order for our set, in every mode.
	perm := make([]int, len(dk))
	for i := range perm {
		perm[i] = i
	}
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	rng := mrand.New(mrand.NewChaCha8(seed))
	rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	order := make([]string, len(dk))
	for i, p := range perm {
		order[i] = dk[p]
	}
	var ordVals []uint64
	if c.Mode == ModeSum {
		ordVals = make([]uint64, len(dk))
		for i, p := range perm {
			ordVals[i] = values[p] // no duplicates, so dk[p] == keys[p]
		}
	}
	b, err := newExponent(c.Group)
	if err != nil {
		return nil, err
	}
	if c.Mode == ModeSum {
		if sk, err = randomScalar(); err != nil {
			return nil, err
		}
		pk = ristretto255.NewElement().ScalarBaseMult(sk)
		out := pk.Encode(nil)
		if err := send(ctx, conn, &Message{Session: c.Session, Mode: c.Mode, Group: c.Group, Step: StepPublicKey, Last: true, Items: out}); err != nil {
			return nil, err
		}
	}
	r := &receiver{session: c.Session, mode: c.Mode, group: c.Group, steps: []Step{StepMaskedA}}
	switch {
	case c.Mode == ModeIntersection && c.RevealToB:
		r.steps = append(r.steps, StepIndices)
	case c.Mode == ModeCardinality && c.RevealToB:
		r.steps = append(r.steps, StepCount)
	case c.Mode == ModeSum:
		if c.RevealToB {
			r.steps = append(r.steps, StepCount)
		}
		r.steps = append(r.steps, StepAggregate)
	}
	// Step 2: raise A's points to b.
	var all []byte // shuffled modes: every tag, shuffled at the end
	for pos := 0; ; {
		m, err := recv(ctx, conn, r)
		if err != nil {
			return nil, err
		}
		n := m.Count()
		out := make([]byte, n*TagLen)
		err = parallel(n, func(lo, hi int) error {
			buf := make([]byte, (hi-lo)*pointLen)
			err := b.expBatch(hi-lo, func(i int) []byte { return m.Item(lo + i) },
				func(i int) []byte { return buf[i*pointLen : (i+1)*pointLen] })
			if err != nil {
				return err
			}
			for i := lo; i < hi; i++ {
				copy(out[i*TagLen:(i+1)*TagLen], buf[(i-lo)*pointLen:])
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		pos += n
		if c.Mode == ModeIntersection {
			if err := send(ctx, conn, &Message{Session: c.Session, Mode: c.Mode, Group: c.Group, Step: StepDoubleMasked, Seq: m.Seq, Last: m.Last, Items: out}); err != nil {
				return nil, err
			}
		} else {
			all = append(all, out...)
		}
		c.progress("B", "double-mask", pos, 0)
		if m.Last {
			res.PeerSize = pos
			break
		}
	}
	if c.Mode != ModeIntersection {
		n := len(all) / TagLen
		var tmp [TagLen]byte
		rng.Shuffle(n, func(i, j int) {
			copy(tmp[:], all[i*TagLen:])
			copy(all[i*TagLen:(i+1)*TagLen], all[j*TagLen:(j+1)*TagLen])
			copy(all[j*TagLen:], tmp[:])
		})
		err := sendBatches(ctx, &c, conn, "B", "send", StepDoubleMasked, n, func(lo, hi int, out []byte) error {
			copy(out, all[lo*TagLen:hi*TagLen])
			return nil
		})
		if err != nil {
			return nil, err
		}
		all = nil
	}
	// Step 3: our set, masked (and the values encrypted).
	d := c.Group.dst(c.Session)
	w := itemWidth(StepMaskedB, c.Mode)
	err = sendBatches(ctx, &c, conn, "B", "mask", StepMaskedB, len(order), func(lo, hi int, out []byte) error {
		if err := maskKeys(d, b, order, lo, hi, out, w); err != nil {
			return err
		}
		if c.Mode == ModeSum {
			for i := lo; i < hi; i++ {
				ct, err := encrypt(pk, ordVals[i])
				if err != nil {
					return err
				}
				ct.encode(out[(i-lo)*w+pointLen:])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Finals.
	switch c.Mode {
	case ModeIntersection:
		if c.RevealToB {
			got := make(map[uint32]bool)
			for {
				m, err := recv(ctx, conn, r)
				if err != nil {
					return nil, err
				}
				for i := 0; i < m.Count(); i++ {
					idx := binary.BigEndian.Uint32(m.Item(i))
					if int(idx) >= len(order) || got[idx] {
						return nil, fmt.Errorf("%w: bad or repeated index %d", ErrUnexpected, idx)
					}
					got[idx] = true
					res.Keys = append(res.Keys, order[idx])
				}
				if m.Last {
					break
				}
			}
			slices.Sort(res.Keys)
			res.Size = len(res.Keys)
		}
	case ModeCardinality, ModeSum:
		if c.RevealToB {
			m, err := recv(ctx, conn, r)
			if err != nil {
				return nil, err
			}
			cnt := binary.BigEndian.Uint64(m.Item(0))
			if cnt > uint64(min(len(order), res.PeerSize)) {
				return nil, fmt.Errorf("%w: size %d exceeds the sets", ErrUnexpected, cnt)
			}
			res.Size = int(cnt)
		}
	}
	if c.Mode == ModeSum {
		m, err := recv(ctx, conn, r)
		if err != nil {
			return nil, err
		}
		ct, err := decodeCiphertext(m.Item(0))
		if err != nil {
			return nil, err
		}
		sum, err := decrypt(sk, ct)
		if err != nil {
			return nil, err
		}
		res.Sum, res.HasSum = sum, true
		if err := send(ctx, conn, &Message{Session: c.Session, Mode: c.Mode, Group: c.Group, Step: StepSum, Last: true, Items: binary.BigEndian.AppendUint64(nil, sum)}); err != nil {
			return nil, err
		}
	}
	return res, nil
}
