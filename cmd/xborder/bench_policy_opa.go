//go:build opa

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/xborder/xborder/internal/odrl"
)

// opaBuilt tells whether this build has the OPA comparison.
const opaBuilt = true

// errNoOPA is never returned in a build with the opa tag.
var errNoOPA = fmt.Errorf("OPA is not in this build")

// opaBaseline prepares the policy, translated to Rego, as an OPA query with
// the request as pre-parsed input. run decides once; check reports the
// first run whose decision differed from ours.
func opaBaseline(ctx context.Context, pp *odrl.Prepared, req odrl.Request, want odrl.Decision) (run func(), check func() error, version string, err error) {
	src, err := odrl.ToRego(pp, "xborder.policy")
	if err != nil {
		return nil, nil, "", err
	}
	q, err := rego.New(rego.Query("data.xborder.policy.decision"), rego.Module("policy.rego", src)).PrepareForEval(ctx)
	if err != nil {
		return nil, nil, "", fmt.Errorf("preparing the Rego query: %w", err)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, nil, "", err
	}
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, nil, "", err
	}
	input, err := ast.InterfaceToValue(raw)
	if err != nil {
		return nil, nil, "", err
	}
	var first error
	run = func() {
		rs, err := q.Eval(ctx, rego.EvalParsedInput(input))
		if err == nil && (len(rs) != 1 || rs[0].Expressions[0].Value != string(want.Decision)) {
			err = fmt.Errorf("OPA decided %v, xborder %s", rs, want.Decision)
		}
		if err != nil && first == nil {
			first = err
		}
	}
	run()
	if first != nil {
		return nil, nil, "", first
	}
	version = "OPA"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/open-policy-agent/opa" {
				version = "OPA " + d.Version
			}
		}
	}
	return run, func() error { return first }, version, nil
}
