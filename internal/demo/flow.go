package demo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xborder/xborder/internal/node"
)

// The negotiation between the Amsterdam centre and the Shenzhen hospital,
// through the hospital's compliance gate and its compliance office.

// negotiation is a negotiation as the management API shows it.
type negotiation struct {
	Role         string `json:"role"`
	ProviderPID  string `json:"providerPid"`
	ConsumerPID  string `json:"consumerPid"`
	State        string `json:"state"`
	Parked       bool   `json:"parked"`
	Counterparty string `json:"counterparty"`
	Dataset      string `json:"dataset"`
	AgreementID  string `json:"agreementId"`
	Events       []struct {
		To   string `json:"To"`
		Code string `json:"Code"`
	} `json:"events"`
	Termination *node.Termination `json:"termination"`
}

// lastCode is the code of the last event that carries one.
func (n *negotiation) lastCode() string {
	for i := len(n.Events) - 1; i >= 0; i-- {
		if n.Events[i].Code != "" {
			return n.Events[i].Code
		}
	}
	return ""
}

func terminal(state string) bool { return state == "FINALIZED" || state == "TERMINATED" }

// offer is an ODRL offer of the dataset for one purpose (DSP's compact form).
func offer(purpose string) map[string]any {
	return map[string]any{"@id": "urn:uuid:" + uuid(), "@type": "Offer", "target": datasetID,
		"permission": []any{map[string]any{"action": "use", "constraint": []any{
			map[string]any{"leftOperand": "purpose", "operator": "eq", "rightOperand": purpose}}}}}
}

// uuid is a random (version 4) UUID.
func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// request starts a negotiation of the dataset as consumer c for purpose.
func (d *Demo) request(ctx context.Context, c *party, purpose string) (*negotiation, map[string]any, error) {
	o := offer(purpose)
	var v negotiation
	body := map[string]any{"provider": d.cn.node.DSP().BaseURL(), "participant": d.cn.did, "offer": o}
	if err := d.api(c, node.RoleOperations).do(ctx, "POST", "/negotiations", body, &v); err != nil {
		return nil, nil, err
	}
	return &v, o, nil
}

// consumerView reads a negotiation as its consumer sees it.
func (d *Demo) consumerView(ctx context.Context, c *party, pid string) (*negotiation, error) {
	var v negotiation
	err := d.api(c, node.RoleOperations).do(ctx, "GET", "/negotiations/"+pid+"?role=consumer", nil, &v)
	return &v, err
}

// catalogOffer reads the hospital's catalog over DSP through c's
// management API and returns the dataset's offer as found there, with the
// dataset as its target (as DSP has the consumer send it), and how many
// datasets the catalog showed c.
func (d *Demo) catalogOffer(ctx context.Context, c *party) (map[string]any, int, error) {
	var cat struct {
		Dataset []struct {
			ID         string           `json:"@id"`
			Identifier string           `json:"dct:identifier"`
			HasPolicy  []map[string]any `json:"hasPolicy"`
		} `json:"dataset"`
	}
	body := map[string]any{"url": d.cn.node.PublicURL, "participant": d.cn.did}
	if err := d.api(c, node.RoleOperations).do(ctx, "POST", "/remote/catalog", body, &cat); err != nil {
		return nil, 0, err
	}
	for _, ds := range cat.Dataset {
		if ds.Identifier != datasetID && ds.ID != datasetID {
			continue
		}
		for _, o := range ds.HasPolicy {
			if o["@id"] == catalogOfferID {
				o["target"] = ds.ID
				return o, len(cat.Dataset), nil
			}
		}
	}
	return nil, len(cat.Dataset), fmt.Errorf("the hospital's catalog (%d datasets) has no offer %s for %s", len(cat.Dataset), catalogOfferID, datasetID)
}

// negotiate: the Amsterdam centre finds the dataset's research offer in the
// hospital's catalog and asks for it; the step ends when the request
// reached the hospital's gate.
func (d *Demo) negotiate(ctx context.Context, s *Step) error {
	o, found, err := d.catalogOffer(ctx, d.nl)
	if err != nil {
		return err
	}
	s.say(d.opts.Lang, fmt.Sprintf("the NL centre reads the CN hospital's catalog over DSP (%d dataset(s) it may see) and finds %s with offer %s: use for %s", found, datasetID, catalogOfferID, purpose),
		fmt.Sprintf("NL 研究中心经 DSP 读取 CN 医院的目录（可见数据集 %d 个），找到 %s 及其要约 %s：仅限%s用途", found, datasetID, catalogOfferID, purpose))
	var v negotiation
	body := map[string]any{"provider": d.cn.node.DSP().BaseURL(), "participant": d.cn.did, "offer": o}
	if err := d.api(d.nl, node.RoleOperations).do(ctx, "POST", "/negotiations", body, &v); err != nil {
		return err
	}
	d.story.consumerPID = v.ConsumerPID
	office := d.api(d.cn, node.RoleCompliance)
	err = poll(ctx, 30*time.Second, "the request to reach the gate", func() (bool, error) {
		var parked []negotiation
		if err := office.do(ctx, "GET", "/negotiations?parked=true", nil, &parked); err != nil {
			return false, err
		}
		for _, p := range parked {
			if p.Counterparty == d.nl.did && p.Dataset == o["target"] {
				d.story.providerPID = p.ProviderPID
				return true, nil
			}
		}
		c, err := d.consumerView(ctx, d.nl, v.ConsumerPID)
		if err != nil {
			return false, err
		}
		d.story.providerPID = c.ProviderPID
		return terminal(c.State), nil
	})
	if err != nil {
		return err
	}
	s.say(d.opts.Lang, fmt.Sprintf("the NL centre asks the CN hospital for %s for %s (that offer), over DSP 2025-1 with self-issued ID tokens; its jurisdiction proved by its credential", datasetID, purpose),
		fmt.Sprintf("NL 研究中心就该要约向 CN 医院申请 %s，目的 %s，经 DSP 2025-1 协议，使用自签发 ID 令牌，并以凭证证明其所在地", datasetID, purpose))
	s.say(d.opts.Lang, fmt.Sprintf("negotiation %s (NL) / %s (CN)", v.ConsumerPID, d.story.providerPID),
		fmt.Sprintf("协商流程 %s（NL）/ %s（CN）", v.ConsumerPID, d.story.providerPID))
	s.Facts["offer"], s.Facts["consumerPid"], s.Facts["providerPid"], s.Facts["purpose"] = o, v.ConsumerPID, d.story.providerPID, purpose
	return nil
}

