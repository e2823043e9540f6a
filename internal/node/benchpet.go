package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/catalog"
	"github.com/xborder/xborder/internal/dsp"
	"github.com/xborder/xborder/internal/pet/psi"
	"github.com/xborder/xborder/internal/pet/task"
)

// BenchPET runs two nodes on loopback (a CN provider, an NL consumer)
// with a finalized agreement and measures a PSI-cardinality task of n
// keys on each side through the whole stack: the task interfaces on both
// nodes (create, upload, authorize, invoke, review, download), the signed
// ECDHE channel between them, the inputs decrypted from the nodes' upload
// stores; beside the same sets through psi.RunLocal in the same process
// (both parties in memory, no task, no channel), measured in the same run.
// group is "ristretto255" or "x25519". It writes a report to out.
func BenchPET(ctx context.Context, dir string, n int, group string, out io.Writer) error {
	g, err := psi.ParseGroup(group)
	if err != nil {
		return err
	}
	cons, prov, stop, err := startBenchPair(ctx, dir)
	if err != nil {
		return err
	}
	defer stop()
	e := &catalog.Entry{Identifier: "xb86/CN/bench/cohort", Title: catalog.LangMap{"en": "Patient cohort"}}
	e.Governance = catalog.Governance{Owner: prov.cfg.DID, ClassificationLevel: "internal", Sovereignty: "CN", AllowedPurposes: []string{"research"}}
	// The cohort is pseudonymous ids: the gate sees a small export (a larger
	// one would need a filing on record, and the bench would measure a refusal).
	e.Technical = &catalog.Technical{PIProfile: &catalog.PIProfile{Individuals: 800}}
	if _, err := prov.stores.catalog.Register(ctx, e, catalog.RegisterOptions{}); err != nil {
		return err
	}
	offer := json.RawMessage(`{"@id":"urn:uuid:bench-pet","@type":"Offer","target":"` + e.Identifier +
		`","permission":[{"action":"use","constraint":[{"leftOperand":"purpose","operator":"eq","rightOperand":"research"}]}]}`)
	p, err := cons.DSP().RequestContract(ctx, prov.DSP().BaseURL(), prov.cfg.DID, offer)
	if err != nil {
		return err
	}
	var agreement string
	for deadline := time.Now().Add(30 * time.Second); agreement == ""; time.Sleep(5 * time.Millisecond) {
		q, err := cons.DSP().Process(ctx, dsp.KindNegotiation, dsp.Consumer, p.ConsumerPID)
		if err != nil {
			return err
		}
		if q.State.Terminal() {
			if q.State != dsp.Finalized {
				return fmt.Errorf("bench pet: the negotiation ended %s", q.State)
			}
			agreement = q.AgreementID
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench pet: the negotiation did not finish")
		}
	}
	// Half of the consumer's keys are the provider's.
	aKeys, bKeys := make([]string, n), make([]string, n)
	var ca, cb strings.Builder
	ca.WriteString("id\n")
	cb.WriteString("id\n")
	for i := range n {
		aKeys[i], bKeys[i] = fmt.Sprintf("K%09d", i+n/2), fmt.Sprintf("K%09d", i)
		ca.WriteString(aKeys[i] + "\n")
		cb.WriteString(bKeys[i] + "\n")
	}
	want := n - n/2

	// Baseline: both parties in memory.
	t0 := time.Now()
	ra, _, err := psi.RunLocal(ctx, psi.Config{Session: agreement, Mode: psi.ModeCardinality, Group: g}, aKeys, bKeys, nil)
	if err != nil {
		return err
	}
	local := time.Since(t0)
	if ra.Size != want {
		return fmt.Errorf("bench pet: RunLocal found %d, want %d", ra.Size, want)
	}

	operator := task.Caller{Local: true, Actor: "did:web:management.invalid:bench"}
	call := func(nd *Node, op string, in, out any) error {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		r, err := nd.pet.svc.Handle(ctx, operator, op, b)
		if err != nil {
			return fmt.Errorf("bench pet: %s: %w", op, err)
		}
		if out != nil {
			return json.Unmarshal(r, out)
		}
		return nil
	}
	t0 = time.Now()
	var v task.View
	spec := task.Spec{Agreement: agreement, Algorithm: "psi-cardinality@1", Params: task.Params{Group: group},
		Parties: []task.Party{{DID: cons.cfg.DID, Role: "a"}, {DID: prov.cfg.DID, Role: "b"}},
		Fields:  []string{"id"}, Output: []string{cons.cfg.DID}, Purpose: "research", Review: task.ReviewPolicy{MinIntersection: 1}}
	if err := call(cons, task.OpTaskCreate, spec, &v); err != nil {
		return err
	}
	id := v.Task.ID
	for _, in := range []struct {
		nd  *Node
		csv string
	}{{cons, ca.String()}, {prov, cb.String()}} {
		var up task.UploadResponse
		if err := call(in.nd, task.OpDataUpload, task.UploadRequest{TaskID: id, Data: []byte(in.csv)}, &up); err != nil {
			return err
		}
		if err := call(in.nd, task.OpDataAuthorize, task.AuthorizeRequest{TaskID: id, Upload: up.Upload, Columns: task.Columns{Key: "id"}}, nil); err != nil {
			return err
		}
	}
	prepared := time.Since(t0)
	t1 := time.Now()
	if err := call(cons, task.OpAlgorithmInvoke, task.InvokeRequest{TaskID: id}, &v); err != nil {
		return err
	}
	for v.State != task.StateSucceeded {
		if v.State == task.StateFailed || v.State == task.StateCancelled {
			return fmt.Errorf("bench pet: the task ended %s: %s", v.State, v.Reason)
		}
		time.Sleep(20 * time.Millisecond)
		if err := call(cons, task.OpTaskQuery, task.Ref{TaskID: id}, &v); err != nil {
			return err
		}
	}
	var res task.Result
	if err := call(cons, task.OpResultDownload, task.Ref{TaskID: id}, &res); err != nil {
		return err
	}
	run := time.Since(t1)
	if res.PSI == nil || res.PSI.Size != int64(want) {
		return fmt.Errorf("bench pet: the task found %v, want %d", res.PSI, want)
	}
	var m task.Metrics
	if err := call(cons, task.OpPerformanceMetric, task.Ref{TaskID: id}, &m); err != nil {
		return err
	}
	mb, _ := json.Marshal(m)
	total := prepared + run
	fmt.Fprintf(out, "PSI cardinality %d × %d (%s) between two nodes on loopback, through the task interfaces and the signed ECDHE channel\n", n, n, group)
	fmt.Fprintf(out, "task, create to result: %.2f s (create, upload and authorize on both nodes %.2f s; invoke to reviewed result %.2f s)\n",
		total.Seconds(), prepared.Seconds(), run.Seconds())
	fmt.Fprintf(out, "psi.RunLocal, same sets, same run: %.2f s; the task over the connector takes %.2f× as long (run alone %.2f×)\n",
		local.Seconds(), total.Seconds()/local.Seconds(), run.Seconds()/local.Seconds())
	fmt.Fprintf(out, "initiator's metrics: %s\n", mb)
	return nil
}
