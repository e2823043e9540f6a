package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/contract/billing"
)

// Clause kinds: the building blocks a template combines. Each reads fixed
// parameter names and writes a fixed ODRL shape (docs/contract.md has the
// table); the review recognises each in any offer, however it was made.
const (
	ClausePurpose          = "purpose"            // permission constraint purpose isAnyOf purposes
	ClauseSpatial          = "spatial"            // spatial isAnyOf jurisdictions
	ClauseRecipient        = "recipient"          // recipient isAnyOf recipients
	ClausePeriod           = "period"             // dateTime gteq start, lt the day after end
	ClauseIndustry         = "industry"           // industry eq industry
	ClauseUsageLimits      = "usage_limits"       // count and volume limits per day, month, total
	ClauseDeliveryChannel  = "delivery_channel"   // deliveryChannel isAnyOf channels
	ClauseApprovedRoute    = "approved_route"     // xborder approvedRoute isAnyOf routes
	ClauseNoOnwardTransfer = "no_onward_transfer" // prohibition distribute
	ClauseNoCommercialUse  = "no_commercial_use"  // prohibition sell
	ClauseDeleteAtEnd      = "delete_at_end"      // obligation delete by the end of the period plus retention_days
	ClauseBreachNotice     = "breach_notice"      // obligation inform within notice_hours of a security incident
	ClauseAnonymise        = "anonymise"          // duty anonymize on the use permission
	ClausePricing          = "pricing"            // the pricing schedule
)

type clauseParam struct {
	name, typ string
	mandatory bool // the template must declare it
}

type clauseSpec struct {
	params  []clauseParam
	apply   func(b *builder)
	present func(p *Policy) bool
}

// usageLimitParams maps the usage_limits parameters to their operands.
func usageLimitParams() []struct{ name, typ, operand string } {
	return []struct{ name, typ, operand string }{
		{"max_count", ParamCount, LOCount},
		{"max_count_per_day", ParamCount, LODailyCount},
		{"max_count_per_month", ParamCount, LOMonthlyCount},
		{"max_bytes", ParamBytes, LOVolumeBytes},
		{"max_bytes_per_day", ParamBytes, LODailyVolumeBytes},
		{"max_bytes_per_month", ParamBytes, LOMonthlyVolumeBytes},
		{"max_rows", ParamCount, LOVolumeRows},
		{"max_rows_per_day", ParamCount, LODailyVolumeRows},
		{"max_rows_per_month", ParamCount, LOMonthlyVolumeRows},
	}
}

var clauseKinds = buildClauseKinds()

func buildClauseKinds() map[string]clauseSpec {
	listConstraint := func(param, lo string) func(b *builder) {
		return func(b *builder) {
			if v, ok := b.vals[param].([]string); ok {
				b.constrain(lo, OpIsAnyOf, ListV(v...))
			}
		}
	}
	hasConstraint := func(lo string) func(p *Policy) bool {
		return func(p *Policy) bool { return len(p.constraints(lo)) > 0 }
	}
	var limits []clauseParam
	for _, u := range usageLimitParams() {
		limits = append(limits, clauseParam{u.name, u.typ, false})
	}
	return map[string]clauseSpec{
		ClausePurpose:   {[]clauseParam{{"purposes", ParamPurposes, true}}, listConstraint("purposes", LOPurpose), hasConstraint(LOPurpose)},
		ClauseSpatial:   {[]clauseParam{{"jurisdictions", ParamCountries, true}}, listConstraint("jurisdictions", LOSpatial), hasConstraint(LOSpatial)},
		ClauseRecipient: {[]clauseParam{{"recipients", ParamDIDs, true}}, listConstraint("recipients", LORecipient), hasConstraint(LORecipient)},
		ClausePeriod: {[]clauseParam{{"period", ParamPeriod, true}}, func(b *builder) {
			if r, ok := b.vals["period"].(DateRange); ok {
				b.constrain(LODateTime, OpGteq, TimeV(r.Start.Time))
				b.constrain(LODateTime, OpLt, TimeV(r.End.AddDate(0, 0, 1)))
			}
		}, func(p *Policy) bool { return !p.Period().Until.IsZero() }},
		ClauseIndustry: {[]clauseParam{{"industry", ParamIndustry, true}}, func(b *builder) {
			if s, ok := b.vals["industry"].(string); ok {
				b.constrain(LOIndustry, OpEq, StringV(s))
			}
		}, hasConstraint(LOIndustry)},
		ClauseUsageLimits: {limits, func(b *builder) {
			for _, u := range usageLimitParams() {
				if n, ok := b.vals[u.name].(int64); ok {
					b.constrain(u.operand, OpLteq, IntV(n))
				}
			}
		}, func(p *Policy) bool { return len(p.Limits()) > 0 }},
		ClauseDeliveryChannel: {[]clauseParam{{"channels", ParamChannels, true}}, listConstraint("channels", LODeliveryChannel), hasConstraint(LODeliveryChannel)},
		ClauseApprovedRoute:   {[]clauseParam{{"routes", ParamRoutes, true}}, listConstraint("routes", LOTransferRoute), hasConstraint(LOTransferRoute)},
		ClauseNoOnwardTransfer: {nil, func(b *builder) {
			b.p.Prohibitions = append(b.p.Prohibitions, Rule{Action: ActDistribute})
		}, func(p *Policy) bool { return p.HasProhibition(ActDistribute) }},
		ClauseNoCommercialUse: {nil, func(b *builder) {
			b.p.Prohibitions = append(b.p.Prohibitions, Rule{Action: ActSell})
		}, func(p *Policy) bool { return p.HasProhibition(ActSell) }},
		ClauseDeleteAtEnd: {[]clauseParam{{"period", ParamPeriod, true}, {"retention_days", ParamDays, false}}, func(b *builder) {
			r, ok := b.vals["period"].(DateRange)
			if !ok {
				return
			}
			days, _ := b.vals["retention_days"].(int64)
			by := r.End.AddDate(0, 0, 1+int(days))
			b.p.Obligations = append(b.p.Obligations, Rule{Action: ActDelete,
				Constraints: []Constraint{{LODateTime, OpLteq, TimeV(by)}}})
		}, func(p *Policy) bool { return deletionDeadline(p) != nil }},
		ClauseBreachNotice: {[]clauseParam{{"notice_hours", ParamHours, false}}, func(b *builder) {
			hours, ok := b.vals["notice_hours"].(int64)
			if !ok {
				hours = 72
			}
			b.p.Obligations = append(b.p.Obligations, Rule{Action: ActInform, Constraints: []Constraint{
				{LOEvent, OpEq, IRIV(EventSecurityIncident)},
				{LOElapsedTime, OpLteq, DurationV("PT" + strconv.FormatInt(hours, 10) + "H")},
			}})
		}, func(p *Policy) bool { return p.Obligation(ActInform) != nil }},
		ClauseAnonymise: {nil, func(b *builder) {
			u := b.use()
			u.Duties = append(u.Duties, Rule{Action: ActAnonymize})
		}, func(p *Policy) bool {
			u := p.UsePermission()
			return u != nil && findRule(u.Duties, ActAnonymize) != nil
		}},
		ClausePricing: {[]clauseParam{{"pricing", ParamPricing, true}}, func(b *builder) {
			if pr, ok := b.vals["pricing"].(*billing.Pricing); ok {
				b.p.Pricing = pr
			}
		}, func(p *Policy) bool { return p.Pricing != nil }},
	}
}

