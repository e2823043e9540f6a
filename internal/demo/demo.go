package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/xborder/xborder/internal/assess"
	"github.com/xborder/xborder/internal/rulebook"
)

// Options configure a demo.
type Options struct {
	// Dir holds everything: one data directory per connector, the sample
	// data, the trust registry and credentials, the evidence. Required.
	Dir string
	// Lang is the narrative's language: "en" (default) or "zh".
	Lang string
	// Seed and Rows make the sample data (defaults 2026 and 3,000).
	Seed uint64
	Rows int
	// Now is the clock of the demo's own records (credentials, the
	// assessment's date); the connectors keep their own. Default time.Now.
	Now func() time.Time
	// Step, when set, is called as each step ends, with its narrative.
	Step func(Step)
	// Progress, when set, is called during the transfer with the bytes
	// received so far.
	Progress func(received int64)
	// TaskProgress, when set, is called during the joint computation with
	// the protocol's phase and the items done of total.
	TaskProgress func(phase string, done, total int64)
	// Before, when set, runs before each step; an error fails the step.
	// Tests inject failures with it.
	Before func(step string) error
}

// Step is one step of the story, as told.
type Step struct {
	N     int
	Name  string // stable: identities, connectors, data, assess, publish, negotiate, gate, transfer, compute, audit, refusal
	Title string // in the narrative's language
	// Lines are the facts, in the narrative's language.
	Lines []string
	// Facts are the same facts for machines (the --json output).
	Facts map[string]any
	Took  time.Duration
	Err   error
}

func (s *Step) say(lang string, en, zh string) {
	s.Lines = append(s.Lines, text{en, zh}.in(lang))
}

// StepError is the error of a failed step.
type StepError struct {
	N    int
	Name string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("step %d (%s): %v", e.N, e.Name, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// Demo is one telling of the story: three connectors on loopback in this
// process, and what the steps learnt on the way.
type Demo struct {
	opts    Options
	hc      *http.Client
	nodeCtx context.Context
	stop    context.CancelFunc

	cn, nl, hk *party
	parties    []*party
	witness    *witnessServer
	ledger     ledgerInfo
	story      story
}

// New prepares a demo; nothing runs until Run.
func New(opts Options) (*Demo, error) {
	if opts.Dir == "" {
		return nil, errors.New("demo: a directory is required")
	}
	switch opts.Lang {
	case "":
		opts.Lang = "en"
	case "en", "zh":
	default:
		return nil, fmt.Errorf("demo: language %q: en or zh", opts.Lang)
	}
	if opts.Seed == 0 {
		opts.Seed = 2026
	}
	if opts.Rows <= 0 {
		opts.Rows = 3000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	abs, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = abs
	d := &Demo{opts: opts, hc: &http.Client{Timeout: 30 * time.Second}, parties: newParties(abs)}
	d.cn, d.nl, d.hk = d.parties[0], d.parties[1], d.parties[2]
	for _, p := range d.parties {
		p.dir = filepath.Join(abs, p.id)
	}
	d.nodeCtx, d.stop = context.WithCancel(context.Background())
	return d, nil
}

// Run tells the story, step by step, and stops at the first step that
// fails (a *StepError). The connectors keep running until Close.
func (d *Demo) Run(ctx context.Context) ([]Step, error) {
	if err := os.MkdirAll(d.opts.Dir, 0o755); err != nil {
		return nil, err
	}
	steps := []struct {
		name  string
		title text
		run   func(context.Context, *Step) error
	}{
		{"identities", text{"Identities", "身份"}, d.identities},
		{"connectors", text{"Connectors", "连接器"}, d.connectors},
		{"data", text{"Sample data", "样例数据"}, d.data},
		{"assess", text{"Assessment", "出境评估"}, d.assess},
		{"publish", text{"Publication", "发布"}, d.publish},
		{"negotiate", text{"Negotiation", "协商"}, d.negotiate},
		{"gate", text{"Compliance gate", "合规闸口"}, d.gate},
		{"transfer", text{"Transfer", "传输"}, d.transfer},
		{"compute", text{"Joint computation", "联合计算"}, d.compute},
		{"audit", text{"Audit", "审计"}, d.audit},
		{"refusal", text{"A refused request", "被拒绝的请求"}, d.refusal},
	}
	var done []Step
	for i, st := range steps {
		s := Step{N: i + 1, Name: st.name, Title: st.title.in(d.opts.Lang), Facts: map[string]any{}}
		start := time.Now()
		if d.opts.Before != nil {
			s.Err = d.opts.Before(st.name)
		}
		if s.Err == nil {
			s.Err = st.run(ctx, &s)
		}
		s.Took = time.Since(start)
		done = append(done, s)
		if d.opts.Step != nil {
			d.opts.Step(s)
		}
		if s.Err != nil {
			return done, &StepError{N: s.N, Name: s.Name, Err: s.Err}
		}
	}
	return done, nil
}

// NodeInfo is how to reach one connector after the story.
type NodeInfo struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Country    string `json:"country"`
	Suite      string `json:"suite"`
	DID        string `json:"did"`
	Public     string `json:"public"`
	Management string `json:"management"`
	AdminToken string `json:"adminToken"`
	DataDir    string `json:"dataDir"`
}

// Nodes lists the connectors that were started.
func (d *Demo) Nodes() []NodeInfo {
	var out []NodeInfo
	for _, p := range d.parties {
		if p.node == nil {
			continue
		}
		out = append(out, NodeInfo{ID: p.id, Name: p.name.in(d.opts.Lang), Country: p.country, Suite: p.suite, DID: p.did,
			Public: p.node.PublicURL, Management: p.node.MgmtURL, AdminToken: p.tokens["admin"], DataDir: p.dir})
	}
	return out
}

// WitnessURL is where the Amsterdam centre's witness listens ("" before
// the connectors start).
func (d *Demo) WitnessURL() string {
	if d.witness == nil {
		return ""
	}
	return d.witness.url
}

// Close shuts the connectors down gracefully (each publishes a final,
// witnessed checkpoint), then the witness.
func (d *Demo) Close(ctx context.Context) error {
	d.stop()
	var errs []error
	for _, p := range d.parties {
		if p.done != nil {
			errs = append(errs, <-p.done)
		}
		if p.logf != nil {
			p.logf.Close()
		}
	}
	if d.witness != nil {
		errs = append(errs, d.witness.close(ctx))
	}
	return errors.Join(errs...)
}

// story is what the steps learn and hand on.
type story struct {
	participants []verifiedParticipant
	trust        *trustSetup // the demo registry every node pins
	csv, csvSHA  string
	csvSize      int64
	result       *assess.Result
	route        rulebook.Decision // the CN route of the assessment
	consumerPID  string
	providerPID  string
	agreement    string
	transferPID  string // the provider's transfer process: the audit object
	taskID       string // the joint computation: an audit object too
}
