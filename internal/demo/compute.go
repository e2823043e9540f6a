package demo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/node"
)

// Joint computation, "usable but invisible" (数据可用不可见): the
// Amsterdam centre learns how many of its trial patients are in the
// hospital's cohort by PSI cardinality between the two connectors
// (T/CCSA 540-2025 task interfaces, docs/pet-tasks.md), under the
// agreement of the story; neither list leaves its node.

// keyColumn is the column both inputs are matched on: the resident ID,
// which the hospital's export has and the centre's trial list records.
const keyColumn = "身份证号"

// Sizes of the centre's trial list: trialSize ids, of which trialOverlap
// (at most) are the hospital's patients, the rest made up.
const (
	trialSize    = 400
	trialOverlap = 150
	minShown     = 10 // the review's min_intersection, and the hospital's floor
)

// trialList is the centre's list of trial patients, made deterministically
// from the hospital's export: trialOverlap of its distinct resident IDs,
// evenly spaced, and resident IDs that are not in it, shuffled. expected
// is how many of the list's ids are in the export, counted in the clear
// here (the demo holds both sides; the nodes never do).
func trialList(export string, seed uint64) (list []byte, expected, hospital int, err error) {
	rows, err := readCSV(export)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(rows) < 2 {
		return nil, 0, 0, errors.New("the export is empty")
	}
	col := slices.Index(rows[0], keyColumn)
	if col < 0 {
		return nil, 0, 0, fmt.Errorf("the export has no column %s", keyColumn)
	}
	inCohort := map[string]bool{}
	var distinct []string
	for _, r := range rows[1:] {
		if !inCohort[r[col]] {
			inCohort[r[col]] = true
			distinct = append(distinct, r[col])
		}
	}
	overlap := min(trialOverlap, len(distinct))
	ids := make([]string, 0, trialSize)
	for i := range overlap {
		ids = append(ids, distinct[i*len(distinct)/overlap])
	}
	r := rand.New(rand.NewPCG(seed, 0x7121a1))
	born0 := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)
	taken := map[string]bool{}
	for _, id := range ids {
		taken[id] = true
	}
	for len(ids) < trialSize {
		sex := byte('F')
		if r.IntN(2) == 0 {
			sex = 'M'
		}
		id := residentID(r, born0.AddDate(0, 0, r.IntN(56*365)), sex)
		if !inCohort[id] && !taken[id] {
			taken[id] = true
			ids = append(ids, id)
		}
	}
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"trial_no", keyColumn})
	for i, id := range ids {
		w.Write([]string{fmt.Sprintf("AMS-ONC-%04d", i+1), id})
		if inCohort[id] {
			expected++
		}
	}
	w.Flush()
	return b.Bytes(), expected, len(distinct), w.Error()
}

// petSpec is a taskCreate body (docs/pet-tasks.md, Spec).
type petSpec struct {
	ID        string         `json:"id,omitempty"`
	Agreement string         `json:"agreement"`
	Algorithm string         `json:"algorithm"`
	Parties   []petParty     `json:"parties"`
	Fields    []string       `json:"fields"`
	Review    map[string]any `json:"review"`
	Output    []string       `json:"output"`
	Purpose   string         `json:"purpose,omitempty"`
}

type petParty struct {
	DID  string `json:"did"`
	Role string `json:"role"`
}

// petView is taskQuery's (and taskCreate's) answer.
type petView struct {
	Task     petSpec `json:"task"`
	State    string  `json:"state"`
	Reason   string  `json:"reason"`
	Progress *struct {
		Phase string `json:"phase"`
		Done  int64  `json:"done"`
		Total int64  `json:"total"`
	} `json:"progress"`
	Events []json.RawMessage `json:"events"`
}

