// Package secagg computes joint statistics over N ≥ 2 parties' data by
// additive secret sharing, so that only the agreed aggregate is revealed:
// count, sum, mean, variance and histogram, overall or per group of an agreed
// group-by domain, with small groups suppressed.
//
// # Protocol (semi-honest)
//
// Each party first aggregates its own rows into a short vector per group:
// the count, and as the statistic needs, the sum, the sum of squares or the
// bin counts. It splits that vector into N additive shares over the ring
// Z_2^128, N-1 of them drawn from a per-run AES-128-CTR generator keyed from
// crypto/rand, and sends share j to party j (round 1). Each party adds the
// shares it holds. The parties then exchange the partial sums of the counts
// only (round 2), which reveals each group's joint count; a group whose count
// is below MinGroup (default 10) is suppressed. Last they exchange the
// partial sums of the other components of the kept groups only (round 3),
// which reveals those groups' aggregates. Mean and variance are computed
// from the revealed count, sum and sum of squares.
//
// # Why Z_2^128
//
// Machine words add modulo 2^64 for free, and additive shares are perfectly
// hiding in any finite group; a prime field would only add reductions. Two
// limbs are used because the sum of squares of 44-bit values over up to
// 2^38 rows needs 127 bits. Negative values are two's complement.
//
// # Value bounds
//
// Values are fixed-point integers (a decimal scale agreed by the parties).
// Run refuses any value with |x| > Config.MaxAbs (at most [MaxAbs] = 2^44),
// more than [MaxRowsPerParty] rows per party and more than [MaxParties]
// parties. Then every true total (count, sum, sum of squares) lies strictly
// inside (-2^127, 2^127) and the ring never wraps.
//
// # What is revealed
//
//   - To the output: for each kept group (count ≥ MinGroup) its key, count and
//     the requested statistic; for a histogram, each bin's count, bins with a
//     count below MinGroup shown as suppressed. Suppressed groups appear with
//     their key only.
//   - To every party, beyond the output: the joint count of every group of the
//     agreed domain, suppressed ones included (needed to decide suppression),
//     and the bin counts below MinGroup of kept groups (they are revealed with
//     the bins, then suppressed in the output).
//   - Never: a party's own values, counts or partial aggregates; the sums,
//     sums of squares and bins of suppressed groups.
//   - Group keys: the domain is agreed in advance and is public to all
//     parties. A party that proposes keys reveals that it may hold them; the
//     CLI's local mode derives the domain as the union of all parties' keys,
//     which is only acceptable because all parties run in one process.
//
// Security is semi-honest (honest but curious): a party that deviates can
// bias the result; channels are assumed authenticated and confidential (the
// connector provides both between nodes). Messages are bound to a session id
// and a round; malformed, misaddressed and replayed messages are refused.
package secagg

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
)

// Bounds that keep every total inside the ring (see the package doc).
const (
	MaxAbs          = 1 << 44
	MaxRowsPerParty = 1 << 32
	MaxParties      = 64
	MaxGroups       = 1 << 16
	MaxBins         = 1024
	// DefaultMinGroup is the smallest group (or bin) count shown.
	DefaultMinGroup = 10
)

// Stat is the statistic computed.
type Stat string

const (
	Count     Stat = "count"
	Sum       Stat = "sum"
	Mean      Stat = "mean"
	Variance  Stat = "variance" // population variance (divide by n)
	Histogram Stat = "histogram"
)

// ErrOutOfBounds is returned for an input outside the declared bounds.
var ErrOutOfBounds = errors.New("secagg: input outside the declared bounds")

// ErrConfig is matched (errors.Is) by every error about an invalid Config.
var ErrConfig = errors.New("secagg: invalid configuration")

type configError struct{ error }

func (configError) Is(target error) bool { return target == ErrConfig }

// Config is what the parties agree before a run.
type Config struct {
	Stat Stat
	// Groups is the agreed group-key domain; empty means one group.
	Groups []string
	// Edges are the agreed histogram bin edges, strictly increasing,
	// fixed-point: bins are (-inf, e0), [e0, e1), …, [e_last, +inf).
	Edges []int64
	// MinGroup suppresses groups and bins whose count is below it; 0 means
	// DefaultMinGroup.
	MinGroup int64
	// MaxAbs bounds |value|; 0 means MaxAbs.
	MaxAbs int64
	// Scale is the number of decimal digits of the fixed-point values
	// (0..9), used to present the results.
	Scale int
	// Session binds the messages to this run; zero means a random one.
	Session SessionID
	// Progress, if set, is called as parties advance (from several
	// goroutines, serialised by Run).
	Progress func(Progress)
}

