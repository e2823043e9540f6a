package report_test

import (
	"fmt"
	"os"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulebook"
)

func ExampleParseFormat() {
	_, err := report.ParseFormat("pdf")
	fmt.Println(err)
	// Output: unknown format "pdf"; accepted: text, json, md, html
}

func ExampleMaterials() {
	r := &assess.Result{
		Scenario: rulebook.Scenario{
			Exporter:  rulebook.Exporter{Country: "CN"},
			Recipient: rulebook.Recipient{Country: "JP"},
			Dataset:   rulebook.Dataset{Individuals: 250000},
		},
		Decisions: []rulebook.Decision{{Jurisdiction: "CN", Route: "CN_SC_OR_CERT"}},
	}
	for _, m := range report.Materials(r, report.EN) {
		fmt.Println(m.Code, len(m.Items))
	}
	// Output:
	// pipia 6
	// sc_filing 4
	// cert 4
}

func ExampleOptions_Render() {
	r := &assess.Result{Decisions: []rulebook.Decision{{Jurisdiction: "US", Route: "US_NOT_COVERED"}}}
	opts := report.Options{Version: "v1.0.0", Color: false}
	if err := opts.Render(os.Stdout, r, report.Text, report.EN); err != nil {
		fmt.Println(err)
	}
}
