package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/witness"
)

// Witnesses of the node's audit ledger (审计互信, docs/audit.md): the
// counterpart abroad, the data space operator or a regulator cosign the
// ledger's checkpoints. DATA_DIR/audit/witnesses.policy lists them with k,
// in tessera's policy text, as for `xborder audit`; with the file present
// the ledger publishes only checkpoints k of them cosigned, and evidence
// packs carry the policy.

// WitnessPolicyFile is the witness policy's file name in DATA_DIR/audit.
const WitnessPolicyFile = "witnesses.policy"

// loadWitnessPolicy reads the ledger's witness policy (nil without the file).
func loadWitnessPolicy(auditDir string) (*witness.Policy, error) {
	path := filepath.Join(auditDir, WitnessPolicyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("node: witness policy: %w", err)
	}
	p, err := witness.ParsePolicy(b)
	if err != nil {
		return nil, fmt.Errorf("node: %s: %w", path, err)
	}
	return p, nil
}

// LedgerKeys are the verifier keys of a node's audit ledger.
type LedgerKeys struct {
	Origin string // the checkpoint origin (the note key name)
	Key    string // Ed25519 note verifier key: what witnesses and auditors are given
	SM2Key string // SM2 note verifier key (suite gm), "" otherwise
}

// InitLedger creates the keys of the node's audit ledger, if they do not
// exist yet, as `xborder audit init` does (suite gm: an SM2 signature on
// every checkpoint beside the Ed25519 one), and returns the verifier keys.
// Witnesses must know the ledger's key before a node with a witness policy
// opens, since its first, empty checkpoint is witnessed too.
func InitLedger(cfg Config) (LedgerKeys, error) {
	if err := cfg.Validate(); err != nil {
		return LedgerKeys{}, err
	}
	origin := "xborder.audit"
	if cfg.DID != "" {
		origin = cfg.DID
	}
	dir := filepath.Join(cfg.DataDir, "audit")
	vkey, err := audit.CreateKey(dir, auditOrigin(origin))
	if err != nil {
		return LedgerKeys{}, fmt.Errorf("node: audit ledger key: %w", err)
	}
	k := LedgerKeys{Origin: strings.SplitN(vkey, "+", 2)[0], Key: vkey}
	if cfg.Suite == "gm" {
		if k.SM2Key, err = audit.CreateSM2Key(dir, k.Origin); err != nil {
			return LedgerKeys{}, fmt.Errorf("node: audit ledger key: %w", err)
		}
	}
	return k, nil
}
