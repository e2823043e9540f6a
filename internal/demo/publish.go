package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/mask"
	"github.com/xborder/xborder/internal/node"
	"github.com/xborder/xborder/internal/report"
	"github.com/xborder/xborder/internal/rulebook"
)

// The hospital's side before anyone asks: the offline assessment (seed
// §4.2.1.3), the catalog entry, the content and its masking policy.

// datasetID is the dataset's identifier in the data space.
const datasetID = "xb86/CN/shenzhen-hospital/oncology-2021-2025"

// purpose is what the Amsterdam centre asks for (assess vocabulary).
const purpose = "research"

// entry is the hospital's catalog entry for the dataset, before the
// assessment adds its personal-information profile.
func (d *Demo) entry() *catalog.Entry {
	e := &catalog.Entry{Identifier: datasetID,
		Title:       catalog.LangMap{"en": "Oncology cases 2021–2025", "zh": "肿瘤病例（2021–2025）"},
		Description: catalog.LangMap{"en": "Cancer diagnoses with stage and treatment; de-identified for research.", "zh": "肿瘤诊断、分期与治疗；去标识化后用于科研。"},
		Publisher:   d.cn.did}
	// The entry is listed to the data space's members (internal): its
	// description names no person; the data themselves leave only through
	// the gate, an agreement and the masking policy. (A "sensitive" entry
	// would be shown only to requesters whose verified claims satisfy its
	// access policy.)
	e.Governance = catalog.Governance{Owner: d.cn.did, Sovereignty: "CN", ClassificationLevel: "internal", AllowedPurposes: []string{purpose}}
	// The offer the hospital publishes: use for research only. Consumers
	// find it in the catalog over DSP and ask for it as it is.
	e.Offers = []json.RawMessage{json.RawMessage(`{"@id":"` + catalogOfferID + `","@type":"Offer","permission":[{"action":"use","constraint":[` +
		`{"leftOperand":"odrl:purpose","operator":"eq","rightOperand":"` + purpose + `"}]}]}`)}
	return e
}

// catalogOfferID is the @id of the research offer in the hospital's catalog.
const catalogOfferID = "urn:uuid:6f1c2e5a-2b7d-4c39-9a51-0d3e8b7f4c21"

// assess: the offline assessment of the export to the Netherlands, for the
// scenario the gate will decide (the catalog entry's).
func (d *Demo) assess(ctx context.Context, s *Step) error {
	sc := d.entry().ExportScenario(d.nl.country, purpose, d.opts.Now())
	sc.Recipient.Name = d.nl.name.en + " (demo)"
	res, err := assess.Assess(ctx, assess.Request{Scenario: sc, Files: []string{d.story.csv}, Now: d.opts.Now})
	if err != nil {
		return err
	}
	d.story.result = res
	p := res.Profile
	s.say(d.opts.Lang, fmt.Sprintf("%s rows, %s individuals (counted by %s), %s of them with sensitive personal information", num(p.Rows), num(p.Individuals), p.IdentityKey, num(p.SensitiveIndividuals)),
		fmt.Sprintf("%s 行，%s 名个人（按 %s 计），其中 %s 人含敏感个人信息", num(p.Rows), num(p.Individuals), p.IdentityKey, num(p.SensitiveIndividuals)))
	var cols []string
	for _, f := range p.Fields {
		c := f.Name + " " + string(f.Class)
		if f.Sensitive {
			c += "*"
		}
		cols = append(cols, c)
	}
	s.say(d.opts.Lang, "columns: "+strings.Join(cols, " · ")+" (* sensitive)", "字段："+strings.Join(cols, " · ")+"（* 敏感）")
	var routes []map[string]any
	for _, x := range res.Decisions {
		title := x.Route
		if ri, ok := rulebook.RouteByCode(x.Route); ok {
			title = ri.Title.In(d.opts.Lang)
		}
		outcome := text{"clear", "可以出境"}
		switch {
		case x.Blocking:
			outcome = text{"blocking: no filing or approval on record", "阻断：尚无备案或批准记录"}
		case x.NeedsReview:
			outcome = text{"needs review", "需人工复核"}
		}
		reason := ""
		if len(x.Reasons) > 0 {
			reason = x.Reasons[0].In(d.opts.Lang)
		}
		s.say(d.opts.Lang, fmt.Sprintf("export %s → %s for %s, %s rules: %s (%s) — %s", sc.Exporter.Country, sc.Recipient.Country, purpose, x.Jurisdiction, x.Route, title, outcome.en),
			fmt.Sprintf("出境 %s → %s（%s），%s 规则：%s（%s）— %s", sc.Exporter.Country, sc.Recipient.Country, purpose, x.Jurisdiction, x.Route, title, outcome.zh))
		if reason != "" {
			s.say(d.opts.Lang, "  "+reason, "  "+reason)
		}
		routes = append(routes, map[string]any{"jurisdiction": x.Jurisdiction, "route": x.Route, "title": title, "blocking": x.Blocking, "needsReview": x.NeedsReview})
		if x.Jurisdiction == "CN" {
			d.story.route = x
		}
	}
	if d.story.route.Route == "" {
		return fmt.Errorf("the assessment gave no CN route")
	}
	lang := report.EN
	if d.opts.Lang == "zh" {
		lang = report.ZH
	}
	out := filepath.Join(d.cn.dir, "export", "assessment.html")
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	err = report.Render(f, res, report.HTML, lang)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	s.say(d.opts.Lang, "full report: "+out, "完整报告："+out)
	s.Facts["individuals"], s.Facts["sensitiveIndividuals"], s.Facts["routes"], s.Facts["report"] = p.Individuals, p.SensitiveIndividuals, routes, out
	return nil
}

