package report

import (
	"strings"

	"github.com/xborder/xborder/internal/rulebook"
)

// splitRoute splits a parameterised route code: "US_PROHIBITED(202.301)"
// gives "US_PROHIBITED" and "202.301".
func splitRoute(code string) (base, param string) {
	if i := strings.IndexByte(code, '('); i > 0 && strings.HasSuffix(code, ")") {
		return code[:i], code[i+1 : len(code)-1]
	}
	return code, ""
}

// routeTitle returns the localised title of a route code from the
// rulebook's route table, or the code itself when it is unknown.
func routeTitle(code string, lang Lang) string {
	if ri, ok := rulebook.RouteByCode(code); ok {
		return ri.Title.In(string(lang))
	}
	return code
}

// outcome is how a decision is drawn: the colour of its box and its status.
type outcome string

const (
	outClear   outcome = "clear"   // exempt, not regulated, adequacy: green
	outAction  outcome = "action"  // filing, contract or consent needed: amber
	outBlocked outcome = "blocked" // prohibited, or blocking until a filing or approval: red
	outReview  outcome = "review"  // the decision rests on a contested or unverified point: grey
)

// prohibited reports whether a route forbids the export outright.
func prohibited(code string) bool {
	base, _ := splitRoute(code)
	switch base {
	case "US_PROHIBITED", "US_PADFA_PROHIBITED", "EU_PROHIBITED", "BLOCK", "BLOCK_NEEDS_REVIEW":
		return true
	}
	return false
}

// clearRoute reports whether a route lets the export go without a filing,
// contract or consent of its own.
func clearRoute(code string) bool {
	base, _ := splitRoute(code)
	switch {
	case strings.HasPrefix(base, "CN_EXEMPT_"):
		return true
	}
	switch base {
	case "CN_NOT_REGULATED", "EU_NO_TRANSFER", "EU_ADEQUACY", "US_NOT_COVERED", "US_EXEMPT",
		"JP_WHITELIST", "JP_ART27_EXCEPTION", "HK_NO_TRANSFER_RULE", "SG_LAW", "SG_CERT", "SG_DEEMED":
		return true
	}
	return false
}

// decisionOutcome classifies a decision: red when it forbids or blocks the
// export, grey when it needs review, amber when it needs action, else green.
func decisionOutcome(d rulebook.Decision) outcome {
	switch {
	case prohibited(d.Route) || d.Blocking:
		return outBlocked
	case d.NeedsReview:
		return outReview
	case clearRoute(d.Route):
		return outClear
	}
	return outAction
}

// status is the one-line status of a decision.
func status(d rulebook.Decision, lang Lang) string {
	switch {
	case prohibited(d.Route):
		return t(lang, "st_prohibited")
	case d.Blocking:
		return t(lang, "st_blocking")
	}
	var s string
	switch {
	case clearRoute(d.Route):
		s = t(lang, "st_clear")
	case d.Approval != nil:
		s = t(lang, "st_on_record")
	default:
		s = t(lang, "st_action")
	}
	if d.NeedsReview {
		s += " · " + t(lang, "st_review")
	}
	return s
}
