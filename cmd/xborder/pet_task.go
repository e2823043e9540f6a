package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/atomicfile"
	"github.com/xborder/xborder/internal/pet/input"
	"github.com/xborder/xborder/internal/pet/secagg"
	"github.com/xborder/xborder/internal/pet/task"
	"github.com/xborder/xborder/internal/pet/taskreport"
)

// Privacy computing between nodes: the CLI drives the task interfaces of
// T/CCSA 540-2025 on the operator's own node (xborder serve, management
// API /api/v1/pet/{op}); the nodes run the protocol between them over
// their signed channel. Inputs are uploaded to the operator's own node
// only.

// nodeFlags name the operator's node and token.
type nodeFlags struct {
	node, token string
	timeout     time.Duration
}

func (f *nodeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.node, "node", "", "the management URL of your node (default $XBORDER_NODE), e.g. http://127.0.0.1:8444")
	fl.StringVar(&f.token, "token", "", "your management token (default $XBORDER_TOKEN)")
	fl.DurationVar(&f.timeout, "wait", 30*time.Minute, "how long to wait for the other party and the computation")
}

// client checks the flags and returns a client of the node's API.
func (f *nodeFlags) client(e *env) (*nodeClient, error) {
	node, token := f.node, f.token
	if node == "" {
		node = e.getenv("XBORDER_NODE")
	}
	if token == "" {
		token = e.getenv("XBORDER_TOKEN")
	}
	if node == "" {
		return nil, badInput(errors.New("no node"), "give --node (your node's management URL) or set XBORDER_NODE")
	}
	if !strings.HasPrefix(node, "http://") && !strings.HasPrefix(node, "https://") {
		return nil, badInput(fmt.Errorf("--node %q is not an http(s) URL", node), "e.g. --node http://127.0.0.1:8444")
	}
	if token == "" {
		return nil, badInput(errors.New("no token"), "give --token or set XBORDER_TOKEN (xborder serve token add)")
	}
	if f.timeout <= 0 {
		return nil, badInput(fmt.Errorf("--wait %s", f.timeout), "give a positive duration, e.g. 10m")
	}
	return &nodeClient{base: strings.TrimSuffix(node, "/"), token: token, hc: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// nodeClient calls a node's management API.
type nodeClient struct {
	base, token string
	hc          *http.Client
}

// nodeError is a refusal by the node (or by its peer, named in Peer).
type nodeError struct {
	Status    int    `json:"-"`
	Code      string `json:"error"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	Peer      string `json:"peer"`
	Task      string `json:"task"`
}

func (e *nodeError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Code, e.Message)
	if e.MessageZH != "" {
		s += " (" + e.MessageZH + ")"
	}
	if e.Peer != "" {
		s = "the other node (" + e.Peer + ") refused: " + s
		if e.Task != "" {
			s += "; its audit ledger records the refusal under task " + e.Task
		}
	}
	return s
}

// exit maps a call's error to the CLI's exit codes: the node's 400 is bad
// input, any other refusal or failure is 1.
func exitFor(err error) error {
	var ne *nodeError
	if errors.As(err, &ne) && ne.Status == http.StatusBadRequest {
		return badInput(err, "")
	}
	return failure(err)
}

func (c *nodeClient) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("calling your node: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading your node's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		ne := &nodeError{Status: resp.StatusCode}
		if json.Unmarshal(b, ne) != nil || ne.Code == "" {
			ne.Code, ne.Message = "http_"+fmt.Sprint(resp.StatusCode), strings.TrimSpace(string(b))
		}
		return ne
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = b
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("your node's answer to %s: %w", path, err)
	}
	return nil
}

// op calls a task interface.
func (c *nodeClient) op(ctx context.Context, op string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/api/v1/pet/"+op, b, out)
}

// self is the node's DID.
func (c *nodeClient) self(ctx context.Context) (string, error) {
	var n struct {
		DID string `json:"did"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/node", nil, &n); err != nil {
		return "", err
	}
	if n.DID == "" {
		return "", errors.New("your node has no DID: it cannot take part in tasks")
	}
	return n.DID, nil
}

// contribute uploads a CSV to the node and authorizes it for the task.
func (c *nodeClient) contribute(ctx context.Context, taskID string, csv []byte, cols task.Columns) (*task.AuthorizeResponse, error) {
	var up task.UploadResponse
	if err := c.op(ctx, task.OpDataUpload, task.UploadRequest{TaskID: taskID, Data: csv}, &up); err != nil {
		return nil, err
	}
	var au task.AuthorizeResponse
	if err := c.op(ctx, task.OpDataAuthorize, task.AuthorizeRequest{TaskID: taskID, Upload: up.Upload, Columns: cols}, &au); err != nil {
		return nil, err
	}
	return &au, nil
}

// await follows the task until done says so, showing progress on a
// terminal; it gives up at the deadline. It long-polls taskQuery (the
// node answers at the task's next event, or after wait_ms), so following
// a task costs a call per change, not a call per tick; on a terminal it
// asks every second, for the progress.
func (c *nodeClient) await(ctx context.Context, e *env, taskID string, deadline time.Time, what string, done func(*task.View) (bool, error)) (*task.View, error) {
	wait := 10 * time.Second
	if e.stderrIsTerminal {
		wait = time.Second
	}
	seen := 0
	for {
		var v task.View
		q := task.QueryRequest{TaskID: taskID, Events: seen, WaitMS: int(min(wait, max(time.Until(deadline), time.Millisecond)).Milliseconds())}
		if err := c.op(ctx, task.OpTaskQuery, q, &v); err != nil {
			return nil, err
		}
		seen = len(v.Events)
		if ok, err := done(&v); ok || err != nil {
			if e.stderrIsTerminal {
				fmt.Fprintln(e.stderr)
			}
			return &v, err
		}
		if e.stderrIsTerminal && v.Progress != nil && v.Progress.Total > 0 {
			fmt.Fprintf(e.stderr, "\r%s: %s %d/%d   ", what, v.Progress.Phase, v.Progress.Done, v.Progress.Total)
		}
		if time.Now().After(deadline) {
			return &v, fmt.Errorf("gave up waiting for %s (the task stays %s)", what, v.State)
		}
		if err := ctx.Err(); err != nil {
			return &v, err
		}
	}
}

func ended(v *task.View) bool {
	return v.State == "succeeded" || v.State == "failed" || v.State == "cancelled"
}

// nodeTask is a task this operator's node initiates: the spec (without
// the initiator's own party, which comes first), its own input and the
// columns it uses.
type nodeTask struct {
	spec     task.Spec
	selfRole string
	file     string
	cols     task.Columns
	joinHint string
}

// nodeRun is what runNodeTask brings back.
type nodeRun struct {
	id      string
	result  task.Result
	metrics task.Metrics
	seconds float64
}

// readTaskInput reads the operator's CSV and checks that the columns
// exist: bad input before anything is called.
func readTaskInput(file string, cols ...string) ([]byte, error) {
	csv, err := readLimited(file, 1<<30)
	if err != nil {
		return nil, badInput(err, "")
	}
	have, err := input.Header(bytes.NewReader(csv))
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", file, err), "give a CSV file with a header row")
	}
	for _, c := range cols {
		if c != "" && !slices.Contains(have, c) {
			return nil, badInput(fmt.Errorf("%s has no column %q", file, c), "columns: "+strings.Join(have, ", "))
		}
	}
	return csv, nil
}