// Progress reports one party's advance.
type Progress struct {
	Party int
	Phase string // "aggregate", "share", "counts", "values", "done"
	Done  int64  // rows aggregated so far (phase "aggregate")
	Total int64
}

// Input is one party's rows: values (fixed-point) and, with group-by, the
// index of each row's key in Config.Groups.
type Input struct {
	Values []int64
	Groups []int32
}

// Result is what the run reveals.
type Result struct {
	Stat     Stat          `json:"stat"`
	Parties  int           `json:"parties"`
	MinGroup int64         `json:"min_group"`
	Groups   []GroupResult `json:"groups"`
	// Suppressed counts the groups suppressed.
	Suppressed int `json:"suppressed_groups"`
}

// GroupResult is one group's aggregate; nil fields are not revealed.
type GroupResult struct {
	Key        string   `json:"key,omitempty"`
	Suppressed bool     `json:"suppressed,omitempty"`
	Count      *int64   `json:"count,omitempty"`
	Sum        *Decimal `json:"sum,omitempty"`
	Mean       *float64 `json:"mean,omitempty"`
	Variance   *float64 `json:"variance,omitempty"`
	Bins       []Bin    `json:"bins,omitempty"`
	// sum and sumsq in fixed-point units, for tests.
	sum, sumsq *big.Int
}

// Moments returns copies of the group's revealed sum (fixed-point units)
// and sum of squares (units squared), nil when the statistic did not
// reveal them (count, histogram, or a suppressed group). Result review
// (internal/pet/review) adds noise to these exact totals.
func (g *GroupResult) Moments() (sum, sumsq *big.Int) {
	if g.sum != nil {
		sum = new(big.Int).Set(g.sum)
	}
	if g.sumsq != nil {
		sumsq = new(big.Int).Set(g.sumsq)
	}
	return sum, sumsq
}

// Bin is one histogram bin; Lo and Hi are nil for the open ends.
type Bin struct {
	Lo         *Decimal `json:"lo,omitempty"`
	Hi         *Decimal `json:"hi,omitempty"`
	Count      *int64   `json:"count,omitempty"`
	Suppressed bool     `json:"suppressed,omitempty"`
}

// components is the length of a group's local vector: the count, then what
// the statistic needs.
func (c *Config) components() int {
	switch c.Stat {
	case Sum, Mean:
		return 2
	case Variance:
		return 3
	case Histogram:
		return 1 + len(c.Edges) + 1
	}
	return 1
}

func (c *Config) groups() int { return max(1, len(c.Groups)) }

// check validates the configuration and fills defaults.
func (c *Config) check(parties int) error {
	switch c.Stat {
	case Count, Sum, Mean, Variance, Histogram:
	default:
		return fmt.Errorf("secagg: unknown statistic %q", c.Stat)
	}
	if parties < 2 || parties > MaxParties {
		return fmt.Errorf("secagg: %d parties, want 2 to %d", parties, MaxParties)
	}
	if c.MinGroup == 0 {
		c.MinGroup = DefaultMinGroup
	}
	if c.MinGroup < 0 {
		return fmt.Errorf("secagg: negative minimum group size")
	}
	if c.MaxAbs == 0 {
		c.MaxAbs = MaxAbs
	}
	if c.MaxAbs < 0 || c.MaxAbs > MaxAbs {
		return fmt.Errorf("secagg: MaxAbs %d outside 1..2^44", c.MaxAbs)
	}
	if c.Scale < 0 || c.Scale > 9 {
		return fmt.Errorf("secagg: scale %d outside 0..9", c.Scale)
	}
	if len(c.Groups) > MaxGroups {
		return fmt.Errorf("secagg: %d groups, at most %d", len(c.Groups), MaxGroups)
	}
	seen := map[string]bool{}
	for _, g := range c.Groups {
		if seen[g] {
			return fmt.Errorf("secagg: group key %q listed twice", g)
		}
		seen[g] = true
	}
	if c.Stat == Histogram {
		if len(c.Edges) == 0 || len(c.Edges) > MaxBins {
			return fmt.Errorf("secagg: histogram needs 1 to %d bin edges", MaxBins)
		}
		for i, e := range c.Edges {
			if e < -c.MaxAbs || e > c.MaxAbs || (i > 0 && e <= c.Edges[i-1]) {
				return fmt.Errorf("secagg: bin edges must be strictly increasing and within the value bound")
			}
		}
	} else if len(c.Edges) > 0 {
		return fmt.Errorf("secagg: bin edges given for %s", c.Stat)
	}
	if c.groups()*c.components() > MaxElements {
		return fmt.Errorf("secagg: %d groups × %d components exceed one message", c.groups(), c.components())
	}
	var zero SessionID
	if c.Session == zero {
		if _, err := rand.Read(c.Session[:]); err != nil {
			return err
		}
	}
	return nil
}

