package main

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/catalog"
)

type harvestFlags struct {
	dir, id, owner, level, industry, publisher, frequency, actor, location string
	title, desc                                                            [2]string
	keywordsZH, keywordsEN, scenarios, geo                                 []string
	asJSON                                                                 bool
}

func newCatalogHarvestCmd(e *env) *cobra.Command {
	var f harvestFlags
	cmd := &cobra.Command{
		Use:   "harvest --id ID [--title-zh T --title-en T --owner DID ...] DATAFILE",
		Short: "Fill an entry's technical metadata and personal-information profile from a data file",
		Long: `harvest reads a data file (CSV/TSV, JSON, JSONL, XLSX, Parquet, SQLite: every table
of it) and fills the entry's technical metadata — format, media type, byte size,
SHA-256, row counts, the columns with their value types and statistics — and the
personal-information profile of the assess engine: the class of every column and
the counts of distinct individuals and of those with sensitive information. It
never stores a data value. The classification level is raised when the profile
calls for it (never lowered), sensitive columns are listed, and a harvest step is
added to the processing history.

An entry already registered under --id is updated (a new revision); otherwise a new
one is registered, which needs --owner and a title. The flags set the corresponding
fields of either. An entry without a distribution gets one served by the catalog's
Dataspace Protocol endpoint (xborder catalog init --endpoint), when there is one. The identifier goes to stdout, a summary to stderr (--json prints
the summary as JSON on stdout instead).` + catalogExitCodes,
		Example: `  xborder catalog harvest --id xb86/CN/gba-finance/retail-customers-2026 \
      --title-zh 深圳零售客户订单 --title-en "Shenzhen retail customer orders" \
      --owner did:web:retail.example.cn --industry retail --geo CN-GD \
      examples/shenzhen-retail/customers.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCatalogHarvest(cmd, e, f, args[0])
		},
	}
	addDataDirFlag(cmd, &f.dir)
	fl := cmd.Flags()
	fl.StringVar(&f.id, "id", "", "identifier of the entry (required)")
	fl.StringVar(&f.title[0], "title-zh", "", "Chinese title")
	fl.StringVar(&f.title[1], "title-en", "", "English title")
	fl.StringVar(&f.desc[0], "description-zh", "", "Chinese description")
	fl.StringVar(&f.desc[1], "description-en", "", "English description")
	fl.StringSliceVar(&f.keywordsZH, "keyword-zh", nil, "Chinese keyword (repeatable)")
	fl.StringSliceVar(&f.keywordsEN, "keyword-en", nil, "English keyword (repeatable)")
	fl.StringVar(&f.owner, "owner", "", "DID of the legal entity that owns the data product")
	fl.StringVar(&f.publisher, "publisher", "", "DID of the publisher (default: none)")
	fl.StringVar(&f.level, "level", "", "classification level: public, internal, sensitive or core (raised by the profile)")
	fl.StringVar(&f.industry, "industry", "", "industry code, e.g. finance, retail, healthcare")
	fl.StringSliceVar(&f.scenarios, "scenario", nil, "application scenario code (repeatable)")
	fl.StringSliceVar(&f.geo, "geo", nil, "geographic coverage: ISO 3166 code such as CN-GD (repeatable)")
	fl.StringVar(&f.frequency, "frequency", "", "update frequency: daily, weekly, monthly, quarterly, annual, continuous, irregular, …")
	fl.StringVar(&f.actor, "actor", "", "DID recorded as the actor of the harvest step (default: the owner)")
	fl.StringVar(&f.location, "location", "", "where the harvest runs, e.g. CN-GD, for the processing history")
	fl.BoolVar(&f.asJSON, "json", false, "print the harvest summary as JSON on stdout")
	return cmd
}

func runCatalogHarvest(cmd *cobra.Command, e *env, f harvestFlags, path string) error {
	if f.id == "" {
		return badInput(errors.New("--id is required"), "name the entry, e.g. --id xb86/CN/gba-finance/retail-customers-2026")
	}
	if _, err := os.Stat(path); err != nil {
		return badInput(fmt.Errorf("%s: %w", path, errors.Unwrap(err)), "check the path of the data file")
	}
	ctx := cmd.Context()
	return withCatalog(ctx, e, f.dir, true, func(c *catalog.Catalog, _ *sql.DB) error {
		en, err := c.Get(ctx, catalog.Operator(), f.id)
		switch {
		case errors.Is(err, catalog.ErrNotFound), errors.Is(err, catalog.ErrWithdrawn):
			if f.owner == "" || (f.title[0] == "" && f.title[1] == "") {
				return badInput(fmt.Errorf("%s is not registered", f.id), "give --owner DID and --title-zh or --title-en to register it")
			}
			en = &catalog.Entry{Identifier: f.id}
		case err != nil:
			return catalogErr(err)
		}
		en.Title = setLang(en.Title, f.title)
		en.Description = setLang(en.Description, f.desc)
		if len(f.keywordsZH)+len(f.keywordsEN) > 0 {
			if en.Keywords == nil {
				en.Keywords = catalog.LangList{}
			}
			en.Keywords["zh"] = append(en.Keywords["zh"], f.keywordsZH...)
			en.Keywords["en"] = append(en.Keywords["en"], f.keywordsEN...)
		}
		if f.owner != "" {
			en.Governance.Owner = f.owner
		}
		if f.publisher != "" {
			en.Publisher = f.publisher
		}
		if f.level != "" {
			en.Governance.ClassificationLevel = f.level
		}
		if f.industry != "" || len(f.scenarios) > 0 {
			if en.Business == nil {
				en.Business = &catalog.Business{}
			}
			if f.industry != "" {
				en.Business.Industry = f.industry
			}
			en.Business.Scenarios = append(en.Business.Scenarios, f.scenarios...)
		}
		if len(f.geo) > 0 {
			en.SpatialCoverage = f.geo
		}
		if f.frequency != "" {
			en.UpdateFrequency = f.frequency
		}
		if svc := c.Info().Service; svc != nil && len(en.Distributions) == 0 {
			// served by this node's connector
			en.Distributions = []catalog.Distribution{{Format: "HttpData-PULL", AccessService: catalog.AccessService{Ref: svc.ID}}}
		}
		en.Modified = ""
		rep, err := c.Harvest(ctx, en, path, catalog.HarvestOptions{Actor: f.actor, Location: strings.ToUpper(f.location)})
		if err != nil {
			return catalogErr(err)
		}
		if f.asJSON {
			return printJSON(e, rep)
		}
		fmt.Fprintln(e.stdout, rep.ID)
		fmt.Fprintf(e.stderr, "xborder: harvested %s: %d rows, %d columns, %d individuals (%d with sensitive information); level %s, revision %d\n",
			filepath.Base(path), rep.Rows, rep.Fields, rep.Individuals, rep.SensitiveIndividuals, rep.Level, rep.Revision)
		for _, w := range rep.Warnings {
			fmt.Fprintf(e.stderr, "xborder: warning: %s\n", w)
		}
		return nil
	})
}
