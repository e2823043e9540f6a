package node

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

// TestLedgerWitnessed: with DATA_DIR/audit/witnesses.policy, a gm node's
// ledger publishes only checkpoints its witness abroad cosigned (and signs
// them with SM2 beside Ed25519, prepared by InitLedger); the checkpoint
// the management API serves and the evidence pack carry the cosignature.
func TestLedgerWitnessed(t *testing.T) {
	skey, _, err := witness.GenerateKey(rand.Reader, "witness.amsterdam.example.nl")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := witness.NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	var keys LedgerKeys
	var w *witness.Witness
	n := startAlgNode(t, suite.SM2, "CN", nil, func(c *Config) {
		c.Suite = "gm"
		if keys, err = InitLedger(*c); err != nil {
			t.Fatal(err)
		}
		if keys.SM2Key == "" {
			t.Fatal("no SM2 ledger key for a gm node")
		}
		w, err = witness.New(witness.Config{Dir: t.TempDir(), Cosigner: cs, Logs: []witness.KnownLog{{Origin: keys.Origin, VerifierKey: keys.Key}}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(w.Handler(""))
		t.Cleanup(func() { srv.Close(); w.Close() }) // after the node (cleanups run last first)
		policy := fmt.Sprintf("witness nl %s %s\nquorum nl\n", cs.VerifierKey(), srv.URL)
		if err := os.WriteFile(filepath.Join(c.DataDir, "audit", WitnessPolicyFile), []byte(policy), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	aud, _ := n.n.Tokens().Add("auditor", RoleAuditor, time.Now())
	if code, body := doBody(t, "GET", n.n.MgmtURL+"/api/v1/node", aud, ""); code != 200 {
		t.Fatalf("node: %d %s", code, body)
	}
	if err := n.n.Ledger().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, cp := doBody(t, "GET", n.n.MgmtURL+"/api/v1/audit/checkpoint", aud, "")
	if code != 200 {
		t.Fatalf("checkpoint: %d %s", code, cp)
	}
	lv, err := note.NewVerifier(keys.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := witness.VerifyCosignatures([]byte(cp), lv, []note.Verifier{cs.Verifier()}, 1); err != nil {
		t.Fatalf("the served checkpoint is not cosigned: %v\n%s", err, cp)
	}
	sv, err := audit.NewSM2Verifier(keys.SM2Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(cp), note.VerifierList(sv)); err != nil {
		t.Fatalf("no SM2 signature on the checkpoint: %v", err)
	}
	code, pack := doBody(t, "GET", n.n.MgmtURL+"/api/v1/audit/pack?object=urn:xborder:api:api/v1/node", aud, "")
	if code != 200 {
		t.Fatalf("pack: %d %s", code, pack)
	}
	pol, _ := witness.ParsePolicy([]byte(fmt.Sprintf("witness nl %s\nquorum nl\n", cs.VerifierKey())))
	rep, err := audit.VerifyPack([]byte(pack), audit.PackTrust{LogKey: keys.Key, Witnesses: pol})
	if err != nil || len(rep.Cosignatures) != 1 || rep.Entries == 0 {
		t.Fatalf("pack: %+v %v", rep, err)
	}
}
