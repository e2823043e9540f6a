package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xborder/xborder/internal/assess"
)

// Lang is a report language.
type Lang string

const (
	ZH Lang = "zh-CN" // Simplified Chinese
	EN Lang = "en"    // English
)

// ParseLang parses a --lang value. It accepts "zh-CN" and "en", ignoring
// case, and the common aliases "zh", "zh_CN", "cn" and "en-US", "en-GB".
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "zh-cn", "zh", "zh_cn", "cn", "zh-hans":
		return ZH, nil
	case "en", "en-us", "en-gb", "en_us", "en_gb":
		return EN, nil
	}
	return "", fmt.Errorf("unknown language %q; accepted: zh-CN, en", s)
}

// Format is a report format.
type Format string

const (
	Text     Format = "text" // terminal summary
	JSON     Format = "json" // the contract of docs/assess.md
	Markdown Format = "md"   // Markdown report
	HTML     Format = "html" // one self-contained HTML file
)

// ParseFormat parses a --format value: text, json, md (or markdown), html.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "text", "txt":
		return Text, nil
	case "json":
		return JSON, nil
	case "md", "markdown":
		return Markdown, nil
	case "html", "htm":
		return HTML, nil
	}
	return "", fmt.Errorf("unknown format %q; accepted: text, json, md, html", s)
}

// Ext returns the file extension for f, with the dot.
func (f Format) Ext() string {
	switch f {
	case Text:
		return ".txt"
	case Markdown:
		return ".md"
	}
	return "." + string(f)
}

// Options tune rendering. The zero value is ready to use.
type Options struct {
	// Version is the xborder version written into the reports; empty
	// leaves it out.
	Version string
	// Color turns on ANSI colours in the text format. Callers set it only
	// when writing to a terminal.
	Color bool
}

// Render writes r in format f and language lang with default Options.
func Render(w io.Writer, r *assess.Result, f Format, lang Lang) error {
	return Options{}.Render(w, r, f, lang)
}

// Render writes r in format f and language lang.
func (o Options) Render(w io.Writer, r *assess.Result, f Format, lang Lang) error {
	if r == nil {
		return errors.New("report: nil result")
	}
	if lang != ZH && lang != EN {
		return fmt.Errorf("report: unknown language %q; accepted: zh-CN, en", lang)
	}
	var err error
	switch f {
	case JSON:
		err = o.writeJSON(w, r, lang)
	case Text:
		err = o.writeText(w, newView(r, lang, o))
	case Markdown:
		err = writeMarkdown(w, newView(r, lang, o))
	case HTML:
		err = writeHTML(w, newView(r, lang, o))
	default:
		return fmt.Errorf("report: unknown format %q; accepted: text, json, md, html", f)
	}
	if err != nil {
		return fmt.Errorf("report: writing %s: %w", f, err)
	}
	return nil
}

func (o Options) toolName() string {
	if o.Version == "" {
		return "xborder"
	}
	return "xborder " + o.Version
}