// publish: the entry with the assessment's profile, the content, and the
// masking policy the compliance office settled on.
func (d *Demo) publish(ctx context.Context, s *Step) error {
	p := d.story.result.Profile
	e := d.entry()
	pp := &catalog.PIProfile{Individuals: p.Individuals, SensitiveIndividuals: p.SensitiveIndividuals, Minors: p.Minors,
		SpecialCategory: p.SpecialCategory, IdentityKey: p.IdentityKey, ImportantCandidates: p.ImportantCandidates}
	for _, f := range p.Fields {
		if f.Personal {
			pp.PersonalInfoTypes = append(pp.PersonalInfoTypes, string(f.Class))
		}
		if f.Sensitive {
			e.Governance.SensitiveFields = append(e.Governance.SensitiveFields, f.Name)
		}
	}
	e.Technical = &catalog.Technical{DataFormat: "csv", MediaType: "text/csv", ByteSize: d.story.csvSize, RowCount: p.Rows,
		Checksum: &catalog.Checksum{Algorithm: "sha256", Value: d.story.csvSHA}, PIProfile: pp}
	ops, office := d.api(d.cn, node.RoleOperations), d.api(d.cn, node.RoleCompliance)
	if err := ops.do(ctx, "POST", "/datasets", e, nil); err != nil {
		return err
	}
	content, err := os.ReadFile(d.story.csv)
	if err != nil {
		return err
	}
	var up struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	if err := ops.do(ctx, "PUT", "/sources/"+datasetID+"?format=csv", content, &up); err != nil {
		return err
	}
	proposed := mask.Propose(p.Fields)
	reviewed, changes := review(proposed)
	pol, err := reviewed.Marshal()
	if err != nil {
		return err
	}
	if err := office.do(ctx, "PUT", "/masks/"+datasetID, pol, nil); err != nil {
		return err
	}
	for name, pl := range map[string]*mask.Policy{"mask-proposed.json": proposed, "mask-reviewed.json": reviewed} {
		b, _ := pl.Marshal()
		if err := os.WriteFile(filepath.Join(d.cn.dir, "export", name), b, 0o644); err != nil {
			return err
		}
	}
	s.say(d.opts.Lang, fmt.Sprintf("%s in the CN catalog, listed to data space members with one offer (use for %s only): %s individuals, %s with sensitive personal information (from the assessment)",
		datasetID, purpose, num(pp.Individuals), num(pp.SensitiveIndividuals)),
		fmt.Sprintf("%s 已登记到 CN 目录，对数据空间成员可见，附一项要约（仅限%s用途）：个人数 %s，其中含敏感个人信息 %s（来自评估）",
			datasetID, purpose, num(pp.Individuals), num(pp.SensitiveIndividuals)))
	s.say(d.opts.Lang, fmt.Sprintf("content uploaded: %s, sha256 %s…", size(up.Size), up.SHA256[:16]),
		fmt.Sprintf("内容已上传：%s，sha256 %s…", size(up.Size), up.SHA256[:16]))
	s.say(d.opts.Lang, "masking policy proposed from the classification, reviewed by the compliance office:", "脱敏策略由分类结果自动起草，经合规部门审核：")
	for _, c := range changes {
		s.say(d.opts.Lang, fmt.Sprintf("  %s: %s → %s (%s)", c.column, c.from, c.to, c.why.en), fmt.Sprintf("  %s：%s → %s（%s）", c.column, c.from, c.to, c.why.zh))
	}
	summary := map[mask.Action][]string{}
	for _, r := range reviewed.Columns {
		summary[r.Action] = append(summary[r.Action], r.Name)
	}
	var parts []string
	for _, a := range []mask.Action{mask.Drop, mask.Pseudonymise, mask.Generalise, mask.Mask, mask.Keep} {
		if len(summary[a]) > 0 {
			parts = append(parts, string(a)+" "+strings.Join(summary[a], ","))
		}
	}
	s.say(d.opts.Lang, "  what leaves: "+strings.Join(parts, "; "), "  出境内容："+strings.Join(parts, "；"))
	s.Facts["dataset"], s.Facts["sha256"], s.Facts["bytes"] = datasetID, up.SHA256, up.Size
	s.Facts["masking"] = map[string]any{"proposed": filepath.Join(d.cn.dir, "export", "mask-proposed.json"), "reviewed": filepath.Join(d.cn.dir, "export", "mask-reviewed.json"), "columns": summary}
	return nil
}