// runNodeTask creates the task on every party's node, contributes the
// operator's input, waits for the others' inputs, runs it and downloads
// the reviewed result. From creation on, a failure cancels the task on
// every node.
func runNodeTask(ctx context.Context, e *env, nf *nodeFlags, c *nodeClient, nt nodeTask, csv []byte) (*nodeRun, error) {
	self, err := c.self(ctx)
	if err != nil {
		return nil, exitFor(err)
	}
	sp := nt.spec
	sp.Parties = append([]task.Party{{DID: self, Role: nt.selfRole}}, sp.Parties...)
	sp.Output = append([]string{self}, sp.Output...)
	var v task.View
	if err := c.op(ctx, task.OpTaskCreate, sp, &v); err != nil {
		return nil, exitFor(fmt.Errorf("creating the task: %w", err))
	}
	id := v.Task.ID
	fmt.Fprintf(e.stderr, "task %s created on every party's node (%s)\n", id, sp.Algorithm)
	abandon := func(err error) error {
		var cv task.View
		if cerr := c.op(context.WithoutCancel(ctx), task.OpTaskCancel, task.CancelRequest{TaskID: id, Reason: "cancelled_by_operator"}, &cv); cerr == nil {
			fmt.Fprintf(e.stderr, "task %s cancelled\n", id)
		}
		return exitFor(err)
	}
	if _, err := c.contribute(ctx, id, csv, nt.cols); err != nil {
		return nil, abandon(fmt.Errorf("contributing %s: %w", nt.file, err))
	}
	deadline := time.Now().Add(nf.timeout)
	fmt.Fprintf(e.stderr, "your input is authorized; waiting for the other parties to authorize theirs\n  (each one's operator runs: xborder pet join %s THEIR.csv %s)\n", id, nt.joinHint)
	if _, err := c.await(ctx, e, id, deadline, "the other parties' inputs", func(v *task.View) (bool, error) {
		if ended(v) {
			return true, fmt.Errorf("the task ended %s (%s) before it ran", v.State, v.Reason)
		}
		for _, in := range v.Inputs {
			if !in.Authorized {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return nil, abandon(err)
	}
	start := time.Now()
	if err := c.op(ctx, task.OpAlgorithmInvoke, task.InvokeRequest{TaskID: id}, &v); err != nil {
		return nil, abandon(fmt.Errorf("starting the computation: %w", err))
	}
	fv, err := c.await(ctx, e, id, deadline, "the computation", func(v *task.View) (bool, error) { return ended(v), nil })
	if err != nil {
		return nil, abandon(err)
	}
	if fv.State != task.StateSucceeded {
		return nil, failure(fmt.Errorf("the task ended %s: %s", fv.State, fv.Reason))
	}
	var rv task.ResultView
	if err := c.op(ctx, task.OpResultQuery, task.Ref{TaskID: id}, &rv); err != nil {
		return nil, exitFor(err)
	}
	if rv.Decision != nil && !rv.Decision.Allow {
		return nil, failure(fmt.Errorf("the result review refused the release: %s: %s (%s)", rv.Decision.Code, rv.Decision.Message, rv.Decision.MessageZH))
	}
	r := &nodeRun{id: id}
	if err := c.op(ctx, task.OpResultDownload, task.Ref{TaskID: id}, &r.result); err != nil {
		return nil, exitFor(err)
	}
	r.seconds = time.Since(start).Seconds()
	if err := c.op(ctx, task.OpPerformanceMetric, task.Ref{TaskID: id}, &r.metrics); err != nil {
		fmt.Fprintf(e.stderr, "performance metrics: %v\n", err)
	}
	return r, nil
}

// runNodePSI is `xborder pet psi --node`: this operator's node is party a
// (it learns the result), the counterparty of the agreement is party b.
func runNodePSI(cmd *cobra.Command, e *env, nf *nodeFlags, file, key, agreement, peer, purpose string, mode string, sumCol, output string, minInter int64, releaseKeys bool, format string) error {
	c, err := nf.client(e)
	if err != nil {
		return err
	}
	switch {
	case agreement == "":
		return badInput(errors.New("--agreement is required with --node"), "the agreement with the other party under which the task runs")
	case peer == "":
		return badInput(errors.New("--peer is required with --node"), "the other party's DID (the counterparty of the agreement)")
	case minInter < 0:
		return badInput(fmt.Errorf("--min-intersection %d", minInter), "give 0 or more")
	}
	csv, err := readTaskInput(file, key)
	if err != nil {
		return err
	}
	alg := "psi-" + mode + "@1"
	nt := nodeTask{selfRole: "a", file: file, cols: task.Columns{Key: key}, joinHint: "--key " + key,
		spec: task.Spec{Agreement: agreement, Algorithm: alg, Parties: []task.Party{{DID: peer, Role: "b"}},
			Fields: []string{key}, Purpose: purpose, Review: task.ReviewPolicy{MinIntersection: minInter, ReleaseKeys: releaseKeys}}}
	if sumCol != "" {
		nt.spec.Fields = append(nt.spec.Fields, sumCol)
		nt.joinHint += " --value " + sumCol
	}
	if output == "both" {
		nt.spec.Output = []string{peer}
	}
	r, err := runNodeTask(cmd.Context(), e, nf, c, nt, csv)
	if err != nil {
		return err
	}
	res := r.result.PSI
	if res == nil {
		return failure(errors.New("the result holds no PSI release"))
	}
	rep := map[string]any{"task": r.id, "agreement": agreement, "algorithm": alg, "mode": res.Mode,
		"intersection_size": res.Size, "digest": r.result.Digest, "seconds": r.seconds, "metrics": r.metrics}
	if res.Sum != nil {
		rep["sum"] = *res.Sum
	}
	if res.Keys != nil {
		rep["keys"] = res.Keys
	}
	if res.DP != nil {
		rep["dp"] = res.DP
	}
	if format == "json" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	fmt.Fprintf(e.stdout, "PSI (%s) with %s under %s: intersection %d\n", res.Mode, peer, agreement, res.Size)
	if res.Sum != nil {
		fmt.Fprintf(e.stdout, "sum of %s over the intersection: %d\n", sumCol, *res.Sum)
	}
	for _, k := range res.Keys {
		fmt.Fprintln(e.stdout, k)
	}
	fmt.Fprintf(e.stdout, "task %s, result digest %s\n", r.id, r.result.Digest)
	return nil
}

func newPetJoinCmd(e *env) *cobra.Command {
	var nf nodeFlags
	var key, value, groupBy string
	cmd := &cobra.Command{
		Use:   "join TASK FILE.csv --node URL --key COLUMN",
		Short: "Contribute your input to a task another party created with you (your node only)",
		Long: `Uploads FILE.csv to your own node (encrypted at rest, never sent) and
authorizes it for the task under the agreement's ODRL policy; your node checks
the task first (agreement, algorithm, review policy against your node's floor).
The computation starts when the initiator invokes it; the input never leaves
your node, only the protocol's masked messages do.

Exit codes: 0 authorized, 2 bad input, 1 refused by a node or failed.`,
		Example: `  xborder pet join urn:uuid:… cohort.csv --key patient_id --node http://127.0.0.1:8444`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := nf.client(e)
			if err != nil {
				return err
			}
			csv, err := readLimited(args[1], 1<<30)
			if err != nil {
				return badInput(err, "")
			}
			cols, err := input.Header(bytes.NewReader(csv))
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", args[1], err), "give a CSV file with a header row")
			}
			for _, col := range []string{key, value, groupBy} {
				if col != "" && !slices.Contains(cols, col) {
					return badInput(fmt.Errorf("%s has no column %q", args[1], col), "columns: "+strings.Join(cols, ", "))
				}
			}
			var chk task.ComplianceReport
			if err := c.op(cmd.Context(), task.OpComplianceCheck, map[string]string{"task_id": args[0]}, &chk); err != nil {
				return exitFor(err)
			}
			for _, ch := range chk.Checks {
				if ch.Name == "inputs_authorized" {
					continue // pending until every party, this one included, has joined
				}
				mark := "ok  "
				if !ch.Pass {
					mark = "FAIL"
				}
				fmt.Fprintf(e.stderr, "  %s %s: %s\n", mark, ch.Name, ch.Message)
			}
			au, err := c.contribute(cmd.Context(), args[0], csv, task.Columns{Key: key, Value: value, GroupBy: groupBy})
			if err != nil {
				return exitFor(err)
			}
			fmt.Fprintf(e.stdout, "input %s (%d rows) authorized for task %s (policy %s); the task is %s\n", au.Upload, au.Rows, au.TaskID, au.PolicyDigest, au.State)
			return nil
		},
	}
	nf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "PSI: the key column")
	f.StringVar(&value, "value", "", "PSI-sum (party b) or aggregation: the value column")
	f.StringVar(&groupBy, "group-by", "", "aggregation: the group-by column")
	return cmd
}

