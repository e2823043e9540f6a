package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Synthetic catalogs for benchmarks and tests: deterministic from a seed,
// with Chinese and English titles, descriptions and keywords and realistic
// facets. No real organisation or dataset is described.

type synthSubject struct{ zh, en, slug string }

type synthIndustry struct {
	code      string
	subjects  []synthSubject
	keywords  [][2]string // zh, en
	scenarios []string
}

func synthIndustries() []synthIndustry {
	return []synthIndustry{
		{"finance", []synthSubject{{"交易流水", "transaction records", "transactions"}, {"信贷审批记录", "credit approval records", "credit-approvals"}, {"账户余额快照", "account balance snapshots", "balances"}, {"跨境支付明细", "cross-border payment details", "payments"}},
			[][2]string{{"金融", "finance"}, {"支付", "payments"}, {"信贷", "credit"}, {"风控", "risk"}, {"反洗钱", "aml"}}, []string{"risk_control", "anti_fraud", "credit_scoring", "aml"}},
		{"insurance", []synthSubject{{"保单记录", "policy records", "policies"}, {"理赔案件", "insurance claims", "claims"}, {"车险报价", "motor insurance quotes", "motor-quotes"}},
			[][2]string{{"保险", "insurance"}, {"理赔", "claims"}, {"精算", "actuarial"}}, []string{"risk_control", "anti_fraud"}},
		{"retail", []synthSubject{{"客户订单", "customer orders", "orders"}, {"会员画像", "member profiles", "members"}, {"门店销售汇总", "store sales summaries", "store-sales"}, {"商品库存", "product inventory", "inventory"}},
			[][2]string{{"零售", "retail"}, {"客户", "customers"}, {"订单", "orders"}, {"会员", "loyalty"}}, []string{"sales_analytics", "marketing", "customer_service"}},
		{"ecommerce", []synthSubject{{"跨境电商订单", "cross-border e-commerce orders", "ecom-orders"}, {"物流轨迹", "parcel tracking events", "parcels"}, {"用户评价", "customer reviews", "reviews"}},
			[][2]string{{"电商", "e-commerce"}, {"跨境", "cross-border"}, {"物流", "logistics"}}, []string{"marketing", "customer_service", "supply_chain"}},
		{"healthcare", []synthSubject{{"门诊病历", "outpatient records", "outpatient"}, {"临床试验数据", "clinical trial data", "clinical-trials"}, {"医学影像元数据", "medical imaging metadata", "imaging"}, {"体检报告", "health check reports", "checkups"}},
			[][2]string{{"医疗", "healthcare"}, {"临床", "clinical"}, {"健康", "health"}, {"病历", "medical records"}}, []string{"clinical_research"}},
		{"manufacturing", []synthSubject{{"设备运行日志", "machine telemetry logs", "telemetry"}, {"质检记录", "quality inspection records", "inspections"}, {"供应商交付记录", "supplier delivery records", "deliveries"}},
			[][2]string{{"制造", "manufacturing"}, {"工业互联网", "industrial internet"}, {"供应链", "supply chain"}}, []string{"supply_chain"}},
		{"automotive", []synthSubject{{"车辆行驶数据", "vehicle driving data", "driving"}, {"充电桩使用记录", "charging station sessions", "charging"}, {"售后维修记录", "after-sales repair records", "repairs"}},
			[][2]string{{"汽车", "automotive"}, {"新能源", "new energy"}, {"车联网", "connected vehicles"}}, []string{"supply_chain", "customer_service"}},
		{"logistics", []synthSubject{{"运单明细", "waybill details", "waybills"}, {"港口集装箱动态", "port container movements", "containers"}, {"仓储出入库记录", "warehouse movements", "warehouse"}},
			[][2]string{{"物流", "logistics"}, {"运输", "transport"}, {"港口", "ports"}}, []string{"supply_chain"}},
		{"energy", []synthSubject{{"电网负荷曲线", "grid load curves", "grid-load"}, {"光伏发电量", "solar generation output", "solar"}, {"碳排放核算", "carbon emission accounts", "carbon"}},
			[][2]string{{"能源", "energy"}, {"电力", "power"}, {"碳排放", "carbon"}}, []string{"smart_city"}},
		{"telecom", []synthSubject{{"基站信令汇总", "cell signalling summaries", "signalling"}, {"用户话单", "call detail records", "cdr"}, {"网络质量指标", "network quality indicators", "network-kpi"}},
			[][2]string{{"电信", "telecom"}, {"通信", "communications"}, {"网络", "network"}}, []string{"anti_fraud", "marketing"}},
		{"tourism", []synthSubject{{"酒店预订记录", "hotel bookings", "hotels"}, {"机票订单", "flight bookings", "flights"}, {"景区客流统计", "tourist site footfall", "footfall"}},
			[][2]string{{"旅游", "tourism"}, {"出行", "travel"}, {"酒店", "hotels"}}, []string{"marketing", "customer_service"}},
		{"education", []synthSubject{{"在线课程学习记录", "online course activity", "courses"}, {"留学申请材料统计", "study-abroad application statistics", "applications"}},
			[][2]string{{"教育", "education"}, {"在线学习", "e-learning"}}, []string{"sales_analytics"}},
	}
}

