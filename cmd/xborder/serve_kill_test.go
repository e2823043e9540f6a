package main

// TestNodeKill9 is the connector's crash test (issue 6, "Reliability"): two
// `xborder serve` processes, a provider in CN and a consumer in NL, are
// killed with SIGKILL in the middle of contract negotiations and of
// transfers, and restarted on the same data directories. After each kill:
//
//   - negotiations: both sides reach the same final state (FINALIZED on
//     both, with byte-identical agreements and countersignatures, or
//     TERMINATED on both) with nothing left to deliver;
//   - transfers: the consumer's transfer ends (completed, or failed with a
//     code), the provider's too; every file in the consumer's received/
//     has exactly the bytes of the dataset (the source, or the source
//     through its masking policy) and a receipt whose digest and size are
//     the file's; no partial file remains; a fresh transfer then completes.
//
// Gated by XBORDER_NODE_KILLS=N: N negotiation rounds and N transfer
// rounds, the provider killed in even rounds and the consumer in odd ones,
// each restarted at once. A negotiation is killed at a random moment
// within 1.25 times the duration of an undisturbed one on the same
// machine; a transfer likewise, or (every other four rounds) once the
// victim's own count of bytes sent or received reaches a random share of
// the dataset. The random draws come from a seeded RNG (XBORDER_NODE_SEED
// replays them; the seed and every draw are logged); when the kill lands
// depends on the machine's timing all the same.
// XBORDER_NODE_KEEP=DIR copies both data directories, with the nodes'
// logs (node.log), to DIR at the end.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/mask"
	"github.com/xborder/xborder/internal/statedb"
)

const (
	killPlainDataset  = "xb86/CN/kill9-lab/sensor-readings"
	killMaskedDataset = "xb86/CN/kill9-lab/patient-visits"
	// killMaskPolicy has no pseudonyms or keyed hashes: the masked bytes
	// do not depend on the provider's secret, so the test computes them.
	killMaskPolicy = `{"version":1,"default":{"action":"keep"},"columns":[
		{"name":"name","action":"drop"},
		{"name":"phone","action":"mask","class":"cn_mobile"}]}`
	// killDeadline bounds the wait for a node to be ready and for the
	// processes of a round to settle.
	killDeadline = 60 * time.Second
)

// knode is one `xborder serve` process and its data directory.
type knode struct {
	t                   *testing.T
	name, bin, dir, cfg string
	did, token          string
	public, mgmt        string // base URLs
	log                 string // the node's stderr, across restarts
	cmd                 *exec.Cmd
	exited              chan struct{}
}

func killSeed(t *testing.T) uint64 {
	t.Helper()
	if s := os.Getenv("XBORDER_NODE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("XBORDER_NODE_SEED=%q: %v", s, err)
		}
		t.Logf("seed %d (from XBORDER_NODE_SEED)", v)
		return v
	}
	v := uint64(time.Now().UnixNano())
	t.Logf("seed %d (replay with XBORDER_NODE_SEED=%d)", v, v)
	return v
}

// freePorts returns n loopback ports free now; the nodes keep them across
// restarts, since each side stores the other's address.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// nodeEnv is the environment without XBORDER_* variables, which would
// override the configuration file.
func nodeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XBORDER_") {
			env = append(env, kv)
		}
	}
	return env
}

// newKnode makes a data directory under root with a key (made by
// `xborder key generate`; the node's DID is its did:key), an admin token
// (`xborder serve token add`) and a configuration for the given ports.
func newKnode(t *testing.T, bin, root, name, country string, publicPort, mgmtPort int) *knode {
	t.Helper()
	dir := filepath.Join(root, name)
	n := &knode{t: t, name: name, bin: bin, dir: dir, cfg: filepath.Join(dir, "xborder.yaml"), log: filepath.Join(dir, "node.log"),
		public: fmt.Sprintf("http://127.0.0.1:%d", publicPort), mgmt: fmt.Sprintf("http://127.0.0.1:%d", mgmtPort)}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out := n.cli("key", "generate", "--alg", "ed25519", "--out", filepath.Join(dir, "key.pem"))
	var k struct{ DID string }
	if err := json.Unmarshal(out, &k); err != nil || !strings.HasPrefix(k.DID, "did:key:") {
		t.Fatalf("%s: key generate printed %q", name, out)
	}
	n.did = k.DID
	n.token = strings.TrimSpace(string(n.cli("serve", "token", "add", "--data-dir", dir, "--name", "kill9", "--role", "admin")))
	if !strings.HasPrefix(n.token, "xbt_") {
		t.Fatalf("%s: token add printed %q", name, n.token)
	}
	n.writeConfig(country, "")
	return n
}

