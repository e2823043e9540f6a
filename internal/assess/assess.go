// Package assess answers the question every xborder user asks first: may
// this data leave the country, and what must be done first? It is the
// offline assessment tool of the white paper's §4.2.1.3 and its "three
// identifications" (§2.1.1.2): the data assets (internal/classify profiles
// the files), the path (the scenario's exporter and recipient) and the risk
// (internal/rulebook decides the route in every jurisdiction that applies).
//
// An assessment never opens a network connection and never stores the data
// it reads: only counts go to the local ledger, and only when the caller
// records an export.
package assess

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
	"github.com/xborder/xborder/internal/tabular"
)

// Request is one assessment to run.
type Request struct {
	Scenario rulebook.Scenario
	// Files are the data to be exported. When empty, the scenario's counts
	// describe the data.
	Files []string
	// IdentityKey names the column that identifies a person across files,
	// overriding the strongest identifier the classifier finds.
	IdentityKey string
	// Progress, when set, is called with bytes read so far and in total.
	Progress func(done, total int64)
	// Ledger supplies year-to-date totals; nil means none are on record.
	Ledger *Ledger
	// Now gives today's date when the scenario has no as_of.
	Now func() time.Time
	// Classify tunes the classifier (workers, memory budget).
	Classify classify.Options
}

// Assess profiles the files, completes the scenario with their counts and
// the ledger's totals, and evaluates the rulebook. Bad input is an
// *InputError (or wraps a *tabular.Error); nothing is written anywhere.
func Assess(ctx context.Context, req Request) (*Result, error) {
	s := req.Scenario
	if s.AsOf.IsZero() {
		now := time.Now
		if req.Now != nil {
			now = req.Now
		}
		s.AsOf = rulebook.Date{Time: truncateDay(now())}
	}
	if err := s.Validate(); err != nil {
		return nil, scenarioInputError(err)
	}
	res := &Result{AsOf: s.AsOf, Inputs: req.Files}

	if len(req.Files) > 0 {
		opts := req.Classify
		opts.RefDate = s.AsOf.Time
		opts.IdentityKey = req.IdentityKey
		opts.Progress = req.Progress
		prof, err := classify.Run(ctx, req.Files, opts)
		if err != nil {
			var te *tabular.Error
			if errors.As(err, &te) {
				return nil, fromTabularError(te)
			}
			var ie *InputError
			if errors.As(err, &ie) {
				return nil, err
			}
			return nil, fmt.Errorf("profiling the data: %w", err)
		}
		res.Profile = prof
		applyProfile(&s, prof)
	}

	ytd := YearToDate{Source: "scenario"}
	if req.Ledger != nil {
		if s.Dataset.PriorYTD == (rulebook.Counts{}) {
			t, err := req.Ledger.YearToDate(ctx, s.Exporter.Country, s.AsOf)
			if err != nil {
				return nil, err
			}
			s.Dataset.PriorYTD = rulebook.Counts{Individuals: t.Individuals, SensitiveIndividuals: t.SensitiveIndividuals}
			ytd.PriorExports = t.Exports
			ytd.Source = "ledger"
		}
		if len(req.Files) > 0 && usBulkEmptyInScenario(req.Scenario) {
			t, err := req.Ledger.Rolling12Months(ctx, s.Recipient.Country, s.Recipient.Name, s.AsOf)
			if err != nil {
				return nil, err
			}
			s.Dataset.USBulk12m = addBulk(s.Dataset.USBulk12m, t.USBulk)
		}
	}
	ytd.Individuals = s.Dataset.Individuals + s.Dataset.PriorYTD.Individuals
	ytd.SensitiveIndividuals = s.Dataset.SensitiveIndividuals + s.Dataset.PriorYTD.SensitiveIndividuals
	res.YearToDate = ytd

	out, err := rulebook.Evaluate(s)
	if err != nil {
		return nil, scenarioInputError(err)
	}
	res.Scenario = s
	res.Decisions = out.Decisions
	res.Conflicts = out.Conflicts
	res.WhatIf = whatIfs(s, res.Profile, out.Decisions)
	return res, nil
}

// fromTabularError names the place of a malformed data file: the file (and
// table), the line and the column.
func fromTabularError(te *tabular.Error) *InputError {
	ie := &InputError{File: te.Path, Line: int(te.Line), Msg: te.Msg, Err: te.Err, Hint: te.Hint}
	if te.Table != "" {
		ie.File += "#" + te.Table
	}
	if te.Column != "" {
		ie.Key = "column " + strconv.Quote(te.Column)
	}
	return ie
}

func truncateDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func scenarioInputError(err error) error {
	var se *rulebook.ScenarioError
	if errors.As(err, &se) {
		return fromScenarioError(se)
	}
	return fmt.Errorf("evaluating the rulebook: %w", err)
}

func usBulkEmptyInScenario(s rulebook.Scenario) bool {
	return s.Dataset.USBulk12m == (rulebook.USBulk{})
}

// applyProfile puts what the files showed into the scenario: the counts of
// this export, GDPR special categories, candidate important data and the US
// bulk categories.
func applyProfile(s *rulebook.Scenario, p *classify.Profile) {
	s.Dataset.Individuals = p.Individuals
	s.Dataset.SensitiveIndividuals = p.SensitiveIndividuals
	if p.SpecialCategory {
		s.Dataset.SpecialCategory = true
	}
	if len(p.ImportantCandidates) > 0 && (s.Dataset.ImportantData == "" || s.Dataset.ImportantData == "none") {
		// Never decided silently: the rulebook turns a candidate into a duty
		// to identify and report, and a flag for review.
		s.Dataset.ImportantData = "candidate"
	}
	if s.Exporter.USPerson && s.Dataset.USBulk12m == (rulebook.USBulk{}) {
		s.Dataset.USBulk12m = bulkFromProfile(p.USBulk)
	}
}

// bulkFromProfile maps the classifier's 28 CFR 202.249 categories to the
// scenario's counters.
func bulkFromProfile(m map[string]int64) rulebook.USBulk {
	return rulebook.USBulk{
		HumanGenomic:              m["human_genomic"],
		HumanOmic:                 m["human_omic"],
		Biometric:                 m["biometric"],
		PreciseGeolocationDevices: m["precise_geolocation"],
		PersonalHealth:            m["personal_health"],
		PersonalFinancial:         m["personal_financial"],
		CoveredIdentifiers:        m["covered_personal_identifiers"],
	}
}

// RecordExport writes the assessed export to the ledger: counts and routes,
// never values.
func RecordExport(ctx context.Context, l *Ledger, r *Result, now time.Time) (int64, error) {
	routes := make(map[string]string, len(r.Decisions))
	for _, d := range r.Decisions {
		routes[d.Jurisdiction] = d.Route
	}
	s := r.Scenario
	rec := ExportRecord{
		RecordedAt:           now,
		Date:                 s.AsOf,
		ExporterCountry:      s.Exporter.Country,
		RecipientCountry:     s.Recipient.Country,
		RecipientName:        s.Recipient.Name,
		Purpose:              s.Purpose,
		Individuals:          s.Dataset.Individuals,
		SensitiveIndividuals: s.Dataset.SensitiveIndividuals,
		Routes:               routes,
	}
	if r.Profile != nil {
		rec.USBulk = bulkFromProfile(r.Profile.USBulk)
	}
	return l.Record(ctx, rec)
}