func clauseNames() []string {
	var out []string
	for k := range clauseKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ClausePresent reports whether the policy contains a clause of the kind,
// however it was written.
func ClausePresent(kind string, p *Policy) bool {
	c, ok := clauseKinds[kind]
	return ok && c.present(p)
}

// deletionDeadline returns the deadline of the policy's deletion
// obligation, nil when there is none with a deadline.
func deletionDeadline(p *Policy) *time.Time {
	o := p.Obligation(ActDelete)
	if o == nil {
		return nil
	}
	for _, c := range o.Constraints {
		if c.LeftOperand == LODateTime && (c.Operator == OpLteq || c.Operator == OpLt) {
			t := c.RightOperand.Time
			return &t
		}
	}
	return nil
}

type builder struct {
	t    *Template
	vals map[string]any
	p    *Policy
}

func (b *builder) use() *Rule {
	if r := b.p.UsePermission(); r != nil {
		return r
	}
	b.p.Permissions = append(b.p.Permissions, Rule{Action: ActUse})
	return &b.p.Permissions[len(b.p.Permissions)-1]
}

func (b *builder) constrain(lo, op string, v Value) {
	u := b.use()
	u.Constraints = append(u.Constraints, Constraint{LeftOperand: lo, Operator: op, RightOperand: v})
}

// Instantiate checks the parameters against the template and returns the
// Offer. Parameters the template fixes may be repeated but not changed;
// unknown parameters are errors (*ParamError). The offer's uid is derived
// from the template and the parameters, so the same instantiation always
// gives the same offer.
func (t *Template) Instantiate(params Params) (*Policy, error) {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := t.Param(k); !ok {
			var known []string
			for _, ps := range t.Params {
				known = append(known, ps.Name)
			}
			return nil, &ParamError{Param: k, Msg: "not a parameter of template " + t.Name, Hint: "its parameters: " + strings.Join(known, ", ")}
		}
	}
	vals := map[string]any{}
	effective := map[string]json.RawMessage{}
	for i := range t.Params {
		ps := &t.Params[i]
		raw, given := params[ps.Name]
		if ps.Fixed.Kind != 0 {
			fixed, err := yamlToJSON(&ps.Fixed)
			if err != nil {
				return nil, &ParamError{Param: ps.Name, Msg: err.Error()}
			}
			if given {
				a, errA := ps.decode(raw)
				b, errB := ps.decode(fixed)
				if errA != nil || errB != nil || !sameValue(a, b) {
					return nil, &ParamError{Param: ps.Name, Msg: "fixed by template " + t.Name, Hint: "leave it out, or give " + string(fixed)}
				}
			}
			raw, given = fixed, true
		} else if !given && ps.Default.Kind != 0 {
			def, err := yamlToJSON(&ps.Default)
			if err != nil {
				return nil, &ParamError{Param: ps.Name, Msg: err.Error()}
			}
			raw, given = def, true
		}
		if !given {
			if ps.Required {
				return nil, &ParamError{Param: ps.Name, Msg: "required", Hint: paramHint(ps)}
			}
			continue
		}
		v, err := ps.decode(raw)
		if err != nil {
			return nil, &ParamError{Param: ps.Name, Msg: err.Error(), Hint: paramHint(ps)}
		}
		vals[ps.Name] = v
		effective[ps.Name] = raw
	}

	b := &builder{t: t, vals: vals, p: &Policy{Type: TypeOffer, Template: t.ID(), Title: t.Title.EN + " / " + t.Title.ZH}}
	b.p.Target, _ = vals["target"].(string)
	b.p.Assigner, _ = vals["provider"].(string)
	b.use() // every offer permits use of the target
	for _, c := range t.Clauses {
		clauseKinds[c].apply(b)
	}
	for _, ts := range t.Terms {
		b.p.Terms = append(b.p.Terms, Term{Code: fill(ts.Code, vals), EN: fill(ts.EN, vals), ZH: fill(ts.ZH, vals)})
	}
	uid, err := offerUID(t, effective)
	if err != nil {
		return nil, err
	}
	b.p.UID = uid
	if err := b.p.Validate(); err != nil {
		return nil, &ParamError{Msg: err.Error()}
	}
	return b.p, nil
}

