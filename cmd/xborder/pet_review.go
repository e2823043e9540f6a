package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/pet/dp"
	"github.com/xborder/xborder/internal/pet/input"
	"github.com/xborder/xborder/internal/pet/review"
	"github.com/xborder/xborder/internal/pet/secagg"
)

// petNoiseSource, when set (tests only), replaces crypto/rand as the source
// of the random bits of differential-privacy noise.
var petNoiseSource io.Reader

// petReviewFlags are the result-review flags of xborder pet aggregate.
type petReviewFlags struct {
	rho, epsilon, dataset, agreement, bounds, dataDir, actor string
}

// parsed returns the policy's privacy parameters and the clamp bounds
// (fixed-point, nil when --bounds is not given).
func (f *petReviewFlags) parse(stat secagg.Stat, scale int) (rho, eps *big.Rat, b *review.Bounds, err error) {
	rat := func(name, s string) (*big.Rat, error) {
		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok || r.Sign() <= 0 {
			return nil, badInput(fmt.Errorf("--%s %q", name, s), "give a positive number, e.g. 0.5 or 1/2")
		}
		return r, nil
	}
	if f.rho != "" && f.epsilon != "" {
		return nil, nil, nil, badInput(errors.New("--rho and --epsilon together"), "--rho adds discrete Gaussian noise (zCDP), --epsilon discrete Laplace noise (pure DP): choose one")
	}
	if f.rho != "" {
		if rho, err = rat("rho", f.rho); err != nil {
			return
		}
	}
	if f.epsilon != "" {
		if eps, err = rat("epsilon", f.epsilon); err != nil {
			return
		}
	}
	if f.bounds != "" {
		lo, hi, ok := strings.Cut(f.bounds, ":")
		l, err1 := secagg.ParseFixed(lo, scale)
		h, err2 := secagg.ParseFixed(hi, scale)
		if !ok || err1 != nil || err2 != nil || l > h {
			return nil, nil, nil, badInput(fmt.Errorf("--bounds %q", f.bounds), "give LO:HI with LO ≤ HI at the values' --scale, e.g. --bounds 0:10000")
		}
		b = &review.Bounds{Lo: l, Hi: h}
	}
	if rho != nil || eps != nil {
		if f.dataset == "" || f.agreement == "" {
			return nil, nil, nil, badInput(errors.New("noise needs --dataset and --agreement"), "name the budget accounts to debit, e.g. --dataset urn:xborder:dataset:wm --agreement urn:xborder:agreement:a1")
		}
		if b == nil && (stat == secagg.Sum || stat == secagg.Mean || stat == secagg.Variance) {
			return nil, nil, nil, badInput(fmt.Errorf("--stat %s with noise needs --bounds", stat), "the clamp bounds LO:HI fix the sensitivity of the sum, e.g. --bounds 0:10000")
		}
	}
	if !strings.HasPrefix(f.actor, "did:") {
		return nil, nil, nil, badInput(fmt.Errorf("--actor %q", f.actor), "the actor recorded in the audit ledger is a DID")
	}
	return rho, eps, b, nil
}

// clampRows clamps each party's values to b, as each party does locally
// before sharing, so that the sum's sensitivity is what the bounds say.
func clampRows(parties []*input.Rows, b *review.Bounds) {
	if b == nil {
		return
	}
	for _, p := range parties {
		p.Clamp(b.Lo, b.Hi)
	}
}

// openPetAudit opens DATA_DIR/audit when it exists; when it does not, it
// says so on stderr and returns nil: decisions are then not audited.
func openPetAudit(e *env, dir string) (*audit.Log, error) {
	d := filepath.Join(dir, auditSubdir)
	if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "xborder: no audit ledger at %s: review decisions are not audited (create it with xborder audit init)\n", d)
		return nil, nil
	} else if err != nil {
		return nil, failure(err)
	}
	return openAuditLog(e, d, "xborder.audit")
}

// openPetBudget opens the privacy-budget ledger in DATA_DIR/xborder.db.
func openPetBudget(ctx context.Context, dir string) (*dp.Ledger, func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, failure(err)
	}
	db, err := openStateDB(filepath.Join(dir, stateDBFile), "FULL")
	if err != nil {
		return nil, nil, err
	}
	l, err := dp.OpenLedger(ctx, db, dp.LedgerOptions{})
	if err != nil {
		db.Close()
		return nil, nil, failure(err)
	}
	return l, func() { db.Close() }, nil
}

// auditReview appends the decision to the audit ledger: operation compute,
// object the dataset (or the aggregation task when no dataset is named),
// the reason code, and the digest of the decision without the figures.
func auditReview(ctx context.Context, l *audit.Log, now time.Time, actor, dataset string, rows int64, d review.Decision) error {
	obj, kind := "urn:xborder:task:pet-aggregate", audit.KindTask
	if dataset != "" {
		obj, kind = dataset, audit.KindDataset
		if !strings.Contains(dataset, ":") {
			obj = "urn:xborder:dataset:" + dataset
		}
	}
	details := struct {
		Code      review.Code   `json:"code"`
		Message   string        `json:"message"`
		Spent     dp.Rho        `json:"spent"`
		Noise     *review.Noise `json:"dp,omitempty"`
		Stat      secagg.Stat   `json:"stat,omitempty"`
		Suppresed int           `json:"suppressed_groups"`
	}{Code: d.Code, Message: d.Message, Spent: d.Spent}
	if d.Released != nil {
		details.Noise, details.Stat, details.Suppresed = d.Released.DP, d.Released.Stat, d.Released.Suppressed
	}
	b, _ := json.Marshal(details)
	result := audit.ResultDeny
	if d.Allow {
		result = audit.ResultAllow
	}
	ev := &audit.Event{Actor: actor, Time: now.UTC(), Operation: audit.OpCompute, ObjectID: obj, ObjectKind: kind,
		Result: result, Reason: string(d.Code), DetailsDigest: fmt.Sprintf("sha256:%x", sha256.Sum256(b)), Records: uint64(max(rows, 0))}
	if _, err := l.Append(ctx, ev); err != nil {
		return fmt.Errorf("auditing the review decision: %w", err)
	}
	return nil
}
