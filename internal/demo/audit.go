package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/node"
	"github.com/xborder/xborder/internal/witness"
)

// ledgerInfo is what an auditor of the Shenzhen ledger is given out of
// band: its keys and the witness policy.
type ledgerInfo struct {
	keys   node.LedgerKeys
	policy *witness.Policy
}

// audit: the Shenzhen ledger's checkpoint, cosigned in Amsterdam, and the
// evidence pack of the transfer, verified offline as an auditor would.
func (d *Demo) audit(ctx context.Context, s *Step) error {
	var pack []byte
	if err := d.api(d.cn, node.RoleAuditor).do(ctx, "GET", "/audit/pack?object="+d.story.transferPID, nil, &pack); err != nil {
		return err
	}
	rep, err := audit.VerifyPack(pack, audit.PackTrust{LogKey: d.ledger.keys.Key, Witnesses: d.ledger.policy})
	if err != nil {
		return fmt.Errorf("the evidence pack: %w", err)
	}
	var p audit.Pack
	if err := json.Unmarshal(pack, &p); err != nil {
		return err
	}
	cp := []byte(p.Checkpoint)
	lv, err := note.NewVerifier(d.ledger.keys.Key)
	if err != nil {
		return err
	}
	sv, err := audit.NewSM2Verifier(d.ledger.keys.SM2Key)
	if err != nil {
		return err
	}
	wvs, err := d.ledger.policy.Verifiers()
	if err != nil {
		return err
	}
	cos, err := witness.VerifyCosignatures(cp, lv, wvs, 1)
	if err != nil {
		return fmt.Errorf("the CN checkpoint: %w", err)
	}
	n, err := note.Open(cp, note.VerifierList(lv, sv))
	if err != nil || len(n.Sigs) != 2 {
		return fmt.Errorf("the CN checkpoint's Ed25519 and SM2 signatures: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 3 {
		return fmt.Errorf("the CN checkpoint: malformed")
	}
	reasons, err := packReasons(&p)
	if err != nil {
		return err
	}
	dir := filepath.Join(d.opts.Dir, "evidence")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"transfer-pack.json": string(pack),
		"cn-ledger.vkey":     d.ledger.keys.Key + "\n",
		"witnesses.policy":   fmt.Sprintf("witness amsterdam %s\nquorum amsterdam\n", d.witness.key),
		"checkpoint.txt":     p.Checkpoint,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	at := cos[0].Time.UTC().Format(time.RFC3339)
	s.say(d.opts.Lang, fmt.Sprintf("CN ledger checkpoint of %s entries (root %s): signed by the hospital (Ed25519 + SM2), cosigned by %s at %s",
		num(int64(rep.Size)), abbrev(lines[2]), cos[0].Name, at),
		fmt.Sprintf("CN 审计账本检查点（%s 条记录，根哈希 %s）：医院签名（Ed25519 + SM2），%s 于 %s 联署",
			num(int64(rep.Size)), abbrev(lines[2]), cos[0].Name, at))
	s.say(d.opts.Lang, "  the witness in NL cosigns only a tree that extends every one it cosigned before: one history for both sides",
		"  NL 见证方只联署对其此前所见各版本的延续：双方看到的是同一份历史")
	packFile := filepath.Join(dir, "transfer-pack.json")
	s.say(d.opts.Lang, fmt.Sprintf("evidence pack of the transfer %s: %d entries (%s), verified offline with the CN ledger key and the witness policy",
		d.story.transferPID, rep.Entries, strings.Join(reasons, ", ")),
		fmt.Sprintf("本次传输 %s 的证据包：%d 条记录（%s），以 CN 账本公钥和见证策略离线验证通过",
			d.story.transferPID, rep.Entries, strings.Join(reasons, "、")))
	verify := fmt.Sprintf("xborder audit verify %s --log-key \"$(cat %s)\" --witness-policy %s", packFile, filepath.Join(dir, "cn-ledger.vkey"), filepath.Join(dir, "witnesses.policy"))
	s.say(d.opts.Lang, "check it yourself: "+verify, "自行验证："+verify)
	s.Facts["checkpoint"] = map[string]any{"size": rep.Size, "root": lines[2], "cosignedBy": cos[0].Name, "cosignedAt": cos[0].Time.UTC(), "file": filepath.Join(dir, "checkpoint.txt")}
	s.Facts["pack"] = map[string]any{"file": packFile, "object": d.story.transferPID, "entries": rep.Entries, "reasons": reasons, "cosignatures": len(rep.Cosignatures)}
	if d.story.taskID == "" {
		return nil
	}
	// The joint computation's entries in the hospital's ledger: every call
	// on its node, allowed or refused, under the task's id.
	var tpack []byte
	if err := d.api(d.cn, node.RoleAuditor).do(ctx, "GET", "/audit/pack?object="+d.story.taskID, nil, &tpack); err != nil {
		return err
	}
	trep, err := audit.VerifyPack(tpack, audit.PackTrust{LogKey: d.ledger.keys.Key, Witnesses: d.ledger.policy})
	if err != nil {
		return fmt.Errorf("the joint computation's evidence pack: %w", err)
	}
	var tp audit.Pack
	if err := json.Unmarshal(tpack, &tp); err != nil {
		return err
	}
	treasons, err := packReasons(&tp)
	if err != nil {
		return err
	}
	taskFile := filepath.Join(dir, "task-pack.json")
	if err := os.WriteFile(taskFile, tpack, 0o644); err != nil {
		return err
	}
	s.say(d.opts.Lang, fmt.Sprintf("evidence pack of the joint computation %s: %d entries (%s), verified offline the same way (%s)",
		d.story.taskID, trep.Entries, strings.Join(compact(treasons), ", "), taskFile),
		fmt.Sprintf("联合计算 %s 的证据包：%d 条记录（%s），同样离线验证通过（%s）",
			d.story.taskID, trep.Entries, strings.Join(compact(treasons), "、"), taskFile))
	s.Facts["taskPack"] = map[string]any{"file": taskFile, "object": d.story.taskID, "entries": trep.Entries, "reasons": treasons, "cosignatures": len(trep.Cosignatures)}
	return nil
}

// compact counts repeated reasons: "a, a, b" becomes "a ×2, b", in order
// of first appearance.
func compact(reasons []string) []string {
	n := map[string]int{}
	var order []string
	for _, r := range reasons {
		if n[r] == 0 {
			order = append(order, r)
		}
		n[r]++
	}
	out := make([]string, len(order))
	for i, r := range order {
		out[i] = r
		if n[r] > 1 {
			out[i] = fmt.Sprintf("%s ×%d", r, n[r])
		}
	}
	return out
}

// packReasons lists the reason of each event of a verified pack, in order.
func packReasons(p *audit.Pack) ([]string, error) {
	const saltLen = 32 // each entry's payload is its 32-byte salt, then the canonical event
	var out []string
	for _, e := range p.Entries {
		tp, err := audit.ParseTlogProof([]byte(e.Proof))
		if err != nil {
			return nil, err
		}
		if len(tp.Extra) <= saltLen {
			out = append(out, e.Status)
			continue
		}
		ev, err := audit.ParseCanonical(tp.Extra[saltLen:])
		if err != nil {
			return nil, err
		}
		out = append(out, ev.Reason)
	}
	return out, nil
}

// refusal: the Hong Kong bank asks for the same data for marketing; the
// gate refuses, and the bank receives the code and the reason in both
// languages.
func (d *Demo) refusal(ctx context.Context, s *Step) error {
	v, o, err := d.request(ctx, d.hk, "marketing")
	if err != nil {
		return err
	}
	var c *negotiation
	err = poll(ctx, 30*time.Second, "the refusal", func() (bool, error) {
		var err error
		c, err = d.consumerView(ctx, d.hk, v.ConsumerPID)
		if err != nil {
			return false, err
		}
		// The reason is stored just after the termination is accepted.
		return c.State == "FINALIZED" || c.State == "TERMINATED" && c.Termination != nil, nil
	})
	if err != nil {
		return err
	}
	if c.State != "TERMINATED" {
		return fmt.Errorf("the marketing request was not refused: %s", c.State)
	}
	t := c.Termination
	s.say(d.opts.Lang, fmt.Sprintf("the HK bank asks for %s for marketing (offer %s): TERMINATED by the CN gate", datasetID, o["@id"]),
		fmt.Sprintf("HK 银行申请 %s 用于市场营销（要约 %s）：被 CN 合规闸口终止（TERMINATED）", datasetID, o["@id"]))
	s.say(d.opts.Lang, "as the bank received it: code "+t.Code, "银行收到的终止原因：代码 "+t.Code)
	reasons := map[string]string{}
	for _, r := range t.Reason {
		s.say(d.opts.Lang, fmt.Sprintf("  %s: %s", r.Lang, r.Value), fmt.Sprintf("  %s：%s", r.Lang, r.Value))
		reasons[r.Lang] = r.Value
	}
	if t.Code != "purpose_not_permitted" {
		return fmt.Errorf("refused with %s, want purpose_not_permitted", t.Code)
	}
	s.Facts["consumerPid"], s.Facts["code"], s.Facts["reason"], s.Facts["purpose"] = v.ConsumerPID, t.Code, reasons, "marketing"
	return nil
}