func paramHint(ps *ParamSpec) string {
	h := map[string]string{
		ParamIRI:       `an absolute IRI, e.g. "urn:xborder:cn/gd/retail/orders"`,
		ParamDID:       `a DID, e.g. "did:web:provider.example"`,
		ParamDIDs:      `a list of DIDs, e.g. ["did:web:consumer.example"]`,
		ParamPurposes:  `a list of purposes, e.g. ["analytics"] (xborder assess --list-purposes)`,
		ParamCountries: `a list of ISO country codes, e.g. ["DE", "FR"]`,
		ParamPeriod:    `{"start": "2026-05-01", "end": "2026-10-31"}`,
		ParamCount:     `a whole number, e.g. 1000`,
		ParamBytes:     `a number of bytes or a size, e.g. "10GB"`,
		ParamDays:      `a whole number of days, e.g. 30`,
		ParamHours:     `a whole number of hours, e.g. 72`,
		ParamIndustry:  `a sector, e.g. "finance"`,
		ParamChannels:  `a list from privacy_computing, sandbox, api, file_transfer`,
		ParamRoutes:    `a list of route codes, e.g. ["CN_SA"]`,
		ParamPricing:   `a pricing schedule, e.g. {"currency": "CNY", "components": [{"model": "per_call", "tiers": [{"price": "0.50"}]}]}`,
		ParamText:      `a string`,
		ParamEnum:      "one of " + strings.Join(ps.Allowed, ", "),
	}[ps.Type]
	if len(ps.Allowed) > 0 && ps.Type != ParamEnum {
		h += "; this template accepts " + strings.Join(ps.Allowed, ", ")
	}
	return h
}

func sameValue(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// fill replaces {{name}} placeholders with parameter values.
func fill(s string, vals map[string]any) string {
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		switch v := vals[name].(type) {
		case string:
			return v
		case []string:
			return strings.Join(v, ", ")
		case int64:
			return strconv.FormatInt(v, 10)
		case DateRange:
			return v.Start.String() + "/" + v.End.String()
		case nil:
			return "—"
		}
		return "(see " + name + ")"
	})
}

// offerUID derives a stable urn:uuid from the template and the effective
// parameters: a UUID of version 8 (RFC 9562 §5.8) whose bits come from
// SHA-256 over the template ID and the canonical parameter JSON.
func offerUID(t *Template, effective map[string]json.RawMessage) (string, error) {
	h := sha256.New()
	h.Write([]byte("xborder offer\x00" + t.ID() + "\x00"))
	names := make([]string, 0, len(effective))
	for k := range effective {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var v any
		if err := json.Unmarshal(effective[k], &v); err != nil {
			return "", &ParamError{Param: k, Msg: err.Error()}
		}
		canon, err := json.Marshal(v) // map keys sorted
		if err != nil {
			return "", &ParamError{Param: k, Msg: err.Error()}
		}
		h.Write([]byte(k + "\x00"))
		h.Write(canon)
		h.Write([]byte{0})
	}
	return uuid8(h.Sum(nil)), nil
}

// uuid8 formats the first 16 bytes of sum as a version-8 urn:uuid.
func uuid8(sum []byte) string {
	var u [16]byte
	copy(u[:], sum)
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u[:])
	return fmt.Sprintf("urn:uuid:%s-%s-%s-%s-%s", x[0:8], x[8:12], x[12:16], x[16:20], x[20:32])
}