func newPetTaskCmd(e *env) *cobra.Command {
	var nf nodeFlags
	ops := []string{task.OpTaskCreate, task.OpTaskQuery, task.OpTaskCancel, task.OpDataUpload, task.OpDataAuthorize,
		task.OpAlgorithmRegister, task.OpAlgorithmInvoke, task.OpResultQuery, task.OpResultDownload, task.OpAuditLog,
		task.OpComplianceCheck, task.OpPerformanceMetric}
	cmd := &cobra.Command{
		Use:   "task OP [BODY | @FILE | -] --node URL",
		Short: "Call one of the twelve T/CCSA 540-2025 task interfaces on your node",
		Long: `Calls POST /api/v1/pet/OP on your node with BODY (JSON; @FILE reads a file,
- reads standard input; a bare task id is taken as {"task_id": ID}) and prints
the JSON answer. OP is one of:

  ` + strings.Join(ops, ", ") + `

See docs/pet-tasks.md for each body. A refusal prints its code and its
English and Chinese message (and the refusing peer); exit 1 (2 for a
malformed request).`,
		Example: `  xborder pet task taskQuery urn:uuid:… --node http://127.0.0.1:8444
  xborder pet task complianceCheck @proposed-task.json
  xborder pet task auditLog urn:uuid:…`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(ops, args[0]) {
				return badInput(fmt.Errorf("unknown interface %q", args[0]), "one of: "+strings.Join(ops, ", "))
			}
			c, err := nf.client(e)
			if err != nil {
				return err
			}
			body := []byte("{}")
			if len(args) == 2 {
				switch a := args[1]; {
				case a == "-":
					body, err = readLimited("-", 128<<20)
				case strings.HasPrefix(a, "@"):
					body, err = readLimited(a[1:], 128<<20)
				case strings.HasPrefix(strings.TrimSpace(a), "{"):
					body = []byte(a)
				default:
					body, err = json.Marshal(map[string]string{"task_id": a})
				}
				if err != nil {
					return badInput(err, "")
				}
			}
			if !json.Valid(body) {
				return badInput(errors.New("the body is not JSON"), "see docs/pet-tasks.md")
			}
			var out json.RawMessage
			if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/pet/"+args[0], body, &out); err != nil {
				return exitFor(err)
			}
			var buf bytes.Buffer
			if json.Indent(&buf, out, "", "  ") != nil {
				buf.Reset()
				buf.Write(out)
			}
			fmt.Fprintln(e.stdout, strings.TrimSpace(buf.String()))
			return nil
		},
	}
	nf.register(cmd)
	return cmd
}