// writeConfig writes the node's configuration: country is its
// jurisdiction, extra YAML is appended.
func (n *knode) writeConfig(country, extra string) {
	cfg := fmt.Sprintf("data_dir: %s\nname: %s\ndid: %s\njurisdiction: %s\nkey: %s\nlisten:\n  public: %s\n  management: %s\negress:\n  allow_private: true\n%s",
		n.dir, n.name, n.did, country, filepath.Join(n.dir, "key.pem"), strings.TrimPrefix(n.public, "http://"),
		strings.TrimPrefix(n.mgmt, "http://"), extra)
	if err := os.WriteFile(n.cfg, []byte(cfg), 0o600); err != nil {
		n.t.Fatal(err)
	}
}

// cli runs the xborder binary to completion and returns its stdout.
func (n *knode) cli(args ...string) []byte {
	n.t.Helper()
	cmd := exec.Command(n.bin, args...)
	cmd.Env = nodeEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		n.t.Fatalf("xborder %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// start runs `xborder serve` and waits until /readyz answers 200.
func (n *knode) start() {
	n.t.Helper()
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		n.t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== kill9: starting %s at %s\n", n.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(n.bin, "serve", "--config", n.cfg)
	cmd.Env = nodeEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		n.t.Fatal(err)
	}
	n.cmd, n.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		logf.Close()
		close(exited)
	}(n.exited)
	deadline := time.Now().Add(killDeadline)
	for {
		select {
		case <-n.exited:
			n.t.Fatalf("%s exited while starting: %v\n%s", n.name, cmd.ProcessState, n.tail())
		default:
		}
		if code, _, err := n.call("GET", "/readyz", ""); err == nil && code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s not ready within %s\n%s", n.name, killDeadline, n.tail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *knode) kill() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.exited
	n.cmd = nil
}

func (n *knode) tail() string {
	b, _ := os.ReadFile(n.log)
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return fmt.Sprintf("--- %s log (tail) ---\n%s", n.name, b)
}

var killClient = &http.Client{Timeout: 30 * time.Second}

// call makes a management API request with the node's admin token.
func (n *knode) call(method, path, body string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, n.mgmt+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := killClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// must makes a call that has to answer want, and decodes the answer into v.
func (n *knode) must(method, path, body string, want int, v any) {
	n.t.Helper()
	code, b, err := n.call(method, path, body)
	if err != nil || code != want {
		n.t.Fatalf("%s %s %s: %d %v %s", n.name, method, path, code, err, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			n.t.Fatalf("%s %s %s: %v in %s", n.name, method, path, err, b)
		}
	}
}

// dspRow is a process as the node stores it (xborder.db, dsp_processes).
type dspRow struct {
	kind, role, pid, peer, state string
	outbox                       bool
}

// processes reads every DSP process of a node, read-only, from its
// database: the ground truth, including processes whose id the test never
// learned because a node was killed before it answered.
func (n *knode) processes() map[string]dspRow {
	n.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(n.dir, statedb.File)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		n.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT kind, role, pid, peer_pid, state, outbox <> '' FROM dsp_processes`)
	if err != nil {
		n.t.Fatalf("%s: reading dsp_processes: %v", n.name, err)
	}
	defer rows.Close()
	out := map[string]dspRow{}
	for rows.Next() {
		var r dspRow
		if err := rows.Scan(&r.kind, &r.role, &r.pid, &r.peer, &r.state, &r.outbox); err != nil {
			n.t.Fatal(err)
		}
		out[r.kind+" "+r.role+" "+r.pid] = r
	}
	if err := rows.Err(); err != nil {
		n.t.Fatal(err)
	}
	return out
}

// mark adds the processes of kind and role in all to seen.
func mark(all map[string]dspRow, seen map[string]bool, kind, role string) {
	for _, r := range peek(all, seen, kind, role) {
		seen[r.kind+" "+r.role+" "+r.pid] = true
	}
}

func final(state string) bool {
	return state == "FINALIZED" || state == "TERMINATED" || state == "COMPLETED"
}

// killCSV is a deterministic pseudo-random CSV of about size bytes.
func killCSV(size int) []byte {
	r := rand.New(rand.NewPCG(6, 9))
	metrics := []string{"pm25", "no2", "o3", "temp"}
	var b bytes.Buffer
	b.WriteString("reading_id,station,metric,value,taken_at\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "R%08d,ST-%03d,%s,%.4f,2026-%02d-%02dT%02d:%02d:00Z\n", i, r.IntN(500), metrics[r.IntN(len(metrics))],
			r.Float64()*1000, 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60))
	}
	return b.Bytes()
}

// killPatientsCSV is a deterministic CSV with personal information.
func killPatientsCSV(size int) []byte {
	r := rand.New(rand.NewPCG(4, 2))
	surnames := []string{"王", "李", "张", "刘", "陈", "杨"}
	var b bytes.Buffer
	b.WriteString("visit_id,name,phone,diagnosis\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "V%08d,%s%c,1%d%09d,C%02d.%d\n", i, surnames[r.IntN(len(surnames))], rune(0x4e00+r.IntN(2000)),
			3+r.IntN(6), r.IntN(1_000_000_000), r.IntN(100), r.IntN(10))
	}
	return b.Bytes()
}

// maskedBytes is src through killMaskPolicy, as the provider sends it.
func maskedBytes(t *testing.T, src []byte) []byte {
	t.Helper()
	pol, err := mask.Parse([]byte(killMaskPolicy))
	if err != nil {
		t.Fatal(err)
	}
	key, err := mask.DeriveKey("intl", make([]byte, 32), "urn:uuid:any")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mask.New(pol, key)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := m.CopyCSV(context.Background(), &out, bytes.NewReader(src), nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// killRig is the pair of nodes and what the test knows.
type killRig struct {
	t                  *testing.T
	provider, consumer *knode
	expected           map[string]string // dataset → SHA-256 of the bytes the consumer must get
	seen               map[string]map[string]bool
	stats              map[string]int
}

func (r *killRig) fail(format string, a ...any) {
	r.t.Helper()
	r.t.Fatalf("%s\n%s\n%s", fmt.Sprintf(format, a...), r.provider.tail(), r.consumer.tail())
}

// alive fails the test when a node exited without being killed.
func (r *killRig) alive(round string) {
	r.t.Helper()
	for _, n := range []*knode{r.provider, r.consumer} {
		select {
		case <-n.exited:
			r.fail("%s: the %s exited by itself: %v", round, n.name, n.cmd.ProcessState)
		default:
		}
	}
}

func (r *killRig) offer(id, dataset string) string {
	return `{"@id":"` + id + `","@type":"Offer","target":"` + dataset +
		`","permission":[{"action":"use","constraint":[{"leftOperand":"purpose","operator":"eq","rightOperand":"research"}]}]}`
}

// negotiate asks the consumer to negotiate and returns the answer.
func (r *killRig) negotiate(offerID, dataset string) (int, []byte, error) {
	body := fmt.Sprintf(`{"provider":%q,"participant":%q,"offer":%s}`, r.provider.public+"/dsp/2025-1", r.provider.did, r.offer(offerID, dataset))
	return r.consumer.call("POST", "/api/v1/negotiations", body)
}

type negView struct {
	State            string          `json:"state"`
	ProviderPID      string          `json:"providerPid"`
	ConsumerPID      string          `json:"consumerPid"`
	AgreementID      string          `json:"agreementId"`
	Agreement        json.RawMessage `json:"agreement"`
	Countersignature string          `json:"countersignature"`
}

// settleNegotiations waits until every negotiation started since the last
// call is final with nothing to deliver on both sides, then checks that
// the two sides agree. It returns the consumer's pids with their state.
func (r *killRig) settleNegotiations(round string) map[string]string {
	r.t.Helper()
	deadline := time.Now().Add(killDeadline)
	var cons, provs []dspRow
	cseen, pseen := r.seen["consumer"], r.seen["provider"]
	for {
		r.alive(round)
		call, pall := r.consumer.processes(), r.provider.processes()
		// Read without marking: a process may still appear on the other side.
		cons, provs = peek(call, cseen, "negotiation", "consumer"), peek(pall, pseen, "negotiation", "provider")
		settled := true
		for _, x := range append(slices.Clone(cons), provs...) {
			if !final(x.state) || x.outbox {
				settled = false
			}
		}
		if settled {
			mark(call, cseen, "negotiation", "consumer")
			mark(pall, pseen, "negotiation", "provider")
			break
		}
		if time.Now().After(deadline) {
			r.fail("%s: negotiations not settled within %s: consumer %v, provider %v", round, killDeadline, cons, provs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	byPeer := map[string]dspRow{} // provider process by the consumer's pid
	for _, p := range provs {
		if _, dup := byPeer[p.peer]; dup {
			r.fail("%s: two provider negotiations for the consumer's %s", round, p.peer)
		}
		byPeer[p.peer] = p
	}
	out := map[string]string{}
	for _, c := range cons {
		out[c.pid] = c.state
		p, ok := byPeer[c.pid]
		delete(byPeer, c.pid)
		if !ok {
			// The request never reached the provider.
			if c.state != "TERMINATED" {
				r.fail("%s: consumer negotiation %s is %s but the provider has no process for it", round, c.pid, c.state)
			}
			r.stats["negotiation: never reached the provider"]++
			continue
		}
		if c.peer != "" && c.peer != p.pid {
			r.fail("%s: consumer %s names provider process %s, the provider's is %s", round, c.pid, c.peer, p.pid)
		}
		if c.state != p.state {
			r.fail("%s: negotiation %s is %s at the consumer and %s (%s) at the provider", round, c.pid, c.state, p.state, p.pid)
		}
		r.stats["negotiation: "+strings.ToLower(c.state)]++
		if c.state != "FINALIZED" {
			continue
		}
		var cv, pv negView
		r.consumer.must("GET", "/api/v1/negotiations/"+url.PathEscape(c.pid)+"?role=consumer", "", 200, &cv)
		r.provider.must("GET", "/api/v1/negotiations/"+url.PathEscape(p.pid)+"?role=provider", "", 200, &pv)
		switch {
		case cv.State != "FINALIZED" || pv.State != "FINALIZED":
			r.fail("%s: the API shows %s/%s for a negotiation stored FINALIZED", round, cv.State, pv.State)
		case cv.AgreementID == "" || cv.AgreementID != pv.AgreementID:
			r.fail("%s: agreement ids differ: consumer %q, provider %q", round, cv.AgreementID, pv.AgreementID)
		case len(cv.Agreement) == 0 || !bytes.Equal(cv.Agreement, pv.Agreement):
			r.fail("%s: the agreements differ:\nconsumer %s\nprovider %s", round, cv.Agreement, pv.Agreement)
		case cv.Countersignature == "" || cv.Countersignature != pv.Countersignature:
			r.fail("%s: countersignatures differ: consumer %q, provider %q", round, cv.Countersignature, pv.Countersignature)
		}
	}
	for cpid, p := range byPeer {
		r.fail("%s: provider negotiation %s (%s) for consumer process %s, which the consumer does not have", round, p.pid, p.state, cpid)
	}
	return out
}

// peek returns the processes of kind and role not in seen.
func peek(all map[string]dspRow, seen map[string]bool, kind, role string) []dspRow {
	var out []dspRow
	for k, r := range all {
		if r.kind == kind && r.role == role && !seen[k] {
			out = append(out, r)
		}
	}
	return out
}

type xferRow struct {
	PID       string `json:"pid"`
	Agreement string `json:"agreementId"`
	Dataset   string `json:"dataset"`
	State     string `json:"state"`
	Bytes     int64  `json:"bytes"`
	Digest    string `json:"sha256"`
	File      string `json:"file"`
	Code      string `json:"code"`
}

// pollNegotiation waits for a consumer negotiation to be final, by the
// management API only (cheap: it times the undisturbed run).
func (r *killRig) pollNegotiation(pid string) negView {
	r.t.Helper()
	deadline := time.Now().Add(killDeadline)
	for {
		var v negView
		r.consumer.must("GET", "/api/v1/negotiations/"+url.PathEscape(pid)+"?role=consumer", "", 200, &v)
		if final(v.State) {
			return v
		}
		if time.Now().After(deadline) {
			r.fail("negotiation %s still %s after %s", pid, v.State, killDeadline)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// pollTransfer waits for the consumer's record of a transfer to be final.
func (r *killRig) pollTransfer(pid string) xferRow {
	r.t.Helper()
	deadline := time.Now().Add(killDeadline)
	for {
		var v struct{ Transfer xferRow }
		r.consumer.must("GET", "/api/v1/transfers/"+url.PathEscape(pid), "", 200, &v)
		if v.Transfer.State == "completed" || v.Transfer.State == "failed" || v.Transfer.State == "terminated" {
			return v.Transfer
		}
		if time.Now().After(deadline) {
			r.fail("transfer %s still %s after %s", pid, v.Transfer.State, killDeadline)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitProgress waits until the consumer has at least n bytes of a
// transfer in flight, or the transfer ended; it says which.
func (r *killRig) waitProgress(pid string, n int64) string {
	r.t.Helper()
	deadline := time.Now().Add(killDeadline)
	for {
		var v struct{ Transfer xferRow }
		r.consumer.must("GET", "/api/v1/transfers/"+url.PathEscape(pid), "", 200, &v)
		switch x := v.Transfer; {
		case x.State == "pulling" && x.Bytes >= n:
			return "mid-stream"
		case x.State != "requested" && x.State != "pulling":
			return "after the stream (" + x.State + ")"
		}
		if time.Now().After(deadline) {
			r.fail("transfer %s did not reach %d bytes in %s", pid, n, killDeadline)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitServed waits until the provider has sent at least n bytes of a
// transfer not among before, or has ended it; it says which.
func (r *killRig) waitServed(before []xferRow, n int64) string {
	r.t.Helper()
	old := map[string]bool{}
	for _, x := range before {
		old[x.PID] = true
	}
	deadline := time.Now().Add(killDeadline)
	for {
		var rows []xferRow
		r.provider.must("GET", "/api/v1/transfers?role=provider", "", 200, &rows)
		for _, x := range rows {
			switch {
			case old[x.PID]:
			case x.State == "started" && x.Bytes >= n:
				return "mid-stream"
			case x.State != "started":
				return "after the stream (" + x.State + ")"
			}
		}
		if time.Now().After(deadline) {
			r.fail("the provider did not send %d bytes in %s", n, killDeadline)
		}
		time.Sleep(time.Millisecond)
	}
}

// transfer asks the consumer for a transfer and returns the answer.
func (r *killRig) transfer(agreement string) (int, []byte, error) {
	return r.consumer.call("POST", "/api/v1/transfers", `{"agreement":"`+agreement+`"}`)
}

// settleTransfers waits until every transfer started since the last call
// is final with nothing to deliver on both sides and the consumer's record
// of it is final, then checks the consumer's received files. It returns
// the consumer's records of the new transfers.
func (r *killRig) settleTransfers(round string) []xferRow {
	r.t.Helper()
	deadline := time.Now().Add(killDeadline)
	cseen, pseen := r.seen["consumer"], r.seen["provider"]
	var out []xferRow
	for {
		r.alive(round)
		call, pall := r.consumer.processes(), r.provider.processes()
		cons, provs := peek(call, cseen, "transfer", "consumer"), peek(pall, pseen, "transfer", "provider")
		settled, why := true, ""
		for _, x := range append(slices.Clone(cons), provs...) {
			if !final(x.state) || x.outbox {
				settled, why = false, fmt.Sprintf("%s %s is %s (outbox %v)", x.role, x.pid, x.state, x.outbox)
			}
		}
		out = out[:0]
		for _, c := range cons {
			if !settled {
				break
			}
			var v struct{ Transfer xferRow }
			code, b, err := r.consumer.call("GET", "/api/v1/transfers/"+url.PathEscape(c.pid)+"?role=consumer", "")
			if err == nil && code == http.StatusNotFound {
				// Killed between the request and its record: the
				// protocol ended it, the management API never shows it.
				r.fail("%s: consumer transfer %s (%s) has no record in the management API", round, c.pid, c.state)
			}
			if err != nil || code != 200 || json.Unmarshal(b, &v) != nil {
				r.fail("%s: GET transfer %s: %d %v %s", round, c.pid, code, err, b)
			}
			t := v.Transfer
			if t.State != "completed" && t.State != "failed" && t.State != "terminated" {
				settled, why = false, fmt.Sprintf("the consumer's record of %s (%s) is %s", c.pid, c.state, t.State)
				break
			}
			if (t.State == "completed") != (c.state == "COMPLETED") {
				r.fail("%s: consumer transfer %s is %s in the protocol but %s in its record", round, c.pid, c.state, t.State)
			}
			if (t.State == "failed" || t.State == "terminated") && t.Code == "" {
				r.fail("%s: consumer transfer %s %s without a code", round, c.pid, t.State)
			}
			out = append(out, t)
		}
		if settled {
			mark(call, cseen, "transfer", "consumer")
			mark(pall, pseen, "transfer", "provider")
			byPeer := map[string]dspRow{}
			for _, p := range provs {
				byPeer[p.peer] = p
			}
			for _, c := range cons {
				if p, ok := byPeer[c.pid]; ok && p.state != c.state {
					r.fail("%s: transfer %s is %s at the consumer and %s at the provider", round, c.pid, c.state, p.state)
				}
				delete(byPeer, c.pid)
			}
			for cpid, p := range byPeer {
				r.fail("%s: provider transfer %s (%s) for consumer process %s, which the consumer does not have", round, p.pid, p.state, cpid)
			}
			break
		}
		if time.Now().After(deadline) {
			r.fail("%s: transfers not settled within %s: %s", round, killDeadline, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.checkReceived(round)
	return out
}

// checkReceived checks every file in the consumer's received/: no partial
// file (nothing is in flight), each data file has the expected bytes of
// its dataset and a receipt for them, each receipt its data file.
func (r *killRig) checkReceived(round string) {
	r.t.Helper()
	var rows []xferRow
	r.consumer.must("GET", "/api/v1/transfers?role=consumer", "", 200, &rows)
	byName := map[string]xferRow{} // by the name of the file
	for _, x := range rows {
		if x.File != "" {
			byName[filepath.Base(x.File)] = x
		}
	}
	dir := filepath.Join(r.consumer.dir, "received")
	ents, err := os.ReadDir(dir)
	if err != nil {
		r.fail("%s: %v", round, err)
	}
	files := map[string]bool{}
	for _, e := range ents {
		files[e.Name()] = true
	}
	for name := range files {
		switch {
		case strings.HasSuffix(name, ".part"):
			r.fail("%s: a partial file remains after its transfer ended: %s", round, name)
		case strings.HasSuffix(name, ".receipt.json"):
			if !files[strings.TrimSuffix(name, ".receipt.json")] {
				r.fail("%s: receipt %s without its data", round, name)
			}
		case strings.HasPrefix(name, "."):
			r.fail("%s: stray file %s in received/", round, name)
		default:
			x, ok := byName[name]
			if !ok {
				r.fail("%s: received file %s is the file of no transfer the consumer lists", round, name)
			}
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				r.fail("%s: %v", round, err)
			}
			if got, want := sha(data), r.expected[x.Dataset]; got != want {
				r.fail("%s: CORRUPT DATA DELIVERED: %s (transfer %s, %s, state %s) has SHA-256 %s, want %s (%d bytes)",
					round, name, x.PID, x.Dataset, x.State, got, want, len(data))
			}
			if x.State != "completed" {
				r.fail("%s: %s holds the whole data but its transfer %s is %s (%s)", round, name, x.PID, x.State, x.Code)
			}
			rb, err := os.ReadFile(filepath.Join(dir, name+".receipt.json"))
			if err != nil {
				r.fail("%s: %s has no receipt: %v", round, name, err)
			}
			var rc struct {
				AgreementID string `json:"agreementId"`
				Size        int64  `json:"size"`
				Digest      []byte `json:"digest"`
				Signature   []byte `json:"signature"`
			}
			if err := json.Unmarshal(rb, &rc); err != nil {
				r.fail("%s: receipt of %s: %v", round, name, err)
			}
			if hex.EncodeToString(rc.Digest) != sha(data) || rc.Size != int64(len(data)) || rc.AgreementID != x.Agreement || len(rc.Signature) == 0 {
				r.fail("%s: the receipt of %s does not describe it: %s", round, name, rb)
			}
			if x.Digest != sha(data) {
				r.fail("%s: the consumer's record of %s says SHA-256 %s, the file has %s", round, x.PID, x.Digest, sha(data))
			}
		}
	}
	for _, x := range rows {
		if x.State == "completed" && (x.File == "" || !files[filepath.Base(x.File)] || filepath.Dir(x.File) != dir) {
			r.fail("%s: transfer %s is completed but its file %q is not in %s", round, x.PID, x.File, dir)
		}
	}
}

// answer is the result of a management call made in the background.
type answer struct {
	code int
	body []byte
	err  error
}

// crash kills victim with SIGKILL, starts it again on its directory, and
// waits for the answer to the consumer's management call made before.
func (r *killRig) crash(victim *knode, ans chan answer, round string) answer {
	r.t.Helper()
	victim.kill()
	victim.start()
	select {
	case a := <-ans:
		// The consumer's API answers whatever befalls the provider.
		if victim == r.provider && a.err != nil {
			r.fail("%s: the consumer's API failed: %v", round, a.err)
		}
		return a
	case <-time.After(killDeadline):
		r.fail("%s: the consumer's management call made before the kill did not return", round)
	}
	return answer{}
}

func background(f func() (int, []byte, error)) chan answer {
	c := make(chan answer, 1)
	go func() {
		code, b, err := f()
		c <- answer{code, b, err}
	}()
	return c
}

func TestNodeKill9(t *testing.T) {
	env := os.Getenv("XBORDER_NODE_KILLS")
	if env == "" {
		t.Skip("set XBORDER_NODE_KILLS=N (e.g. 20): N kills in negotiations and N in transfers, the provider and the consumer in turn")
	}
	rounds, err := strconv.Atoi(env)
	if err != nil || rounds <= 0 {
		t.Fatalf("XBORDER_NODE_KILLS=%q: want a positive number of rounds", env)
	}
	seed := killSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c39))
	began := time.Now()

	bin := filepath.Join(t.TempDir(), "xborder")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built in %s", time.Since(began).Round(time.Millisecond))

	ports := freePorts(t, 4)
	root := t.TempDir()
	provider := newKnode(t, bin, root, "provider", "CN", ports[0], ports[1])
	consumer := newKnode(t, bin, root, "consumer", "NL", ports[2], ports[3])
	if keep := os.Getenv("XBORDER_NODE_KEEP"); keep != "" {
		t.Cleanup(func() { // after the nodes are killed
			os.RemoveAll(keep)
			if err := os.CopyFS(keep, os.DirFS(root)); err != nil {
				t.Logf("XBORDER_NODE_KEEP: %v", err)
			}
			t.Logf("data directories and logs copied to %s", keep)
		})
	}
	provider.writeConfig("CN", fmt.Sprintf("participants:\n  - did: %s\n    country: NL\n", consumer.did))
	t.Cleanup(provider.kill)
	t.Cleanup(consumer.kill)
	provider.start()
	consumer.start()
	t.Logf("nodes ready in %s (provider %s, consumer %s)", time.Since(began).Round(time.Millisecond), provider.did, consumer.did)

	r := &killRig{t: t, provider: provider, consumer: consumer, expected: map[string]string{},
		seen: map[string]map[string]bool{"consumer": {}, "provider": {}}, stats: map[string]int{}}

	// The datasets: one without personal information, sent as stored, and
	// one with, sent through its masking policy.
	plain, patients := killCSV(24<<20), killPatientsCSV(4<<20)
	r.expected[killPlainDataset], r.expected[killMaskedDataset] = sha(plain), sha(maskedBytes(t, patients))
	for _, d := range []struct {
		id, title   string
		individuals int
		content     []byte
	}{{killPlainDataset, "Sensor readings", 0, plain}, {killMaskedDataset, "Patient visits", 20000, patients}} {
		entry := fmt.Sprintf(`{"identifier":%q,"title":{"en":%q},"governance":{"owner":%q,"classificationLevel":"internal","sovereignty":"CN","allowedPurposes":["research"]},"technical":{"piProfile":{"individuals":%d,"sensitiveIndividuals":0}}}`,
			d.id, d.title, provider.did, d.individuals)
		provider.must("POST", "/api/v1/datasets", entry, http.StatusCreated, nil)
		var up struct{ SHA256 string }
		provider.must("PUT", "/api/v1/sources/"+d.id, string(d.content), 200, &up)
		if up.SHA256 != sha(d.content) {
			t.Fatalf("upload of %s: the provider stored SHA-256 %s, want %s", d.id, up.SHA256, sha(d.content))
		}
	}
	provider.must("PUT", "/api/v1/masks/"+killMaskedDataset, killMaskPolicy, 200, nil)

	// Undisturbed: a negotiation for each dataset, and a transfer of each,
	// timed; the kill delays below are drawn within these durations.
	agreements := map[string]string{}
	var negDur, xferDur time.Duration
	for i, ds := range []string{killPlainDataset, killMaskedDataset} {
		start := time.Now()
		var v negView
		code, b, err := r.negotiate(fmt.Sprintf("urn:uuid:kill9-setup-%d", i), ds)
		if err != nil || code != http.StatusCreated || json.Unmarshal(b, &v) != nil {
			r.fail("setup: negotiation for %s: %d %v %s", ds, code, err, b)
		}
		cv := r.pollNegotiation(v.ConsumerPID)
		negDur = max(negDur, time.Since(start))
		if cv.State != "FINALIZED" {
			r.fail("setup: the negotiation for %s ended %s", ds, cv.State)
		}
		r.settleNegotiations("setup")
		agreements[ds] = cv.AgreementID

		start = time.Now()
		code, b, err = r.transfer(cv.AgreementID)
		var x xferRow
		if err != nil || code != http.StatusCreated || json.Unmarshal(b, &x) != nil {
			r.fail("setup: transfer of %s: %d %v %s", ds, code, err, b)
		}
		x = r.pollTransfer(x.PID)
		xferDur = max(xferDur, time.Since(start))
		if x.State != "completed" {
			r.fail("setup: the transfer of %s ended %+v", ds, x)
		}
		r.settleTransfers("setup")
	}
	clear(r.stats) // count the killed rounds only
	t.Logf("undisturbed: negotiation %s, transfer %s (setup done at %s)", negDur.Round(time.Millisecond), xferDur.Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond))

	victimOf := func(i int) *knode {
		if i%2 == 0 {
			return provider
		}
		return consumer
	}

	// Negotiations killed at a random moment between the request and a
	// little after an undisturbed one would have finished; the provider in
	// even rounds, the consumer in odd ones.
	for i := range rounds {
		victim := victimOf(i)
		ds := []string{killPlainDataset, killMaskedDataset}[rng.IntN(2)]
		delay := time.Duration(rng.Int64N(int64(negDur) * 5 / 4))
		round := fmt.Sprintf("negotiation round %d (kill %s after %s, seed %d)", i, victim.name, delay.Round(time.Microsecond), seed)
		t.Log(round)
		ans := background(func() (int, []byte, error) { return r.negotiate(fmt.Sprintf("urn:uuid:kill9-neg-%d", i), ds) })
		time.Sleep(delay) // the kill moment, not a wait for anything
		a := r.crash(victim, ans, round)
		r.stats[fmt.Sprintf("negotiation: request answered %d", a.code)]++
		r.settleNegotiations(round)
	}

	// Transfers killed at a random moment, or once the consumer has a
	// random share of the bytes; then a transfer without a kill must
	// complete. Victims alternate as above, datasets every two rounds,
	// kill modes every four.
	sizes := map[string]int64{killPlainDataset: int64(len(plain)), killMaskedDataset: int64(len(maskedBytes(t, patients)))}
	for i := range rounds {
		victim := victimOf(i)
		ds := []string{killPlainDataset, killMaskedDataset}[i/2%2]
		byProgress := i/4%2 == 1
		delay := time.Duration(rng.Int64N(int64(xferDur) * 5 / 4))
		share := rng.Float64()
		round := fmt.Sprintf("transfer round %d (%s, kill %s after %s, seed %d)", i, ds, victim.name, delay.Round(time.Microsecond), seed)
		if byProgress {
			round = fmt.Sprintf("transfer round %d (%s, kill %s at %.0f%% of the bytes, seed %d)", i, ds, victim.name, 100*share, seed)
		}
		t.Log(round)
		var served []xferRow // the provider's transfers before this one
		provider.must("GET", "/api/v1/transfers?role=provider", "", 200, &served)
		ans := background(func() (int, []byte, error) { return r.transfer(agreements[ds]) })
		if byProgress {
			a := <-ans
			var x xferRow
			if a.err != nil || a.code != http.StatusCreated || json.Unmarshal(a.body, &x) != nil {
				r.fail("%s: transfer request: %d %v %s", round, a.code, a.err, a.body)
			}
			// The consumer's progress lags the provider's by what the
			// sockets hold: each side is killed on its own count.
			at := int64(share * float64(sizes[ds]))
			if victim == provider {
				r.stats["transfer: provider killed "+r.waitServed(served, at)]++
			} else {
				r.stats["transfer: consumer killed "+r.waitProgress(x.PID, at)]++
			}
			ans <- a
		} else {
			time.Sleep(delay) // the kill moment
		}
		r.crash(victim, ans, round)
		for _, x := range r.settleTransfers(round) {
			r.stats["transfer: "+x.State+" "+x.Code]++
		}
		code, b, err := r.transfer(agreements[ds])
		if err != nil || code != http.StatusCreated {
			r.fail("%s: the transfer after the crash was refused: %d %v %s", round, code, err, b)
		}
		xs := r.settleTransfers(round + ", then undisturbed")
		if len(xs) != 1 || xs[0].State != "completed" {
			r.fail("%s: the transfer after the crash ended %+v", round, xs)
		}
	}

	// Nothing is left waiting on either side.
	for _, n := range []*knode{provider, consumer} {
		var open []json.RawMessage
		n.must("GET", "/api/v1/negotiations", "", 200, &open)
		if len(open) != 0 {
			r.fail("%s lists unfinished negotiations at the end: %s", n.name, open)
		}
		for _, p := range n.processes() {
			if !final(p.state) || p.outbox {
				r.fail("%s: %s %s %s is %s (outbox %v) at the end", n.name, p.kind, p.role, p.pid, p.state, p.outbox)
			}
		}
	}
	keys := slices.Sorted(maps.Keys(r.stats))
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "\n  %-50s %d", k, r.stats[k])
	}
	t.Logf("%d rounds of each kind in %s; outcomes:%s", rounds, time.Since(began).Round(time.Millisecond), sb.String())
}
