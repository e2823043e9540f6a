package synth

import (
	"context"
	"time"

	"github.com/xborder/xborder/internal/classify"
)

// qualityRefDate is the reference day of the quality evaluation,
// 2026-01-01, fixed so that ages and birth-date checks do not drift with
// the calendar.
var qualityRefDate = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Quality evaluates [classify.ClassifyValues] on the corpus drawn from seed
// with opts, judging ages and birth dates on 2026-01-01. It fails only when
// ctx ends first.
func Quality(ctx context.Context, seed uint64, opts CorpusOptions) (QualityReport, error) {
	copts := classify.Options{RefDate: qualityRefDate}
	rep := Evaluate(ctx, Corpus(seed, opts), func(name string, values []string) classify.Class {
		return classify.ClassifyValues(name, values, copts).Class
	})
	if rep.Incomplete {
		return rep, ctx.Err()
	}
	return rep, nil
}

// QualityMarkdown is [Quality] on the default corpus (40 columns per class
// of 500 values, 3% noise), rendered as Markdown for docs/benchmarks.md and
// `xborder bench`.
func QualityMarkdown(ctx context.Context, seed uint64) (string, error) {
	rep, err := Quality(ctx, seed, CorpusOptions{})
	if err != nil {
		return "", err
	}
	return rep.Markdown(), nil
}