// aggregateChunk is how many rows a party sums between progress reports and
// cancellation checks; with |x| ≤ 2^44 a chunk's plain int64 sum
// (≤ 2^44 × 2^18 = 2^62) cannot overflow.
const aggregateChunk = 1 << 18

// localVector aggregates one party's rows into its per-group vector.
func localVector(ctx context.Context, c *Config, party int, in Input, report func(Progress)) ([]u128, error) {
	n := len(in.Values)
	if int64(n) > MaxRowsPerParty {
		return nil, fmt.Errorf("%w: party %d has %d rows, at most %d", ErrOutOfBounds, party, n, int64(MaxRowsPerParty))
	}
	grouped := len(c.Groups) > 0
	if grouped && len(in.Groups) != n {
		return nil, fmt.Errorf("secagg: party %d: %d group indices for %d values", party, len(in.Groups), n)
	}
	if !grouped && in.Groups != nil {
		return nil, fmt.Errorf("secagg: party %d: group indices without a group domain", party)
	}
	C, G := c.components(), c.groups()
	v := make([]u128, G*C)
	bound := uint64(c.MaxAbs)
	for start := 0; start < n; start += aggregateChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(n, start+aggregateChunk)
		vals := in.Values[start:end]
		if !grouped && (c.Stat == Sum || c.Stat == Mean) {
			// The hot path: one plain int64 sum per chunk.
			var s int64
			for i, x := range vals {
				if uint64(x+c.MaxAbs) > 2*bound {
					return nil, fmt.Errorf("%w: party %d row %d: |%d| > %d", ErrOutOfBounds, party, start+i, x, c.MaxAbs)
				}
				s += x
			}
			v[0] = v[0].add(fromInt64(int64(len(vals))))
			v[1] = v[1].add(fromInt64(s))
		} else {
			for i, x := range vals {
				if uint64(x+c.MaxAbs) > 2*bound {
					return nil, fmt.Errorf("%w: party %d row %d: |%d| > %d", ErrOutOfBounds, party, start+i, x, c.MaxAbs)
				}
				g := 0
				if grouped {
					g = int(in.Groups[start+i])
					if g < 0 || g >= G {
						return nil, fmt.Errorf("%w: party %d row %d: group index %d outside the agreed domain", ErrOutOfBounds, party, start+i, g)
					}
				}
				o := g * C
				v[o].lo++ // counts stay below 2^32 per party
				switch c.Stat {
				case Sum, Mean:
					v[o+1] = v[o+1].add(fromInt64(x))
				case Variance:
					v[o+1] = v[o+1].add(fromInt64(x))
					v[o+2] = v[o+2].addSquare(x)
				case Histogram:
					b := sort.Search(len(c.Edges), func(k int) bool { return c.Edges[k] > x })
					v[o+1+b].lo++
				}
			}
		}
		report(Progress{Party: party, Phase: "aggregate", Done: int64(end), Total: int64(n)})
	}
	return v, nil
}

// Network carries the messages of a run: Send delivers b to party to, Recv
// returns the next message addressed to party self.
type Network interface {
	Send(ctx context.Context, to int, b []byte) error
	Recv(ctx context.Context, self int) ([]byte, error)
}

