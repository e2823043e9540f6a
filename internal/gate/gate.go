// Package gate is the connector's compliance gate (issue 6 item 4): before a
// provider agrees to a contract request, it decides whether this dataset may
// go to this consumer, in this country, for this purpose — under the
// dataset's own governance (allowed purposes, countries, recipients,
// localization), the offer's ODRL terms, and the rulebook of the exporter's
// jurisdiction for the dataset's profile (counts of individuals, sensitive
// data, important data) with the filings and approvals on record.
//
// The outcome is agree, terminate or park. A termination carries a stable
// code and a message in zh-CN and en that the consumer can read; a route
// that needs a filing or approval not on record terminates, or — when the
// gate is configured to — parks the negotiation for a person in the
// compliance office. Deny is the default: anything the gate cannot decide
// (an unknown country, a rulebook that needs review, a missing profile for
// personal data) does not pass silently.
package gate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/contract"
	"github.com/xborder/xborder/internal/rulebook"
)

// Outcome of a gate decision.
type Outcome string

// Outcomes.
const (
	Agree     Outcome = "agree"
	Terminate Outcome = "terminate"
	Park      Outcome = "park" // waits for a person (approval queue)
)

// Message is a reason in both languages.
type Message struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// Decision is the gate's answer. Code is stable: consumers and scripts
// match on it.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	Code    string  `json:"code"`
	Message Message `json:"message"`
	// Routes are the rulebook decisions for this export (all jurisdictions
	// whose rules apply), for the record and the approval queue.
	Routes []rulebook.Decision `json:"routes,omitempty"`
}

// Request is a contract request as the gate sees it.
type Request struct {
	Entry           *catalog.Entry   // the dataset requested
	Offer           *contract.Policy // the offer requested (nil: the entry's governance alone)
	Consumer        string           // the consumer's DID (verified)
	ConsumerCountry string           // ISO 3166-1 alpha-2, from the consumer's verified credentials
	Purpose         string           // the purpose requested (assess vocabulary, e.g. research)
	At              time.Time        // when the decision is made
	// Approvals are filings and approvals on record for the exporter beyond
	// the dataset's own (the contract store's, recorded by the compliance office).
	Approvals []rulebook.Approval
}

// Gate decides contract requests.
type Gate struct {
	// ParkFilings parks, instead of terminating, requests whose only
	// obstacle is a filing or approval not on record, or a rulebook point
	// that needs a person's review.
	ParkFilings bool
}

func terminate(code, en, zh string) Decision {
	return Decision{Outcome: Terminate, Code: code, Message: Message{EN: en, ZH: zh}}
}