// policyChange is one change the compliance office made to the proposal.
type policyChange struct {
	column, from, to string
	why              text
}

// ruleDesc is a rule's action with its granularity (generalise).
func ruleDesc(r mask.Rule) string {
	if r.Granularity != "" {
		return string(r.Action) + " (" + r.Granularity + ")"
	}
	return string(r.Action)
}

// review is the compliance office's reading of the proposed policy for
// this purpose: what cancer research needs leaves (the diagnosis, under
// the patients' research consent), what it does not need stays home
// (names, mobiles), case numbers become tokens and diagnosis dates months.
func review(p *mask.Policy) (*mask.Policy, []policyChange) {
	out := &mask.Policy{Version: p.Version, Default: p.Default}
	var changes []policyChange
	for _, r := range p.Columns {
		was := ruleDesc(r)
		var why text
		switch {
		case r.Class == classify.ClassPersonName || r.Class == classify.ClassCNMobile:
			r = mask.Rule{Name: r.Name, Action: mask.Drop, Note: "the research does not need it"}
			why = text{"the research does not need it", "科研不需要"}
		case r.Name == "诊断":
			r = mask.Rule{Name: r.Name, Action: mask.Keep, Note: "the purpose needs it; research consent on record"}
			why = text{"the purpose needs it; research consent on record", "科研目的所必需；已取得科研同意"}
		case r.Name == "病历号":
			r = mask.Rule{Name: r.Name, Action: mask.Pseudonymise, Domain: "case", Note: "the centre can refer to a case; only the hospital can resolve it"}
			why = text{"a token the centre can cite, only the hospital can resolve", "研究中心可引用、仅医院可还原的标记"}
		case r.Name == "确诊日期":
			r = mask.Rule{Name: r.Name, Action: mask.Generalise, Kind: mask.KindDate, Granularity: "month", Note: "month of diagnosis"}
			why = text{"month of diagnosis is enough", "确诊月份即可"}
		}
		if now := ruleDesc(r); now != was {
			changes = append(changes, policyChange{column: r.Name, from: was, to: now, why: why})
		}
		out.Columns = append(out.Columns, r)
	}
	return out, changes
}