func newPetTasksCmd(e *env) *cobra.Command {
	var nf nodeFlags
	var state, format string
	cmd := &cobra.Command{
		Use:   "tasks --node URL [--state S]",
		Short: "List your node's privacy-computing tasks (which wait for your input)",
		Long: `Lists the tasks your node takes part in, newest first. A task in state
created whose "mine" column says waiting needs your input: contribute it with
xborder pet join TASK FILE.csv --key COLUMN.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("unknown format %q", format), "use --format text or --format json")
			}
			c, err := nf.client(e)
			if err != nil {
				return err
			}
			path := "/api/v1/pet/tasks?limit=1000"
			if state != "" {
				path += "&state=" + state
			}
			var ts []task.Summary
			if err := c.do(cmd.Context(), http.MethodGet, path, nil, &ts); err != nil {
				return exitFor(err)
			}
			if format == "json" {
				b, _ := json.MarshalIndent(ts, "", "  ")
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			if len(ts) == 0 {
				fmt.Fprintln(e.stdout, "no tasks")
				return nil
			}
			for _, t := range ts {
				mine := "input authorized"
				if !t.MineAuthorized {
					mine = "waiting for your input"
				}
				if t.State != task.StateCreated {
					mine = ""
				}
				fmt.Fprintf(e.stdout, "%s  %-10s %-20s %s  from %s  %s\n", t.Created.Format(time.RFC3339), t.State, t.Algorithm, t.ID, t.Initiator, mine)
			}
			return nil
		},
	}
	nf.register(cmd)
	cmd.Flags().StringVar(&state, "state", "", "only tasks in this state (created, authorized, running, succeeded, failed, cancelled)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// nodeAggregate are the flags of `xborder pet aggregate --node`.
type nodeAggregate struct {
	stat, column, groupBy, groups, bins string
	minGroup                            int64
	scale                               int
	rf                                  petReviewFlags
	peers                               []string
	purpose, output                     string
}

// runNodeAggregate is `xborder pet aggregate --node`: secure aggregation
// between this operator's node (party 0, the initiator) and the peers'.
func runNodeAggregate(cmd *cobra.Command, e *env, nf *nodeFlags, args []string, a nodeAggregate) error {
	c, err := nf.client(e)
	if err != nil {
		return err
	}
	switch {
	case len(args) != 1:
		return badInput(errors.New("with --node, give your own file only"), "the other parties contribute theirs with xborder pet join")
	case a.rf.agreement == "":
		return badInput(errors.New("--agreement is required with --node"), "the agreement under which the task runs")
	case len(a.peers) == 0:
		return badInput(errors.New("--peer is required with --node"), "the other parties' DIDs")
	case a.output != "self" && a.output != "all":
		return badInput(fmt.Errorf("--output %q", a.output), "use self or all")
	case a.column == "" && a.stat != string(secagg.Count):
		return badInput(errors.New("--column is required"), "name the column to aggregate, e.g. --column amount")
	case a.groupBy != "" && a.groups == "":
		return badInput(errors.New("--group-by needs --groups with --node"), "agree the group keys beforehand, e.g. --groups north,south")
	case a.rf.rho != "" && a.rf.epsilon != "":
		return badInput(errors.New("--rho and --epsilon together"), "choose one")
	}
	switch secagg.Stat(a.stat) {
	case secagg.Count, secagg.Sum, secagg.Mean, secagg.Variance, secagg.Histogram:
	default:
		return badInput(fmt.Errorf("--stat %q", a.stat), "use count, sum, mean, variance or histogram")
	}
	if (a.bins != "") != (a.stat == string(secagg.Histogram)) {
		return badInput(errors.New("--bins goes with --stat histogram, and only with it"), "give the agreed bin edges, e.g. --bins 0,100,1000")
	}
	csv, err := readTaskInput(args[0], a.column, a.groupBy)
	if err != nil {
		return err
	}
	sp := task.Spec{Agreement: a.rf.agreement, Algorithm: "secagg-" + a.stat + "@1", Purpose: a.purpose,
		Params: task.Params{Scale: a.scale},
		Review: task.ReviewPolicy{MinGroup: a.minGroup, Rho: a.rf.rho, Epsilon: a.rf.epsilon}}
	for _, p := range a.peers {
		did, ag, _ := strings.Cut(p, "=")
		if !strings.HasPrefix(did, "did:") {
			return badInput(fmt.Errorf("--peer %q", p), "give DID or DID=AGREEMENT")
		}
		sp.Parties = append(sp.Parties, task.Party{DID: did, Role: "party", Agreement: ag})
		if a.output == "all" {
			sp.Output = append(sp.Output, did)
		}
	}
	for _, f := range []string{a.column, a.groupBy} {
		if f != "" {
			sp.Fields = append(sp.Fields, f)
		}
	}
	if a.groups != "" {
		sp.Params.Groups = strings.Split(a.groups, ",")
	}
	if a.bins != "" {
		sp.Params.Edges = strings.Split(a.bins, ",")
	}
	if a.rf.bounds != "" {
		lo, hi, ok := strings.Cut(a.rf.bounds, ":")
		if !ok {
			return badInput(fmt.Errorf("--bounds %q", a.rf.bounds), "give LO:HI, e.g. --bounds 0:10000")
		}
		sp.Params.ClampLo, sp.Params.ClampHi = lo, hi
	}
	hint := "--value " + a.column
	if a.column == "" {
		hint = "--value COLUMN"
	}
	if a.groupBy != "" {
		hint += " --group-by " + a.groupBy
	}
	r, err := runNodeTask(cmd.Context(), e, nf, c, nodeTask{spec: sp, selfRole: "party", file: args[0],
		cols: task.Columns{Value: a.column, GroupBy: a.groupBy}, joinHint: hint}, csv)
	if err != nil {
		return err
	}
	if r.result.Aggregate == nil {
		return failure(errors.New("the result holds no aggregate"))
	}
	b, _ := json.MarshalIndent(map[string]any{"task": r.id, "agreement": a.rf.agreement, "algorithm": sp.Algorithm,
		"result": r.result.Aggregate, "digest": r.result.Digest, "seconds": r.seconds, "metrics": r.metrics}, "", "  ")
	fmt.Fprintln(e.stdout, string(b))
	return nil
}

func newPetReportCmd(e *env) *cobra.Command {
	var nf nodeFlags
	var lang, out string
	cmd := &cobra.Command{
		Use:   "report TASK --node URL [--lang zh|en] [--out FILE.html]",
		Short: "A task as one HTML page: result and review, each node's checks, timeline, traffic, audit trail",
		Long: `Reads a task from your node (taskQuery, resultQuery, resultDownload when your
node may download the result, complianceCheck, performanceMetric, auditLog) and
writes one self-contained HTML page (inline CSS and SVG, no script), in Simplified
Chinese or English (default from $LANG), to --out or standard output.`,
		Example: `  xborder pet report urn:uuid:… --node http://127.0.0.1:8444 --lang zh --out task.html`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case lang == "" && strings.HasPrefix(e.getenv("LANG"), "zh"):
				lang = "zh"
			case lang == "":
				lang = "en"
			case lang != "zh" && lang != "en":
				return badInput(fmt.Errorf("--lang %q", lang), "use zh or en")
			}
			c, err := nf.client(e)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			ref := task.Ref{TaskID: args[0]}
			b := &taskreport.Bundle{View: &task.View{}, ResultView: &task.ResultView{}, Compliance: &task.ComplianceReport{},
				Metrics: &task.Metrics{}, Audit: &task.AuditLog{}, Generated: e.now()}
			if b.Node, err = c.self(ctx); err != nil {
				return exitFor(err)
			}
			for _, q := range []struct {
				op  string
				out any
			}{{task.OpTaskQuery, b.View}, {task.OpResultQuery, b.ResultView}, {task.OpComplianceCheck, b.Compliance},
				{task.OpPerformanceMetric, b.Metrics}, {task.OpAuditLog, b.Audit}} {
				if err := c.op(ctx, q.op, ref, q.out); err != nil {
					return exitFor(fmt.Errorf("%s: %w", q.op, err))
				}
			}
			if b.ResultView.Available {
				var r task.Result
				if err := c.op(ctx, task.OpResultDownload, ref, &r); err == nil {
					b.Result = &r
				} else {
					fmt.Fprintf(e.stderr, "the result is not shown: %v\n", err)
				}
			}
			var buf bytes.Buffer
			if err := taskreport.HTML(&buf, b, lang); err != nil {
				return failure(err)
			}
			if out == "" {
				_, err := e.stdout.Write(buf.Bytes())
				return err
			}
			if err := atomicfile.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return failure(err)
			}
			fmt.Fprintf(e.stderr, "wrote %s\n", out)
			return nil
		},
	}
	nf.register(cmd)
	cmd.Flags().StringVar(&lang, "lang", "", "zh or en (default from $LANG)")
	cmd.Flags().StringVar(&out, "out", "", "write the page to this file (default: standard output)")
	return cmd
}