// Decide decides one request.
func (g *Gate) Decide(ctx context.Context, r Request) (Decision, error) {
	if r.Entry == nil {
		return Decision{}, fmt.Errorf("gate: no dataset")
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	cc := strings.ToUpper(strings.TrimSpace(r.ConsumerCountry))
	if len(cc) != 2 {
		return terminate("recipient_country_unknown",
			"The consumer's country could not be established from its verified credentials; an export cannot be assessed without it.",
			"无法从数据接收方已验证的凭证中确定其所在国家，缺少该信息无法评估出境。"), nil
	}
	if r.Purpose == "" {
		return terminate("purpose_missing", "The request states no purpose of use; exports are assessed and permitted for stated purposes only.",
			"请求未说明使用目的；数据出境仅针对明确的目的进行评估和许可。"), nil
	}
	g0 := r.Entry.Governance
	if g0.Localization == "in_country_only" && cc != g0.Sovereignty {
		return terminate("localization_required",
			fmt.Sprintf("This dataset must stay in %s (localization in_country_only); only results of privacy computing may leave.", g0.Sovereignty),
			fmt.Sprintf("该数据须在%s境内存储和处理（本地化要求），仅隐私计算的结果可以出境。", g0.Sovereignty)), nil
	}
	if len(g0.AllowedPurposes) > 0 && !slices.Contains(g0.AllowedPurposes, r.Purpose) {
		return terminate("purpose_not_permitted",
			fmt.Sprintf("The dataset's governance does not permit the purpose %q (permitted: %s).", r.Purpose, strings.Join(g0.AllowedPurposes, ", ")),
			fmt.Sprintf("该数据集的治理规则不允许用于“%s”（允许的目的：%s）。", r.Purpose, strings.Join(g0.AllowedPurposes, "、"))), nil
	}
	if len(g0.AllowedCountries) > 0 && !slices.Contains(g0.AllowedCountries, cc) {
		return terminate("recipient_country_not_permitted",
			fmt.Sprintf("The dataset's governance does not permit recipients in %s.", cc),
			fmt.Sprintf("该数据集的治理规则不允许向位于%s的接收方提供。", cc)), nil
	}
	if len(g0.AllowedRecipients) > 0 && !slices.Contains(g0.AllowedRecipients, r.Consumer) {
		return terminate("recipient_not_permitted", "The dataset's governance does not list this consumer among its permitted recipients.",
			"该数据集的治理规则未将该接收方列为允许的接收方。"), nil
	}
	if p := r.Offer; p != nil {
		if ps, set := p.Purposes(); set && !slices.Contains(ps, r.Purpose) {
			return terminate("purpose_not_offered", fmt.Sprintf("The offer does not permit the purpose %q.", r.Purpose),
				fmt.Sprintf("要约不允许用于“%s”。", r.Purpose)), nil
		}
		if cs, set := p.Countries(); set && !slices.Contains(cs, cc) {
			return terminate("spatial_not_offered", fmt.Sprintf("The offer does not permit use in %s.", cc),
				fmt.Sprintf("要约不允许在%s使用该数据。", cc)), nil
		}
	}
	if g0.Sovereignty == "" {
		return terminate("sovereignty_unknown", "The dataset names no country of origin, so the export rules cannot be applied.",
			"该数据集未标明数据来源国，无法适用出境规则。"), nil
	}
	if cc == g0.Sovereignty {
		return Decision{Outcome: Agree, Code: "domestic", Message: Message{EN: "Domestic provision: no cross-border route applies.", ZH: "境内提供，不涉及数据出境。"}}, nil
	}
	sc := r.Entry.ExportScenario(cc, r.Purpose, r.At)
	sc.Exporter.Approvals = append(sc.Exporter.Approvals, r.Approvals...)
	res, err := rulebook.Evaluate(sc)
	if err != nil {
		return terminate("assessment_failed", "The export could not be assessed: "+err.Error(),
			"无法评估该出境："+err.Error()), nil
	}
	if len(res.Decisions) == 0 {
		return terminate("no_rules", fmt.Sprintf("There are no rules for exports from %s; the gate does not guess.", g0.Sovereignty),
			fmt.Sprintf("规则库没有%s的出境规则，不做推测。", g0.Sovereignty)), nil
	}
	d := Decision{Routes: res.Decisions}
	var review *rulebook.Decision
	for i := range res.Decisions {
		x := &res.Decisions[i]
		if x.Route == "PROHIBITED" || strings.HasSuffix(x.Route, "_PROHIBITED") {
			d.Outcome, d.Code = Terminate, "export_prohibited"
			d.Message = Message{EN: fmt.Sprintf("Under %s rules this export is prohibited (%s).", x.Jurisdiction, reason(x, "en")),
				ZH: fmt.Sprintf("根据%s规则，该出境被禁止（%s）。", x.Jurisdiction, reason(x, "zh"))}
			return d, nil
		}
	}
	for i := range res.Decisions {
		x := &res.Decisions[i]
		if x.Blocking {
			d.Code = "filing_required"
			d.Message = Message{EN: fmt.Sprintf("Under %s rules this export needs %s, which is not on record (%s).", x.Jurisdiction, x.Route, reason(x, "en")),
				ZH: fmt.Sprintf("根据%s规则，该出境需要%s，目前没有备案或批准记录（%s）。", x.Jurisdiction, x.Route, reason(x, "zh"))}
			d.Outcome = Terminate
			if g.ParkFilings {
				d.Outcome = Park
			}
			return d, nil
		}
		if x.NeedsReview && review == nil {
			review = x
		}
	}
	if review != nil {
		d.Code = "needs_review"
		d.Message = Message{EN: fmt.Sprintf("The %s route %s rests on a point that needs a person's review.", review.Jurisdiction, review.Route),
			ZH: fmt.Sprintf("%s的出境路径%s依赖需要人工复核的事项。", review.Jurisdiction, review.Route)}
		d.Outcome = Terminate
		if g.ParkFilings {
			d.Outcome = Park
		}
		return d, nil
	}
	d.Outcome, d.Code = Agree, "route_clear"
	routes := make([]string, 0, len(res.Decisions))
	for _, x := range res.Decisions {
		routes = append(routes, x.Jurisdiction+":"+x.Route)
	}
	d.Message = Message{EN: "Cleared: " + strings.Join(routes, ", "), ZH: "可以出境：" + strings.Join(routes, "，")}
	return d, nil
}

// reason returns the first reason of a decision in lang.
func reason(d *rulebook.Decision, lang string) string {
	if len(d.Reasons) == 0 {
		return d.Rule
	}
	if lang == "zh" && d.Reasons[0].ZH != "" {
		return d.Reasons[0].ZH
	}
	return d.Reasons[0].EN
}