// gate: what the hospital's compliance gate made of the request; a filing
// not on record parks it for the compliance office, which records its
// standard-contract filing and accepts.
func (d *Demo) gate(ctx context.Context, s *Step) error {
	office := d.api(d.cn, node.RoleCompliance)
	var pv negotiation
	if err := office.do(ctx, "GET", "/negotiations/"+d.story.providerPID, nil, &pv); err != nil {
		return err
	}
	s.Facts["parked"] = pv.Parked
	switch {
	case pv.Parked:
		code := pv.lastCode()
		route := d.story.route.Route
		s.say(d.opts.Lang, fmt.Sprintf("the CN gate parked the request for the compliance office: %s — %s needs a filing that is not on record, as the assessment said", code, route),
			fmt.Sprintf("CN 合规闸口将请求转交合规部门：%s — %s 需要的备案尚无记录，与评估结论一致", code, route))
		filed := route
		if route == "CN_SC_OR_CERT" {
			filed = "CN_SC" // the hospital files the standard contract
		}
		now := d.opts.Now()
		ap := map[string]any{"provider": d.cn.did, "route": filed, "ref": "DEMO-SC-4403-2026-0042",
			"issued": now.Format("2006-01-02"), "expires": now.AddDate(3, 0, 0).Format("2006-01-02")}
		if err := office.do(ctx, "POST", "/approvals", ap, nil); err != nil {
			return err
		}
		if err := office.do(ctx, "POST", "/negotiations/"+d.story.providerPID, map[string]any{"verdict": "accept"}, nil); err != nil {
			return err
		}
		s.say(d.opts.Lang, fmt.Sprintf("the compliance office records its filing (%s, %s — demo) and accepts", filed, ap["ref"]),
			fmt.Sprintf("合规部门登记备案（%s，%s — 演示）并批准", filed, ap["ref"]))
		s.Facts["code"], s.Facts["approval"] = code, ap
	case pv.State == "TERMINATED":
		return fmt.Errorf("the gate refused the research request: %s", pv.lastCode())
	default:
		s.say(d.opts.Lang, "the CN gate agreed: the route is clear", "CN 合规闸口同意：出境路径无障碍")
	}
	var c *negotiation
	err := poll(ctx, 30*time.Second, "the negotiation to finish", func() (bool, error) {
		var err error
		c, err = d.consumerView(ctx, d.nl, d.story.consumerPID)
		return err == nil && terminal(c.State), err
	})
	if err != nil {
		return err
	}
	if c.State != "FINALIZED" {
		return fmt.Errorf("the negotiation ended %s: %s", c.State, c.lastCode())
	}
	d.story.agreement = c.AgreementID
	s.say(d.opts.Lang, fmt.Sprintf("FINALIZED: agreement %s, for %s only", c.AgreementID, purpose),
		fmt.Sprintf("协商完成（FINALIZED）：协议 %s，仅限 %s", c.AgreementID, purpose))
	s.Facts["agreement"], s.Facts["state"] = c.AgreementID, c.State
	return nil
}

// transferView is a transfer as the management API shows it.
type transferView struct {
	Transfer struct {
		State  string `json:"state"`
		Bytes  int64  `json:"bytes"`
		Digest string `json:"sha256"`
		File   string `json:"file"`
		Code   string `json:"code"`
	} `json:"transfer"`
	Events []struct {
		To   string `json:"To"`
		Code string `json:"Code"`
	} `json:"events"`
	Termination *node.Termination `json:"termination"`
}

// pull: the Amsterdam centre starts a transfer under the agreement and
// waits for it, reporting progress.
func (d *Demo) pull(ctx context.Context) (*transferView, string, error) {
	nl := d.api(d.nl, node.RoleOperations)
	var started struct {
		PID         string `json:"pid"`
		ProviderPID string `json:"providerPid"`
	}
	if err := nl.do(ctx, "POST", "/transfers", map[string]any{"agreement": d.story.agreement}, &started); err != nil {
		return nil, "", err
	}
	var v transferView
	err := poll(ctx, 60*time.Second, "the transfer", func() (bool, error) {
		v = transferView{}
		if err := nl.do(ctx, "GET", "/transfers/"+started.PID+"?role=consumer", nil, &v); err != nil {
			return false, err
		}
		if d.opts.Progress != nil && v.Transfer.Bytes > 0 {
			d.opts.Progress(v.Transfer.Bytes)
		}
		switch {
		case v.Transfer.State == "completed":
			return true, nil
		case v.Transfer.State == "failed":
			return false, fmt.Errorf("the transfer failed: %s", v.Transfer.Code)
		}
		for _, e := range v.Events {
			if e.To == "TERMINATED" {
				b, _ := json.Marshal(v.Termination)
				return false, fmt.Errorf("the provider ended the transfer: %s %s", e.Code, b)
			}
		}
		return false, nil
	})
	return &v, started.ProviderPID, err
}
