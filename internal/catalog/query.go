package catalog

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Query syntax (docs/catalog.md "Search syntax"):
//
//	零售 客户            words: every word must match (AND); CJK text is
//	                     matched by character bigrams, Latin words by word and,
//	                     from three letters on, by prefix (custom → customers)
//	"cross border"       quotes group words (no positional phrase matching)
//	retail*              explicit prefix
//	-marketing           leave out entries matching the word
//	industry:finance     a filter on a facet: industry, scenario, level, format,
//	                     frequency, quality, geo, sovereignty, space, owner;
//	                     the same facet twice means either value
//	quality:>=80         a minimum quality score (also >, <=, <, or a bucket 90-100)
//
// A "field:value" whose field is not one of these is searched as text (so
// a DID or a URL can be searched). When no entry matches every word, the
// search relaxes to entries matching at least half of the words and says so.

// Query limits.
const (
	MaxQueryBytes   = 1024
	maxQueryClauses = 32
)

// Facet and filter names.
const (
	FacetIndustry    = "industry"
	FacetScenario    = "scenario"
	FacetLevel       = "level"
	FacetFormat      = "format"
	FacetFrequency   = "frequency"
	FacetQuality     = "quality"
	FacetGeo         = "geo"
	FacetSovereignty = "sovereignty"
	filterSpace      = "space"
	filterOwner      = "owner"
)

// Facets returns the facet names, in the order results list them.
func Facets() []string {
	return []string{FacetIndustry, FacetScenario, FacetLevel, FacetFormat, FacetFrequency, FacetQuality, FacetGeo, FacetSovereignty}
}

// filterFields are the names a filter may use: the facets, space, owner.
func filterFields() []string { return append(Facets(), filterSpace, filterOwner) }

// Query is a parsed search query.
type Query struct {
	Words    []Word              // text to match, all of them
	Excluded []Word              // text whose entries are left out
	Filters  map[string][]string // field → accepted values
}

// Word is one text clause.
type Word struct {
	Text   string
	Prefix bool // ends in *: match Latin words by prefix
}

// ParseQuery parses a query string. Bad input (too long, invalid UTF-8, an
// unterminated quote, an empty filter value) is an *InputError.
func ParseQuery(s string) (Query, error) {
	q := Query{Filters: map[string][]string{}}
	if len(s) > MaxQueryBytes {
		return q, inputErr("query", "is %d bytes; the limit is %d", len(s), MaxQueryBytes)
	}
	if !utf8.ValidString(s) {
		return q, inputErr("query", "is not valid UTF-8")
	}
	clauses := 0
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xe3 && strings.HasPrefix(s[i:], "\u3000") {
			if c == 0xe3 {
				i += len("\u3000")
			} else {
				i++
			}
			continue
		}
		start := i
		clauses++
		if clauses > maxQueryClauses {
			return q, inputErr("query", "has more than %d words and filters", maxQueryClauses)
		}
		neg := false
		if c == '-' && i+1 < len(s) && s[i+1] != ' ' {
			neg = true
			i++
		}
		// field:value
		var field string
		if j := strings.IndexByte(s[i:], ':'); j > 0 {
			name := s[i : i+j]
			if !strings.ContainsAny(name, " \t\"") && slices.Contains(filterFields(), strings.ToLower(name)) {
				field = strings.ToLower(name)
				i += j + 1
			}
		}
		text, next, quoted, err := readValue(s, i)
		if err != nil {
			return q, inputErr("query", "%v (at byte %d)", err, start+1)
		}
		i = next
		if field != "" {
			if neg {
				return q, inputErr("query", "-%s: filters cannot be negated (at byte %d)", field, start+1)
			}
			if strings.TrimSpace(text) == "" {
				return q, inputErr("query", "%s: has no value (at byte %d)", field, start+1)
			}
			q.Filters[field] = append(q.Filters[field], text)
			continue
		}
		w := Word{Text: text}
		if !quoted && strings.HasSuffix(text, "*") {
			w.Text = strings.TrimRight(text, "*")
			w.Prefix = true
		}
		if len(tokensOf(w.Text, false)) == 0 {
			continue // punctuation only
		}
		if neg {
			q.Excluded = append(q.Excluded, w)
		} else {
			q.Words = append(q.Words, w)
		}
	}
	return q, nil
}

// readValue reads a bare or quoted value at s[i:]; it returns the value,
// the index after it and whether it was quoted.
func readValue(s string, i int) (string, int, bool, error) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				if j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					b.WriteByte(s[j+1])
					j++
					continue
				}
				b.WriteByte('\\')
			case '"':
				return b.String(), j + 1, true, nil
			default:
				b.WriteByte(s[j])
			}
		}
		return "", 0, false, fmt.Errorf("unterminated quote")
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && !strings.HasPrefix(s[j:], "\u3000") {
		j++
	}
	return s[i:j], j, false, nil
}

// String writes q back in the query syntax, canonically: words, exclusions,
// then filters by field.
func (q Query) String() string {
	var parts []string
	quote := func(s string) string {
		if s == "" || strings.ContainsAny(s, " \t\n\r\"\\:*\u3000") || strings.HasPrefix(s, "-") {
			return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		return s
	}
	for _, w := range q.Words {
		if w.Prefix {
			parts = append(parts, w.Text+"*")
		} else {
			parts = append(parts, quote(w.Text))
		}
	}
	for _, w := range q.Excluded {
		if w.Prefix {
			parts = append(parts, "-"+w.Text+"*")
		} else {
			parts = append(parts, "-"+quote(w.Text))
		}
	}
	for _, f := range filterFields() {
		for _, v := range q.Filters[f] {
			parts = append(parts, f+":"+quote(v))
		}
	}
	return strings.Join(parts, " ")
}
