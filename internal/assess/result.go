package assess

import (
	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/rulebook"
)

// Result is one assessment: what the data is, where it goes, and what each
// jurisdiction's rules say. internal/report renders it; its JSON form (fixed
// by docs/assess.md) is built there, localised.
type Result struct {
	AsOf     rulebook.Date     `json:"as_of"`
	Scenario rulebook.Scenario `json:"scenario"`
	// Profile is nil when the scenario described the data by counts only.
	Profile   *classify.Profile   `json:"profile"`
	Decisions []rulebook.Decision `json:"decisions"`
	Conflicts []rulebook.Conflict `json:"conflicts"`
	// WhatIf lists the cheapest lawful changes that would lower a route.
	WhatIf []WhatIf `json:"what_if"`
	// YearToDate is the exporter's running total including this export, as
	// fed to the rulebook, and where it came from.
	YearToDate YearToDate `json:"year_to_date"`
	// Inputs names the files assessed (never their contents).
	Inputs []string `json:"inputs,omitempty"`
}

// YearToDate is the cumulative volume the thresholds are tested against.
type YearToDate struct {
	Individuals          int64  `json:"individuals"`
	SensitiveIndividuals int64  `json:"sensitive_individuals"`
	PriorExports         int    `json:"prior_exports"` // exports on record in the ledger this calendar year
	Source               string `json:"source"`        // "ledger", "scenario" or "ledger+scenario"
}

// WhatIf is a change to the export that would lower a jurisdiction's route.
type WhatIf struct {
	Jurisdiction string            `json:"jurisdiction"`
	Change       rulebook.Text     `json:"change"`
	Columns      []string          `json:"columns,omitempty"` // columns to drop or anonymise
	From         string            `json:"from"`              // route now
	To           string            `json:"to"`                // route after the change
	Individuals  int64             `json:"individuals"`       // counts after the change
	Sensitive    int64             `json:"sensitive_individuals"`
	Citation     rulebook.Citation `json:"citation"`
}
