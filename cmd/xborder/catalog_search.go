package main

import (
	"database/sql"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/catalog"
)

func newCatalogSearchCmd(e *env) *cobra.Command {
	var dir, sortBy, lang string
	var as requesterFlags
	var facets, to []string
	var page, limit int
	var asJSON, noHints bool
	cmd := &cobra.Command{
		Use:   "search [QUERY] [--facet industry=finance ...] [--to US] [--json]",
		Short: "Search the catalog in Chinese or English, with facets and compliance hints",
		Long: `search finds entries by words in their titles, descriptions, keywords, identifiers,
industry and scenario names and column names, in Chinese (character bigrams) and
English (words, and prefixes from three letters). Every word must match; when none
does, entries matching at least half of the words are shown and marked relaxed.

Query syntax: words; "quoted words"; prefix*; -word to leave out; field:value
filters on industry, scenario, level, format, frequency, quality (90-100, >=80, …),
geo (CN matches CN-GD), sovereignty, space and owner. --facet name=value adds a
filter. Each result shows the access interface and compliance hints: the route the
rulebook gives for exporting the dataset to --to (default: its allowed countries,
else US and DE), with the counts it assumed.` + catalogExitCodes,
		Example: `  xborder catalog search 零售 客户
  xborder catalog search "customer orders" --facet level=sensitive --to US
  xborder catalog search industry:finance quality:>=80 --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			req := catalog.SearchRequest{Query: strings.Join(args, " "), To: to, Sort: sortBy, Page: page, Limit: limit, NoHints: noHints}
			for _, fv := range facets {
				k, v, ok := strings.Cut(fv, "=")
				if !ok || strings.TrimSpace(v) == "" {
					return badInput(fmt.Errorf("--facet %q: want NAME=VALUE", fv), "for example --facet industry=finance")
				}
				if req.Filters == nil {
					req.Filters = map[string][]string{}
				}
				req.Filters[k] = append(req.Filters[k], v)
			}
			l, err := pickLang(e, lang)
			if err != nil {
				return badInput(err, "use --lang zh-CN or --lang en")
			}
			return withCatalog(cmd.Context(), e, dir, false, func(c *catalog.Catalog, _ *sql.DB) error {
				who, err := as.requester(cmd.Context(), e)
				if err != nil {
					return err
				}
				res, err := c.Search(cmd.Context(), who, req)
				if err != nil {
					return catalogErr(err)
				}
				if asJSON {
					return printJSON(e, res)
				}
				printSearch(e.stdout, res, strings.HasPrefix(string(l), "zh"))
				return nil
			})
		},
	}
	addDataDirFlag(cmd, &dir)
	addAsFlag(cmd, &as)
	fl := cmd.Flags()
	fl.StringArrayVar(&facets, "facet", nil, "filter NAME=VALUE (repeatable): industry, scenario, level, format, frequency, quality, geo, sovereignty, space, owner")
	fl.StringSliceVar(&to, "to", nil, "destination countries for the compliance hints, e.g. US,DE")
	fl.StringVar(&sortBy, "sort", "", "relevance (default with words), modified (default without), quality or identifier")
	fl.IntVar(&page, "page", 1, "page of results")
	fl.IntVar(&limit, "limit", catalog.DefaultLimit, "results per page (at most 100)")
	fl.BoolVar(&asJSON, "json", false, "print the results as JSON")
	fl.BoolVar(&noHints, "no-hints", false, "leave the compliance hints out")
	fl.StringVar(&lang, "lang", "", "language of the hints: zh-CN or en (default from $LANG, else en)")
	return cmd
}

// printSearch writes the results for a person.
func printSearch(w io.Writer, res *catalog.SearchResult, zh bool) {
	lang := "en"
	if zh {
		lang = "zh"
	}
	pages := (res.Total + res.Limit - 1) / res.Limit
	rel := ""
	if res.Relaxed {
		rel = ", relaxed: no entry matches every word"
	}
	noun := "results"
	if res.Total == 1 {
		noun = "result"
	}
	fmt.Fprintf(w, "%d %s for %q (page %d of %d%s)\n", res.Total, noun, res.Query, res.Page, max(pages, 1), rel)
	for _, h := range res.Hits {
		fmt.Fprintf(w, "\n%s  [%s]", h.Identifier, h.Level)
		if h.Industry != "" {
			fmt.Fprintf(w, " %s", h.Industry)
		}
		if h.Format != "" {
			fmt.Fprintf(w, " %s", h.Format)
		}
		if h.Quality != nil {
			fmt.Fprintf(w, " quality %g", *h.Quality)
		}
		if h.Score > 0 {
			fmt.Fprintf(w, " score %.2f", h.Score)
		}
		fmt.Fprintln(w)
		var titles []string
		for _, tag := range []string{"zh", "en"} {
			if t := h.Title[tag]; t != "" {
				titles = append(titles, t)
			}
		}
		if len(titles) == 0 {
			for _, t := range h.Title {
				titles = append(titles, t)
				break
			}
		}
		fmt.Fprintf(w, "  %s\n", strings.Join(titles, " | "))
		for _, a := range h.Access {
			fmt.Fprintf(w, "  access: %s %s %s\n", a.Format, dash(a.EndpointURL), strings.Join(a.Offers, " "))
		}
		for _, hint := range h.Hints {
			fmt.Fprintf(w, "  hint: %s\n", hint.Message[lang])
		}
	}
	var parts []string
	for _, f := range catalog.Facets() {
		var vals []string
		for _, fc := range res.Facets[f] {
			vals = append(vals, fmt.Sprintf("%s %d", fc.Value, fc.Count))
		}
		if len(vals) > 0 {
			parts = append(parts, f+": "+strings.Join(vals, ", "))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "\nfacets\n  %s\n", strings.Join(parts, "\n  "))
	}
	if n := len(res.Hits); n > 0 && hasRouteHint(res) {
		fmt.Fprintln(w, "\nhints assume each dataset alone, nothing else exported this year, its first allowed purpose; run xborder assess for the actual export")
	}
}

func hasRouteHint(res *catalog.SearchResult) bool {
	for _, h := range res.Hits {
		for _, x := range h.Hints {
			if x.Kind == "route" {
				return true
			}
		}
	}
	return false
}