// memNetwork is the local mode's network: one buffered channel per party.
type memNetwork struct{ in []chan []byte }

func newMemNetwork(n int) *memNetwork {
	m := &memNetwork{in: make([]chan []byte, n)}
	for i := range m.in {
		m.in[i] = make(chan []byte, 3*n)
	}
	return m
}

func (m *memNetwork) Send(ctx context.Context, to int, b []byte) error {
	select {
	case m.in[to] <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *memNetwork) Recv(ctx context.Context, self int) ([]byte, error) {
	select {
	case b := <-m.in[self]:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Run computes cfg.Stat over the parties' inputs in local mode: every party
// is a goroutine of this process, messages travel encoded over in-memory
// channels. Each party reveals the same result; Run returns party 0's.
func Run(ctx context.Context, cfg Config, inputs []Input) (*Result, error) {
	return runOver(ctx, cfg, inputs, newMemNetwork(len(inputs)))
}

func runOver(ctx context.Context, cfg Config, inputs []Input, net Network) (*Result, error) {
	if err := cfg.check(len(inputs)); err != nil {
		return nil, configError{err}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	report := func(p Progress) {
		if cfg.Progress != nil {
			mu.Lock()
			cfg.Progress(p)
			mu.Unlock()
		}
	}
	results := make([]*Result, len(inputs))
	errs := make([]error, len(inputs))
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Go(func() {
			results[i], errs[i] = RunParty(ctx, &cfg, i, len(inputs), inputs[i], net, report)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// The first error that is not a consequence of another party's.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return results[0], nil
}

// RunParty runs party self of a run of n parties over net. cfg must be the
// same at every party (including Session, which must be set).
func RunParty(ctx context.Context, cfg *Config, self, n int, in Input, net Network, report func(Progress)) (*Result, error) {
	if report == nil {
		report = func(Progress) {}
	}
	var zero SessionID
	if cfg.Session == zero {
		return nil, errors.New("secagg: no session id")
	}
	v, err := localVector(ctx, cfg, self, in, report)
	if err != nil {
		return nil, err
	}
	report(Progress{Party: self, Phase: "share"})
	p, err := newPRG()
	if err != nil {
		return nil, err
	}
	shares := split(v, n, p)
	box := newInbox(cfg.Session, self, n)
	send := func(round uint8, to int, elems []u128) error {
		m := &Message{Round: round, From: uint16(self), To: uint16(to), Session: cfg.Session, Elems: elems}
		return net.Send(ctx, to, m.Encode())
	}
	// Round 1: share j to party j; keep our own.
	for j := range n {
		if j != self {
			if err := send(roundShares, j, shares[j]); err != nil {
				return nil, err
			}
		}
	}
	C, G := cfg.components(), cfg.groups()
	acc := shares[self]
	if err := awaitRound(ctx, net, box, roundShares, len(acc)); err != nil {
		return nil, err
	}
	for j, m := range box.got[roundShares] {
		if j != self {
			for i := range acc {
				acc[i] = acc[i].add(m.Elems[i])
			}
		}
	}
	// Round 2: partial sums of the counts.
	report(Progress{Party: self, Phase: "counts"})
	counts := make([]u128, G)
	for g := range counts {
		counts[g] = acc[g*C]
	}
	for j := range n {
		if j != self {
			if err := send(roundCounts, j, counts); err != nil {
				return nil, err
			}
		}
	}
	if err := awaitRound(ctx, net, box, roundCounts, G); err != nil {
		return nil, err
	}
	for j, m := range box.got[roundCounts] {
		if j != self {
			for g := range counts {
				counts[g] = counts[g].add(m.Elems[g])
			}
		}
	}
	kept := make([]int, 0, G)
	total := make([]int64, G)
	for g, c := range counts {
		b := c.big()
		if !b.IsInt64() || b.Sign() < 0 {
			return nil, fmt.Errorf("secagg: revealed count out of range: inconsistent shares")
		}
		total[g] = b.Int64()
		if total[g] >= cfg.MinGroup {
			kept = append(kept, g)
		}
	}
	// Round 3: partial sums of the other components of the kept groups.
	var vals []u128
	if C > 1 && len(kept) > 0 {
		report(Progress{Party: self, Phase: "values"})
		vals = make([]u128, 0, len(kept)*(C-1))
		for _, g := range kept {
			vals = append(vals, acc[g*C+1:g*C+C]...)
		}
		for j := range n {
			if j != self {
				if err := send(roundValues, j, vals); err != nil {
					return nil, err
				}
			}
		}
		if err := awaitRound(ctx, net, box, roundValues, len(vals)); err != nil {
			return nil, err
		}
		for j, m := range box.got[roundValues] {
			if j != self {
				for i := range vals {
					vals[i] = vals[i].add(m.Elems[i])
				}
			}
		}
	}
	report(Progress{Party: self, Phase: "done"})
	return cfg.result(n, total, kept, vals), nil
}

// awaitRound receives messages until every other party's message of round r
// is in; messages of later rounds are filed for later. Each must carry want
// elements.
func awaitRound(ctx context.Context, net Network, box *inbox, r uint8, want int) error {
	for _, m := range box.got[r] {
		if m != nil && len(m.Elems) != want {
			return fmt.Errorf("%w: round %d from party %d has %d elements, want %d", ErrMalformed, r, m.From, len(m.Elems), want)
		}
	}
	for !box.complete(r) {
		b, err := net.Recv(ctx, box.self)
		if err != nil {
			return err
		}
		m, err := box.accept(b)
		if err != nil {
			return err
		}
		if m.Round < r {
			return fmt.Errorf("%w: round %d from party %d after that round ended", ErrReplay, m.Round, m.From)
		}
		if m.Round == r && len(m.Elems) != want {
			return fmt.Errorf("%w: round %d from party %d has %d elements, want %d", ErrMalformed, r, m.From, len(m.Elems), want)
		}
	}
	return nil
}

// result turns the revealed totals into the output.
func (c *Config) result(n int, counts []int64, kept []int, vals []u128) *Result {
	res := &Result{Stat: c.Stat, Parties: n, MinGroup: c.MinGroup}
	C := c.components()
	isKept := make(map[int]int, len(kept))
	for k, g := range kept {
		isKept[g] = k
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.Scale)), nil)
	for g := range counts {
		gr := GroupResult{}
		if len(c.Groups) > 0 {
			gr.Key = c.Groups[g]
		}
		k, ok := isKept[g]
		if !ok {
			gr.Suppressed = true
			res.Suppressed++
			res.Groups = append(res.Groups, gr)
			continue
		}
		cnt := counts[g]
		gr.Count = &cnt
		comp := vals[k*(C-1) : (k+1)*(C-1)]
		switch c.Stat {
		case Sum, Mean, Variance:
			gr.sum = comp[0].big()
			if c.Stat == Sum {
				d := Decimal{gr.sum, c.Scale}
				gr.Sum = &d
			}
			if c.Stat == Mean {
				m, _ := new(big.Rat).SetFrac(gr.sum, new(big.Int).Mul(big.NewInt(cnt), scale)).Float64()
				gr.Mean = &m
			}
			if c.Stat == Variance {
				gr.sumsq = comp[1].big()
				// (n·Σx² − (Σx)²) / (n² · 10^(2·scale))
				num := new(big.Int).Mul(big.NewInt(cnt), gr.sumsq)
				num.Sub(num, new(big.Int).Mul(gr.sum, gr.sum))
				den := new(big.Int).Mul(big.NewInt(cnt), big.NewInt(cnt))
				den.Mul(den, scale).Mul(den, scale)
				v, _ := new(big.Rat).SetFrac(num, den).Float64()
				gr.Variance = &v
			}
		case Histogram:
			for b, e := range comp {
				bin := Bin{}
				if b > 0 {
					bin.Lo = &Decimal{big.NewInt(c.Edges[b-1]), c.Scale}
				}
				if b < len(c.Edges) {
					bin.Hi = &Decimal{big.NewInt(c.Edges[b]), c.Scale}
				}
				bc := e.big().Int64()
				if bc < c.MinGroup {
					bin.Suppressed = true
				} else {
					bin.Count = &bc
				}
				gr.Bins = append(gr.Bins, bin)
			}
		}
		res.Groups = append(res.Groups, gr)
	}
	return res
}