type synthRegion struct{ code, zh, en, sov string }

func synthRegions() []synthRegion {
	return []synthRegion{
		{"CN-GD", "广东", "Guangdong", "CN"}, {"CN-SH", "上海", "Shanghai", "CN"}, {"CN-BJ", "北京", "Beijing", "CN"},
		{"CN-ZJ", "浙江", "Zhejiang", "CN"}, {"CN-JS", "江苏", "Jiangsu", "CN"}, {"CN-SC", "四川", "Sichuan", "CN"},
		{"CN-HI", "海南", "Hainan", "CN"}, {"HK", "香港", "Hong Kong", "HK"}, {"MO", "澳门", "Macao", "MO"},
		{"SG", "新加坡", "Singapore", "SG"}, {"DE", "德国", "Germany", "DE"}, {"FR", "法国", "France", "FR"},
		{"JP", "日本", "Japan", "JP"}, {"US", "美国", "United States", "US"}, {"GB", "英国", "United Kingdom", "GB"},
	}
}

// SyntheticEntries returns n entries drawn from seed: the same arguments
// always give the same entries. Restricted entries carry an access policy
// that SyntheticChecker understands.
func SyntheticEntries(seed uint64, n int) []*Entry {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	inds := synthIndustries()
	regs := synthRegions()
	freqs := []string{"daily", "weekly", "monthly", "quarterly", "annual", "continuous", "irregular"}
	formats := []string{"csv", "csv", "csv", "parquet", "parquet", "json", "jsonl", "xlsx", "sqlite"}
	quals := [][2]string{{"明细", "detailed"}, {"汇总", "aggregated"}, {"脱敏", "de-identified"}, {"样本", "sample"}}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*Entry, n)
	for i := range out {
		ind := inds[r.IntN(len(inds))]
		sub := ind.subjects[r.IntN(len(ind.subjects))]
		// sovereignty: mostly CN
		var reg synthRegion
		switch x := r.Float64(); {
		case x < 0.6:
			reg = regs[r.IntN(7)]
		default:
			reg = regs[7+r.IntN(len(regs)-7)]
		}
		q := quals[r.IntN(len(quals))]
		year := 2023 + r.IntN(4)
		quarter := 1 + r.IntN(4)
		space := strings.ToLower(strings.ReplaceAll(reg.code, "CN-", "")) + "-" + ind.code
		product := fmt.Sprintf("%s-%d-q%d-%d", sub.slug, year, quarter, i)
		owner := fmt.Sprintf("did:web:org%d.%s.example", r.IntN(400), strings.ToLower(reg.sov))
		e := &Entry{
			Identifier: "xb86/" + reg.sov + "/" + space + "/" + product,
			Title: LangMap{
				"zh": fmt.Sprintf("%s%s%s（%d年第%d季度）", reg.zh, sub.zh, q[0], year, quarter),
				"en": fmt.Sprintf("%s %s, %s (Q%d %d)", reg.en, sub.en, q[1], quarter, year),
			},
			Description: LangMap{
				"zh": fmt.Sprintf("%s地区%s的%s数据，按%s更新，可用于%s。", reg.zh, ind.keywords[0][0], sub.zh, freqZH(freqs[i%len(freqs)]), ind.keywords[r.IntN(len(ind.keywords))][0]),
				"en": fmt.Sprintf("%s %s data on %s in %s, updated %s, for %s.", q[1], ind.keywords[0][1], sub.en, reg.en, freqs[i%len(freqs)], ind.keywords[r.IntN(len(ind.keywords))][1]),
			},
			Keywords:        LangList{},
			Issued:          base.Add(-time.Duration(r.IntN(1000)) * 24 * time.Hour).Format(time.RFC3339),
			Modified:        base.Add(time.Duration(r.IntN(100*24*3600)) * time.Second).Format(time.RFC3339),
			SpatialCoverage: []string{reg.code},
			UpdateFrequency: freqs[i%len(freqs)],
		}
		for k := 0; k < 3+r.IntN(2); k++ {
			kw := ind.keywords[r.IntN(len(ind.keywords))]
			e.Keywords["zh"] = append(e.Keywords["zh"], kw[0])
			e.Keywords["en"] = append(e.Keywords["en"], kw[1])
		}
		if r.IntN(4) == 0 {
			e.SpatialCoverage = append(e.SpatialCoverage, regs[r.IntN(len(regs))].code)
		}
		e.Distributions = []Distribution{{Format: "HttpData-PULL", AccessService: AccessService{Service: &DataService{
			ID: fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i%997), EndpointURL: "https://" + strings.TrimPrefix(owner, "did:web:") + "/dsp"}}}}
		e.Offers = []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"@id":"urn:uuid:10000000-0000-4000-8000-%012d","@type":"Offer","permission":[{"action":"use","constraint":[{"leftOperand":"odrl:purpose","operator":"eq","rightOperand":"%s"}]}]}`, i, ind.scenarios[0]))}
		score := math.Round((50+50*math.Sqrt(r.Float64()))*10) / 10
		e.Business = &Business{Industry: ind.code, Scenarios: []string{ind.scenarios[r.IntN(len(ind.scenarios))]}}
		if r.IntN(10) != 0 {
			e.Business.QualityScore = &score
		}
		level := LevelPublic
		switch x := r.Float64(); {
		case x < 0.25:
		case x < 0.65:
			level = LevelInternal
		case x < 0.95:
			level = LevelSensitive
		default:
			level = LevelCore
		}
		g := Governance{Owner: owner, ClassificationLevel: level, ExportStatus: "not_assessed"}
		if level == LevelCore {
			g.DataGrade = "core"
		}
		if level == LevelSensitive || level == LevelCore {
			g.AccessPolicy = json.RawMessage(fmt.Sprintf(`{"@type":"Set","uid":"urn:uuid:20000000-0000-4000-8000-%012d","permission":[{"action":"read","constraint":[{"leftOperand":"xbc:role","operator":"eq","rightOperand":"%s"}]}]}`, i%20, syntheticRoles()[i%len(syntheticRoles())]))
		}
		if r.IntN(3) == 0 {
			g.AllowedCountries = []string{regs[7+r.IntN(len(regs)-7)].sov}
			g.AllowedPurposes = []string{"analytics"}
		}
		e.Governance = g
		indiv := int64(0)
		if ind.code != "energy" && ind.code != "manufacturing" {
			indiv = int64(math.Exp(r.Float64() * math.Log(5e6)))
		}
		sens := int64(0)
		if indiv > 0 && (ind.code == "finance" || ind.code == "healthcare" || ind.code == "insurance" || r.IntN(4) == 0) {
			sens = indiv * int64(1+r.IntN(100)) / 100
		}
		e.Technical = &Technical{DataFormat: formats[r.IntN(len(formats))], RowCount: indiv*3 + int64(r.IntN(1000)),
			PIProfile: &PIProfile{Individuals: indiv, SensitiveIndividuals: sens}}
		out[i] = e
	}
	return out
}

func freqZH(f string) string {
	switch f {
	case "daily":
		return "日"
	case "weekly":
		return "周"
	case "monthly":
		return "月"
	case "quarterly":
		return "季度"
	case "annual":
		return "年"
	case "continuous":
		return "实时"
	}
	return "不定期"
}

// syntheticRoles are the roles the synthetic access policies ask for.
func syntheticRoles() []string {
	return []string{"analyst", "auditor", "regulator", "partner", "researcher"}
}

// SyntheticChecker is the AccessChecker of the synthetic catalog, for
// benchmarks and tests only: it grants access when the requester's "role"
// claim equals the rightOperand of the policy's xbc:role constraint. It is
// not an ODRL engine.
type SyntheticChecker struct{}

// CheckAccess implements AccessChecker.
func (SyntheticChecker) CheckAccess(_ context.Context, r Requester, policy json.RawMessage) (bool, error) {
	var p struct {
		Permission []struct {
			Constraint []struct {
				LeftOperand  string `json:"leftOperand"`
				RightOperand string `json:"rightOperand"`
			} `json:"constraint"`
		} `json:"permission"`
	}
	if err := json.Unmarshal(policy, &p); err != nil {
		return false, err
	}
	role, _ := r.Claims["role"].(string)
	for _, perm := range p.Permission {
		for _, c := range perm.Constraint {
			if c.LeftOperand == "xbc:role" && c.RightOperand == role && role != "" {
				return true, nil
			}
		}
	}
	return false, nil
}

// SyntheticQueries returns a mix of n search requests over a synthetic
// catalog: Chinese and English words, prefixes, facet filters, both, and
// browsing without words.
func SyntheticQueries(seed uint64, n int) []SearchRequest {
	r := rand.New(rand.NewPCG(seed, 7))
	inds := synthIndustries()
	regs := synthRegions()
	out := make([]SearchRequest, n)
	for i := range out {
		ind := inds[r.IntN(len(inds))]
		sub := ind.subjects[r.IntN(len(ind.subjects))]
		kw := ind.keywords[r.IntN(len(ind.keywords))]
		reg := regs[r.IntN(len(regs))]
		var q SearchRequest
		switch i % 10 {
		case 0:
			q.Query = sub.zh
		case 1:
			q.Query = sub.en
		case 2:
			q.Query = reg.zh + " " + kw[0]
		case 3:
			q.Query = kw[1] + " " + reg.en
		case 4:
			q.Query = sub.en[:min(4, len(sub.en))] + "*"
		case 5:
			q.Query = kw[0]
			q.Filters = map[string][]string{"level": {"public", "internal"}}
		case 6:
			q.Query = "industry:" + ind.code + " quality:>=80"
		case 7:
			q.Filters = map[string][]string{"geo": {reg.sov}, "format": {"csv"}}
		case 8:
			q.Query = sub.zh + " " + reg.zh + " 汇总"
		case 9:
			q.Query = "" // browse: facets over everything, newest first
		}
		out[i] = q
	}
	return out
}