// petCheck is one check of a complianceCheck report.
type petCheck struct {
	Name      string `json:"name"`
	Pass      bool   `json:"pass"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	Peer      string `json:"peer"` // the node that made the check; empty: the node asked
}

type petReport struct {
	Pass        bool       `json:"pass"`
	Checks      []petCheck `json:"checks"`
	Attestation string     `json:"attestation"`
}

// pet calls a task interface on p's management API with role's token.
func (d *Demo) pet(ctx context.Context, p *party, role node.Role, op string, body, out any) error {
	return d.api(p, role).do(ctx, "POST", "/pet/"+op, body, out)
}

// petInput uploads data to p's own node with the operations token and
// authorizes it for the task with authorizer's token, keyed on keyColumn.
func (d *Demo) petInput(ctx context.Context, p *party, authorizer node.Role, taskID string, data []byte) (upload string, rows int64, atRest string, err error) {
	var up struct {
		Upload string `json:"upload"`
		Suite  string `json:"suite"`
	}
	if err := d.pet(ctx, p, node.RoleOperations, "dataUpload", map[string]any{"task_id": taskID, "data": base64.StdEncoding.EncodeToString(data)}, &up); err != nil {
		return "", 0, "", err
	}
	var au struct {
		Rows int64 `json:"rows"`
	}
	if err := d.pet(ctx, p, authorizer, "dataAuthorize", map[string]any{"task_id": taskID, "upload": up.Upload, "columns": map[string]string{"key": keyColumn}}, &au); err != nil {
		return "", 0, "", err
	}
	return up.Upload, au.Rows, up.Suite, nil
}

// messages is "1 message", "2 messages".
func messages(n int64) string {
	if n == 1 {
		return "1 message"
	}
	return fmt.Sprintf("%d messages", n)
}

// checkLine is a report's checks, one mark each; the checks another
// party's node made (for a proposal) follow under its DID.
func checkLine(r *petReport, name func(did string) string) string {
	var cs []string
	peer := ""
	for _, c := range r.Checks {
		mark := "✓"
		if c.Code != "" && c.Code != "ok" {
			mark += " " + c.Code
		}
		if !c.Pass {
			mark = "✗ " + c.Code
		}
		item := c.Name + " " + mark
		if c.Peer != peer {
			peer = c.Peer
			item = "— on the " + name(c.Peer) + " node: " + item
		}
		cs = append(cs, item)
	}
	return strings.Join(cs, " · ")
}

// compute: the joint computation. The centre first asks which of its
// patients the hospital has (the ids themselves): the hospital's node
// refuses; then how many, which the agreement and both nodes allow.
func (d *Demo) compute(ctx context.Context, s *Step) error {
	start := time.Now()
	lang := d.opts.Lang
	list, expected, cohort, err := trialList(d.story.csv, d.opts.Seed)
	if err != nil {
		return err
	}
	dir := filepath.Join(d.nl.dir, "pet")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	listFile := filepath.Join(dir, "trial-patients.csv")
	if err := os.WriteFile(listFile, list, 0o600); err != nil {
		return err
	}
	export, err := os.ReadFile(d.story.csv)
	if err != nil {
		return err
	}
	s.say(lang, fmt.Sprintf("the NL centre holds %d trial patients (%s; synthetic: %d of them are the hospital's patients, made from its export), and asks how many are in the CN hospital's cohort of %s — without either side seeing the other's list",
		trialSize, listFile, expected, num(cohort)),
		fmt.Sprintf("NL 研究中心持有 %d 名临床试验患者（%s；合成数据：其中 %d 人取自医院导出数据，确为医院患者），想知道其中多少人在 CN 医院的 %s 名患者之中——双方都看不到对方的名单",
			trialSize, listFile, expected, num(cohort)))

	nl := d.nl
	spec := petSpec{Agreement: d.story.agreement, Algorithm: "psi-intersection@1",
		Parties: []petParty{{nl.did, "a"}, {d.cn.did, "b"}}, Fields: []string{keyColumn},
		Review: map[string]any{"min_intersection": minShown, "release_keys": true}, Output: []string{nl.did}, Purpose: purpose}

	// Which ones? The ids of the common patients: the hospital's node
	// does not release intersection keys (its pet.no_keys floor).
	err = d.pet(ctx, nl, node.RoleOperations, "taskCreate", spec, nil)
	var ae *apiError
	if !errors.As(err, &ae) || ae.Code != "policy_below_minimum" || ae.Peer != d.cn.did {
		return fmt.Errorf("a task releasing the common ids to the centre: want policy_below_minimum from the CN node, got %v", err)
	}
	s.say(lang, fmt.Sprintf("asking which ones (%s, the common ids released to the centre) is refused by the CN node: %s", spec.Algorithm, ae.Code),
		fmt.Sprintf("询问是哪些人（%s，向研究中心披露交集中的编号）被 CN 节点拒绝：%s", spec.Algorithm, ae.Code))
	s.say(lang, "  en: "+ae.Msg, "  en："+ae.Msg)
	s.say(lang, "  zh: "+ae.MsgZH, "  zh："+ae.MsgZH)
	s.Facts["refused"] = map[string]any{"algorithm": spec.Algorithm, "releaseKeys": true, "code": ae.Code, "status": ae.Status,
		"message": ae.Msg, "message_zh": ae.MsgZH, "peer": ae.Peer}

	// How many: psi-cardinality@1, shown only from minShown.
	spec.Algorithm, spec.Review = "psi-cardinality@1", map[string]any{"min_intersection": minShown}
	var rep petReport
	if err := d.pet(ctx, nl, node.RoleOperations, "complianceCheck", map[string]any{"task": spec}, &rep); err != nil {
		return err
	}
	if !rep.Pass || rep.Attestation != "none" {
		return fmt.Errorf("complianceCheck of the task: pass %v, attestation %q: %s", rep.Pass, rep.Attestation, checkLine(&rep, d.partyName))
	}
	s.say(lang, fmt.Sprintf("how many: %s under agreement %s (NL role a and the only output, CN role b; a count below %d is not shown). complianceCheck asked on the NL node, which asks the CN node too: %s; attestation: none (no TEE: built-in code in each node's own process)",
		spec.Algorithm, d.story.agreement, minShown, checkLine(&rep, d.partyName)),
		fmt.Sprintf("只问多少人：%s，依据协议 %s（NL 为 a 方、唯一结果方，CN 为 b 方；少于 %d 不予显示）。在 NL 节点发起合规检查（NL 节点同时询问 CN 节点）：%s；远程证明：无（不使用可信执行环境：各节点在自身进程内运行内置代码）",
			spec.Algorithm, d.story.agreement, minShown, checkLine(&rep, d.partyName)))

	var v petView
	if err := d.pet(ctx, nl, node.RoleOperations, "taskCreate", spec, &v); err != nil {
		return err
	}
	taskID := v.Task.ID
	d.story.taskID = taskID
	s.say(lang, fmt.Sprintf("task %s created on both nodes (each checked it against its own copy of the agreement)", taskID),
		fmt.Sprintf("任务 %s 在双方节点创建（各自依据本方保存的协议副本检查）", taskID))

	// Each side's input, uploaded to and authorized on its own node only.
	_, nlRows, nlRest, err := d.petInput(ctx, nl, node.RoleOperations, taskID, list)
	if err != nil {
		return fmt.Errorf("the NL input: %w", err)
	}
	_, cnRows, cnRest, err := d.petInput(ctx, d.cn, node.RoleCompliance, taskID, export)
	if err != nil {
		return fmt.Errorf("the CN input: %w", err)
	}
	var cnRep petReport
	if err := d.pet(ctx, d.cn, node.RoleCompliance, "complianceCheck", map[string]any{"task_id": taskID}, &cnRep); err != nil {
		return err
	}
	if !cnRep.Pass {
		return fmt.Errorf("complianceCheck of the task on the CN node: %s", checkLine(&cnRep, d.partyName))
	}
	s.say(lang, fmt.Sprintf("inputs, each on its own node, never sent: the NL operator uploads its %d ids (kept %s at rest) and authorizes column %s; CN operations uploads the export (%s rows, %s at rest), the CN compliance office authorizes only column %s as the key, then checks the task on its own node: complianceCheck passes",
		nlRows, nlRest, keyColumn, num(cnRows), cnRest, keyColumn),
		fmt.Sprintf("输入各留在本方节点，从不发送：NL 运营者上传其 %d 个编号（落盘 %s 加密）并授权 %s 列；CN 运营部门上传导出数据（%s 行，落盘 %s 加密），CN 合规部门只授权 %s 列作为匹配键，随后在本方节点检查该任务：合规检查通过",
			nlRows, nlRest, keyColumn, num(cnRows), cnRest, keyColumn))

	// Run it, as the initiator; the hospital's node takes part by itself.
	runStart := time.Now()
	if err := d.pet(ctx, nl, node.RoleOperations, "algorithmInvoke", map[string]any{"task_id": taskID}, nil); err != nil {
		return err
	}
	// taskQuery long-polls: the node answers at the task's next event (or
	// after wait_ms, for the progress shown on a terminal), so following
	// the run adds an audit entry per change, not per poll.
	wait, seen := 10_000, 0
	if d.opts.TaskProgress != nil {
		wait = 250
	}
	err = poll(ctx, 60*time.Second, "the joint computation", func() (bool, error) {
		v = petView{}
		if err := d.pet(ctx, nl, node.RoleOperations, "taskQuery", map[string]any{"task_id": taskID, "events": seen, "wait_ms": wait}, &v); err != nil {
			return false, err
		}
		seen = len(v.Events)
		if d.opts.TaskProgress != nil && v.Progress != nil && v.Progress.Done > 0 {
			d.opts.TaskProgress(v.Progress.Phase, v.Progress.Done, v.Progress.Total)
		}
		switch v.State {
		case "succeeded":
			return true, nil
		case "failed", "cancelled":
			return false, fmt.Errorf("the task ended %s: %s", v.State, v.Reason)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	ran := time.Since(runStart)

	var res struct {
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
		PSI       *struct {
			Mode string   `json:"mode"`
			Size int64    `json:"intersection_size"`
			Keys []string `json:"keys"`
		} `json:"psi"`
	}
	if err := d.pet(ctx, nl, node.RoleOperations, "resultDownload", map[string]any{"task_id": taskID}, &res); err != nil {
		return err
	}
	if res.PSI == nil || len(res.PSI.Keys) > 0 {
		return fmt.Errorf("the result is not a bare count: %+v", res.PSI)
	}
	if res.PSI.Size != int64(expected) {
		return fmt.Errorf("the joint computation says %d patients in common, the lists have %d", res.PSI.Size, expected)
	}
	var m struct {
		Phases   map[string]int64 `json:"phases_ms"`
		Sent     int64            `json:"bytes_sent"`
		Received int64            `json:"bytes_received"`
		MsgsSent int64            `json:"messages_sent"`
		MsgsRecv int64            `json:"messages_received"`
	}
	if err := d.pet(ctx, nl, node.RoleOperations, "performanceMetric", map[string]any{"task_id": taskID}, &m); err != nil {
		return err
	}
	runMS := m.Phases["running_to_end"]
	runTook := time.Duration(runMS) * time.Millisecond
	s.say(lang, fmt.Sprintf("run in %s (invoke to result %s): the NL node sent %s in %s, received %s in %s",
		runTook, ran.Round(time.Millisecond), size(m.Sent), messages(m.MsgsSent), size(m.Received), messages(m.MsgsRecv)),
		fmt.Sprintf("运行 %s（发起到出结果 %s）：NL 节点发送 %s（%d 条消息），接收 %s（%d 条消息）",
			runTook, ran.Round(time.Millisecond), size(m.Sent), m.MsgsSent, size(m.Received), m.MsgsRecv))
	s.say(lang, fmt.Sprintf("result, reviewed on the NL node (≥ %d) and downloaded there: %d of the centre's %d trial patients are in the hospital's cohort — the known answer",
		minShown, res.PSI.Size, nlRows),
		fmt.Sprintf("结果经 NL 节点审查（≥ %d）后在该节点下载：研究中心 %d 名试验患者中有 %d 人在医院的患者之中——与已知答案一致",
			minShown, nlRows, res.PSI.Size))
	// Each node erased its input when the task ended (docs/pet-tasks.md):
	// check it in each node's task history before saying so.
	for _, p := range []*party{nl, d.cn} {
		seen := 0
		err := poll(ctx, 30*time.Second, "the end of the task on the "+p.country+" node", func() (bool, error) {
			var ev struct {
				State  string `json:"state"`
				Events []struct {
					Kind string `json:"kind"`
				} `json:"events"`
			}
			// Long poll: the hospital's run may end a moment after the centre's.
			if err := d.pet(ctx, p, node.RoleOperations, "taskQuery", map[string]any{"task_id": taskID, "events": seen, "wait_ms": 5000}, &ev); err != nil {
				return false, err
			}
			seen = len(ev.Events)
			if ev.State != "succeeded" {
				return false, nil
			}
			for _, e := range ev.Events {
				if e.Kind == "input_erased" {
					return true, nil
				}
			}
			return false, fmt.Errorf("the %s node kept its input after the task ended", p.country)
		})
		if err != nil {
			return err
		}
	}
	s.say(lang, "each node erased its input when the task ended: its key deleted, its encrypted file removed (an event of the task and an entry in each ledger)",
		"任务结束后，各节点删除了自己的输入：密钥删除、加密文件移除（记为任务事件，并记入各自的审计账本）")
	// Every channel session with a gm node runs on gm, whichever side
	// opens it (docs/pet-channel.md, docs/serve.md): an intl node accepts
	// gm sessions, a gm node only those.
	chSuite := "intl"
	if d.cn.suite == "gm" || nl.suite == "gm" {
		chSuite = "gm"
	}
	s.say(lang, fmt.Sprintf("what crossed the border: masked points — hashes of ids raised to each side's secret scalar (ristretto255), useless outside this task — and the task's signed control calls, over the signed ECDHE channel, both ways on the %s suite (SM2 key agreement, SM3, SM4-GCM; each node signs with its own key). What did not: any id, hashed or not, and the hospital's export; the count was computed on the NL node. Each side learnt the size of the other's list (%d; %s), the CN hospital nothing else — not the count",
		chSuite, nlRows, num(cohort)),
		fmt.Sprintf("出境的只有：盲化点（编号的哈希再乘以各方私密标量，ristretto255，离开本任务即无用）及任务的签名控制调用，经签名 ECDHE 通道双向传输，均使用 %s 套件（SM2 密钥协商、SM3、SM4-GCM；各节点以自己的密钥签名）。未出境的：任何编号（无论明文还是哈希）及医院的导出数据；计数在 NL 节点计算得出。双方只知道对方名单的条数（%d；%s），CN 医院此外一无所知——包括计数",
			chSuite, nlRows, num(cohort)))
	s.Facts["taskId"], s.Facts["algorithm"], s.Facts["agreement"] = taskID, spec.Algorithm, d.story.agreement
	s.Facts["sizes"] = map[string]any{"centre": nlRows, "hospital": cnRows, "hospitalDistinct": cohort}
	s.Facts["expected"], s.Facts["result"], s.Facts["resultDigest"] = expected, res.PSI.Size, res.Digest
	s.Facts["minIntersection"], s.Facts["key"], s.Facts["trialList"] = minShown, keyColumn, listFile
	s.Facts["compliance"] = map[string]any{"pass": rep.Pass, "checks": rep.Checks, "attestation": rep.Attestation}
	s.Facts["bytes"] = map[string]any{"sent": m.Sent, "received": m.Received, "messagesSent": m.MsgsSent, "messagesReceived": m.MsgsRecv}
	s.Facts["seconds"] = map[string]any{"run": float64(runMS) / 1000, "invokeToResult": ran.Seconds(), "step": time.Since(start).Seconds()}
	s.Facts["channel"] = map[string]any{"suite": chSuite,
		"source": "every session with a gm node runs on gm, whichever side opens it (docs/pet-channel.md); the task API does not report it"}
	s.Facts["atRest"] = map[string]any{"centre": nlRest, "hospital": cnRest}
	return nil
}

// partyName is the country code of the party whose DID is did.
func (d *Demo) partyName(did string) string {
	for _, p := range d.parties {
		if p.did == did {
			return p.country
		}
	}
	return abbrev(did)
}
