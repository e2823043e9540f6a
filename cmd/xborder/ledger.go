package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/assess"
)

func newLedgerCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Show the exports recorded by assess --record",
		Long: `The ledger is the local record of past exports in DATA_DIR/ledger.db: dates,
recipients, counts and routes, never a data value. assess adds its year-to-date
totals to every new assessment (calendar year for CN, 12 months per counterparty
for the US rule).`,
	}
	var dir, format string
	var year int
	list := &cobra.Command{
		Use:   "list",
		Short: "List recorded exports",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("--format %q: accepted: text, json", format), "use --format text or --format json")
			}
			l, err := assess.OpenLedger(cmd.Context(), dataDir(e, dir), false)
			if err != nil {
				return failure(err)
			}
			var recs []assess.ExportRecord
			if l != nil {
				defer l.Close()
				if recs, err = l.List(cmd.Context(), year); err != nil {
					return failure(err)
				}
			}
			if format == "json" {
				if recs == nil {
					recs = []assess.ExportRecord{}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(recs)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tDATE\tFROM\tTO\tRECIPIENT\tPURPOSE\tINDIVIDUALS\tSENSITIVE\tROUTES")
			for _, r := range recs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, r.Date, r.ExporterCountry, r.RecipientCountry,
					dash(r.RecipientName), r.Purpose, r.Individuals, r.SensitiveIndividuals, routesString(r.Routes))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	list.Flags().IntVar(&year, "year", 0, "only exports of this calendar year")
	list.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.AddCommand(list)
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func routesString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + m[k]
	}
	return strings.Join(parts, " ")
}
