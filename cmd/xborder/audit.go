package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/tsa"
	"github.com/xborder/xborder/internal/witness"
)

// The audit ledger lives in DATA_DIR/audit. Optional files there:
//
//	witnesses.policy  k-of-n witness policy (tessera/Sigsum policy text): every
//	                  checkpoint is cosigned before it is published
//	tsa/              a local RFC 3161 authority made by `audit init --local-tsa`;
//	                  checkpoints are timestamped with it
const (
	auditSubdir      = "audit"
	witnessPolicy    = "witnesses.policy"
	localTSASubdir   = "tsa"
	maxEventFileSize = 64 << 10
	maxPackFileSize  = 512 << 20
)

// quietTessera silences tessera's klog output (tessera reports through
// klog to stderr), so that commands print only what they mean to; the
// ledger's own warnings and errors still go through slog.
func quietTessera() {
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
}

func auditDir(e *env, flag string) string { return filepath.Join(dataDir(e, flag), auditSubdir) }

// openAuditLog opens DATA_DIR/audit with its configured witnesses and TSA.
func openAuditLog(e *env, dir string, origin string) (*audit.Log, error) {
	quietTessera()
	opts := audit.Options{Origin: origin, Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if b, err := os.ReadFile(filepath.Join(dir, witnessPolicy)); err == nil {
		p, err := witness.ParsePolicy(b)
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", filepath.Join(dir, witnessPolicy), err), "fix the policy or remove the file to publish without witnesses")
		}
		opts.Witnesses = p
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, failure(err)
	}
	if ts, _, err := loadLocalTSA(dir); err != nil {
		return nil, failure(err)
	} else if ts != nil {
		opts.Timestamper = ts
	}
	l, err := audit.Open(dir, opts)
	if err != nil {
		return nil, failure(err)
	}
	return l, nil
}

// loadLocalTSA returns the in-process local TSA of dir, if one was made.
func loadLocalTSA(dir string) (audit.Timestamper, *tsa.Local, error) {
	p := filepath.Join(dir, localTSASubdir)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	loc, err := tsa.LoadLocal(p)
	if err != nil {
		return nil, nil, err
	}
	a, err := tsa.NewAuthority(loc.Signer, loc.Chain, tsa.LocalPolicy, time.Now, nil)
	if err != nil {
		return nil, nil, err
	}
	return a.Client(), loc, nil
}

func closeAuditLog(ctx context.Context, l *audit.Log) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := l.Close(ctx); err != nil {
		return failure(fmt.Errorf("closing the audit log: %w", err))
	}
	return nil
}

func newAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The tamper-evident audit ledger: append, verify, query, prove, pack, witness",
		Long: `The audit ledger (DATA_DIR/audit) records every access, transfer, computation and
decision as an event (identifiers and digests only) in an append-only Merkle log
(RFC 6962 hashing, C2SP tlog-tiles and signed checkpoints). Payloads are salted
commitments kept beside the tree, so retention can prune them while the tree stays
verifiable. Witnesses in other jurisdictions cosign checkpoints; an RFC 3161 authority
timestamps them. See docs/audit.md.

Exit codes: 0 success; 1 a check failed or the environment failed; 2 bad input.`,
	}
	cmd.AddCommand(newAuditInitCmd(e), newAuditAppendCmd(e), newAuditVerifyCmd(e), newAuditQueryCmd(e),
		newAuditProofCmd(e), newAuditPackCmd(e), newAuditPruneCmd(e), newAuditWitnessCmd(e), newAuditServeCmd(e), newAuditAlertsCmd(e))
	return cmd
}

func newAuditInitCmd(e *env) *cobra.Command {
	var dir, origin, suiteName string
	var localTSA bool
	c := &cobra.Command{
		Use:   "init",
		Short: "Create the ledger's key (and optionally a local time-stamping authority); print the verifier key",
		Long: `Creates DATA_DIR/audit with the log's Ed25519 note key and prints the verifier key
that witnesses and auditors must be given. With --local-tsa, also creates a local RFC 3161
authority in DATA_DIR/audit/tsa (see docs/audit.md for its legal caveats). Running init again
prints the existing key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if suiteName != "intl" && suiteName != "gm" {
				return badInput(fmt.Errorf("--suite %q: accepted: intl, gm", suiteName), "")
			}
			d := auditDir(e, dir)
			vkey, err := audit.CreateKey(d, origin)
			if err != nil {
				return failure(err)
			}
			if suiteName == "gm" {
				sk, err := audit.CreateSM2Key(d, strings.SplitN(vkey, "+", 2)[0])
				if err != nil {
					return failure(err)
				}
				fmt.Fprintf(e.stderr, "xborder: checkpoints are also signed with SM2 (GB/T 32918); SM2 verifier key:\n%s\n", sk)
			}
			if localTSA {
				p := filepath.Join(d, localTSASubdir)
				if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
					if err := tsa.GenerateLocal(p, "xborder local TSA "+origin, e.now); err != nil {
						return failure(err)
					}
					fmt.Fprintf(e.stderr, "xborder: created a local time-stamping authority in %s (root certificate: %s)\n", p, filepath.Join(p, "root.crt"))
				}
			}
			fmt.Fprintln(e.stdout, vkey)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().StringVar(&origin, "origin", "xborder.audit", "checkpoint origin (log name) for a new ledger, e.g. audit.example.cn/node1")
	c.Flags().BoolVar(&localTSA, "local-tsa", false, "also create a local RFC 3161 time-stamping authority")
	c.Flags().StringVar(&suiteName, "suite", "intl", "intl (Ed25519 checkpoints) or gm (Ed25519 and SM2 signatures on every checkpoint)")
	return c
}

func newAuditAppendCmd(e *env) *cobra.Command {
	var dir, file, origin string
	c := &cobra.Command{
		Use:   "append --event FILE.json",
		Short: "Append one event (operator and integration use); prints its index",
		Long: `Reads one event as JSON ("-" for stdin) with the fields actor, time, operation,
object_id, object_kind, result, reason, details_digest and optionally class, records, bytes
(see docs/audit.md), appends it, waits until it is durable and integrated, and prints its
log index. Unknown fields, free text and personal data are refused (exit 2, nothing appended).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return badInput(errors.New("--event is required"), "give the event file, or - for stdin")
			}
			b, err := readLimited(file, maxEventFileSize)
			if err != nil {
				return badInput(err, "")
			}
			ev, err := parseEventJSON(b)
			if err != nil {
				return badInput(fmt.Errorf("%s: %w", file, err), "see docs/audit.md for the event fields")
			}
			d := auditDir(e, dir)
			l, err := openAuditLog(e, d, origin)
			if err != nil {
				return err
			}
			a, err := l.Append(cmd.Context(), ev)
			if cerr := closeAuditLog(cmd.Context(), l); err == nil && cerr != nil {
				return cerr
			}
			if err != nil {
				return failure(err)
			}
			fmt.Fprintln(e.stdout, a.Index)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().StringVar(&file, "event", "", "event JSON file, or - for stdin")
	c.Flags().StringVar(&origin, "origin", "xborder.audit", "checkpoint origin for a new ledger")
	return c
}

// parseEventJSON decodes an event strictly and validates it.
func parseEventJSON(b []byte) (*audit.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ev audit.Event
	if err := dec.Decode(&ev); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return &ev, nil
}

func newAuditVerifyCmd(e *env) *cobra.Command {
	var dir, logKey, policyFile, rootsFile, format string
	c := &cobra.Command{
		Use:   "verify [PACK]",
		Short: "Verify the ledger in the data directory, or an evidence pack, offline",
		Long: `Without an argument, verifies DATA_DIR/audit: the signed checkpoint, every entry bundle,
every tile at every level, the root, every payload against its commitment, prune manifests
and timestamps. With PACK, verifies an evidence pack made by 'audit pack': proofs, the
checkpoint's signature and cosignatures, timestamps. Exit 0 when every check passes, 1 when
anything fails (naming the first failing entry or file), 2 on bad input.

--log-key, --witness-policy and --tsa-roots name what you trust; without them a pack is
checked against the keys it carries, which proves integrity but not who made it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("--format %q: accepted: text, json", format), "")
			}
			if len(args) == 1 {
				return verifyPackCmd(e, args[0], logKey, policyFile, rootsFile, format)
			}
			quietTessera()
			d := auditDir(e, dir)
			if _, err := os.Stat(d); err != nil {
				return badInput(fmt.Errorf("no audit ledger at %s", d), "give --data-dir, or a pack file to verify")
			}
			var rep *audit.Report
			var err error
			if logKey != "" {
				rep, err = audit.Verify(cmd.Context(), d, logKey)
			} else {
				rep, err = audit.VerifyDir(cmd.Context(), d)
			}
			if err != nil {
				return failure(err)
			}
			// The query index is derived data: check its rows against the log
			// (rebuilding it if they disagree) so queries can be trusted too.
			indexNote := "index: none"
			if _, err := os.Stat(filepath.Join(d, "index.db")); err == nil {
				x, err := audit.OpenIndex(d, nil)
				if err != nil {
					return failure(err)
				}
				rebuilt, err := x.Check(cmd.Context())
				if err == nil {
					_, err = x.Reconcile(cmd.Context())
				}
				x.Close()
				switch {
				case err != nil:
					return failure(fmt.Errorf("query index: %w", err))
				case rebuilt:
					indexNote = "index: disagreed with the log and was rebuilt"
				default:
					indexNote = "index: every row matches the log"
				}
			}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"ok": true, "index": indexNote, "origin": rep.Origin, "size": rep.Size, "root": hex.EncodeToString(rep.Root),
					"entries": rep.Entries, "pruned": rep.Pruned, "orphans": rep.Orphans, "stale_tiles": rep.StaleTiles, "segments": rep.Segments, "manifests": rep.Manifests})
			}
			fmt.Fprintf(e.stdout, "OK %s: %d entries verified (%d payloads present, %d pruned under %d signed manifests; %d segments)\nroot %x\n",
				rep.Origin, rep.Size, rep.Entries, rep.Pruned, rep.Manifests, rep.Segments, rep.Root)
			fmt.Fprintln(e.stdout, indexNote)
			if len(rep.StaleTiles) > 0 {
				fmt.Fprintf(e.stdout, "note: %d partial tiles from tree sizes never checkpointed differ from the leaves (left by a crash mid-integration; tessera replaces them): %s\n",
					len(rep.StaleTiles), strings.Join(rep.StaleTiles[:min(3, len(rep.StaleTiles))], ", "))
			}
			if rep.Orphans > 0 {
				fmt.Fprintf(e.stdout, "note: %d payload records are not (yet) in the checkpointed tree (appends interrupted by a crash, or newer than the checkpoint)\n", rep.Orphans)
			}
			return nil
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().StringVar(&logKey, "log-key", "", "trusted note verifier key of the log (default: the one in the data directory or pack)")
	c.Flags().StringVar(&policyFile, "witness-policy", "", "trusted witness policy file (packs)")
	c.Flags().StringVar(&rootsFile, "tsa-roots", "", "trusted TSA root certificates, PEM (packs)")
	c.Flags().StringVar(&format, "format", "text", "text or json")
	return c
}

func verifyPackCmd(e *env, file, logKey, policyFile, rootsFile, format string) error {
	b, err := readLimited(file, maxPackFileSize)
	if err != nil {
		return badInput(err, "")
	}
	trust := audit.PackTrust{LogKey: logKey}
	if policyFile != "" {
		pb, err := os.ReadFile(policyFile)
		if err != nil {
			return badInput(err, "")
		}
		if trust.Witnesses, err = witness.ParsePolicy(pb); err != nil {
			return badInput(err, "")
		}
	}
	if rootsFile != "" {
		rb, err := os.ReadFile(rootsFile)
		if err != nil {
			return badInput(err, "")
		}
		trust.TSARoots = x509.NewCertPool()
		if !trust.TSARoots.AppendCertsFromPEM(rb) {
			return badInput(fmt.Errorf("%s: no PEM certificates", rootsFile), "")
		}
	}
	rep, err := audit.VerifyPack(b, trust)
	if err != nil {
		return failure(err)
	}
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"ok": true, "object_id": rep.ObjectID, "size": rep.Size, "entries": rep.Entries, "pruned": rep.Pruned,
			"cosignatures": rep.Cosignatures, "timestamps": rep.Timestamps, "trusted_from_pack": rep.FromPack, "existed_by": rep.EarliestCovers})
	}
	fmt.Fprintf(e.stdout, "OK evidence pack for %s: %d entries (%d pruned) proven in a tree of %d\n", rep.ObjectID, rep.Entries, rep.Pruned, rep.Size)
	for _, c := range rep.Cosignatures {
		fmt.Fprintf(e.stdout, "cosigned by %s at %s\n", c.Name, c.Time.UTC().Format(time.RFC3339))
	}
	if !rep.EarliestCovers.IsZero() {
		fmt.Fprintf(e.stdout, "every entry existed by %s (RFC 3161)\n", rep.EarliestCovers.UTC().Format(time.RFC3339))
	}
	if len(rep.FromPack) > 0 {
		fmt.Fprintf(e.stderr, "xborder: warning: trusted the pack's own %s; pass --log-key/--witness-policy/--tsa-roots to check who made it\n", strings.Join(rep.FromPack, ", "))
	}
	return nil
}

func newAuditQueryCmd(e *env) *cobra.Command {
	var dir, actor, object, op, result, class, since, until, format string
	var after int64
	var limit int
	c := &cobra.Command{
		Use:   "query",
		Short: "Query the ledger by actor, object, operation, result, class and time",
		Long: `Brings the query index up to the latest signed checkpoint (rebuilding it if it disagrees
with the log) and lists matching entries in log order. Page with --after INDEX.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return badInput(fmt.Errorf("--format %q: accepted: text, json", format), "")
			}
			q := audit.Query{Actor: actor, ObjectID: object, Operation: audit.Operation(op), Result: audit.Result(result), Class: audit.Class(class), Limit: limit}
			if after >= 0 {
				q.After, q.AfterSet = after, true
			}
			for _, t := range []struct {
				s   string
				dst *time.Time
				f   string
			}{{since, &q.From, "--since"}, {until, &q.To, "--until"}} {
				if t.s == "" {
					continue
				}
				v, err := time.Parse(time.RFC3339, t.s)
				if err != nil {
					return badInput(fmt.Errorf("%s %q: %w", t.f, t.s, err), "use RFC 3339, e.g. 2026-11-27T00:00:00Z")
				}
				*t.dst = v
			}
			if limit < 0 || limit > 10_000 {
				return badInput(fmt.Errorf("--limit %d: out of range 1..10000", limit), "")
			}
			quietTessera()
			d := auditDir(e, dir)
			x, err := audit.OpenIndex(d, nil)
			if err != nil {
				return failure(err)
			}
			defer x.Close()
			if _, err := x.Reconcile(cmd.Context()); err != nil {
				return failure(err)
			}
			hits, err := x.Query(cmd.Context(), q)
			if err != nil {
				return failure(err)
			}
			if format == "json" {
				if hits == nil {
					hits = []audit.Hit{}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(hits)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "INDEX\tTIME\tACTOR\tOPERATION\tOBJECT\tRESULT\tREASON\tCLASS")
			for _, h := range hits {
				if h.Event == nil {
					fmt.Fprintf(tw, "%d\t-\t-\t-\t-\t-\t%s\t-\n", h.Index, h.Status)
					continue
				}
				ev := h.Event
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Index, ev.Time.Format(time.RFC3339), ev.Actor, ev.Operation, ev.ObjectID, ev.Result, dash(ev.Reason), ev.EffectiveClass())
			}
			return tw.Flush()
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	f.StringVar(&actor, "actor", "", "actor DID")
	f.StringVar(&object, "object", "", "object identifier (dataset, agreement, transfer, task)")
	f.StringVar(&op, "operation", "", "operation (access, download, transfer, compute, policy_decision, negotiation, resolution, key_use, admin_change, alert)")
	f.StringVar(&result, "result", "", "allow, deny, success or failure")
	f.StringVar(&class, "class", "", "general, personal, sensitive, important or core")
	f.StringVar(&since, "since", "", "event time from (RFC 3339, inclusive)")
	f.StringVar(&until, "until", "", "event time to (RFC 3339, exclusive)")
	f.Int64Var(&after, "after", -1, "only entries with a larger index (paging cursor)")
	f.IntVar(&limit, "limit", 100, "at most this many entries (≤ 10000)")
	f.StringVar(&format, "format", "text", "text or json")
	return c
}

func newAuditProofCmd(e *env) *cobra.Command {
	var dir, consistency string
	var index int64
	c := &cobra.Command{
		Use:   "proof (--index N | --consistency OLD[:NEW])",
		Short: "Print an entry's tlog-proof, or a consistency proof between two tree sizes",
		Long: `--index N prints a C2SP tlog-proof (c2sp.org/tlog-proof@v1) for entry N against the latest
checkpoint: the inclusion proof, the checkpoint with its cosignatures, and the salted event as
extra data (omitted when pruned). --consistency OLD[:NEW] prints the RFC 6962 consistency proof
from tree size OLD to NEW (default: the latest checkpoint), one base64 hash per line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			quietTessera()
			d := auditDir(e, dir)
			vb, err := os.ReadFile(filepath.Join(d, "log.pub"))
			if err != nil {
				return badInput(fmt.Errorf("no audit ledger at %s: %w", d, err), "")
			}
			cp, raw, err := audit.ReadCheckpoint(d, strings.TrimSpace(string(vb)))
			if err != nil {
				return failure(err)
			}
			switch {
			case consistency != "" && index < 0:
				o, n, _ := strings.Cut(consistency, ":")
				old, err := strconv.ParseUint(o, 10, 64)
				if err != nil {
					return badInput(fmt.Errorf("--consistency %q: %w", consistency, err), "")
				}
				nw := cp.Size
				if n != "" {
					if nw, err = strconv.ParseUint(n, 10, 64); err != nil {
						return badInput(fmt.Errorf("--consistency %q: %w", consistency, err), "")
					}
				}
				if old > nw || nw > cp.Size {
					return badInput(fmt.Errorf("--consistency %d:%d: sizes must satisfy OLD ≤ NEW ≤ %d (the checkpoint)", old, nw, cp.Size), "")
				}
				p, err := audit.ConsistencyProof(cmd.Context(), d, old, nw)
				if err != nil {
					return failure(err)
				}
				for _, h := range p {
					fmt.Fprintln(e.stdout, b64(h))
				}
				return nil
			case index >= 0 && consistency == "":
				if uint64(index) >= cp.Size {
					return badInput(fmt.Errorf("--index %d: the latest checkpoint covers entries 0..%d", index, int64(cp.Size)-1), "")
				}
				p, err := audit.InclusionProof(cmd.Context(), d, uint64(index), cp.Size)
				if err != nil {
					return failure(err)
				}
				c, err := audit.LeafAt(d, uint64(index), cp.Size)
				if err != nil {
					return failure(err)
				}
				tp := audit.TlogProof{Index: uint64(index), Proof: p, Checkpoint: raw}
				x, err := audit.OpenIndex(d, nil)
				if err != nil {
					return failure(err)
				}
				defer x.Close()
				if _, err := x.Reconcile(cmd.Context()); err != nil {
					return failure(err)
				}
				if loc, ok, err := x.Locate(cmd.Context(), uint64(index)); err != nil {
					return failure(err)
				} else if ok {
					salt, ev, err := audit.ReadPayloadAt(d, loc, c)
					if err != nil {
						return failure(err)
					}
					canon, _ := ev.Canonical()
					tp.Extra = append(append([]byte{}, salt...), canon...)
				}
				_, err = e.stdout.Write(tp.Marshal())
				return err
			default:
				return badInput(errors.New("give exactly one of --index and --consistency"), "")
			}
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().Int64Var(&index, "index", -1, "entry index")
	c.Flags().StringVar(&consistency, "consistency", "", "OLD[:NEW] tree sizes")
	return c
}

func newAuditPackCmd(e *env) *cobra.Command {
	var dir, object, out string
	c := &cobra.Command{
		Use:   "pack --object ID",
		Short: "Build an evidence pack (证据链) for a dataset, agreement, transfer or task",
		Long: `Gathers every entry about the object, each with its tlog-proof against the latest
checkpoint (and its witness cosignatures), the timestamped checkpoints with consistency proofs,
the log and witness keys and the TSA roots, into one JSON file that 'xborder audit verify PACK'
checks offline.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if object == "" {
				return badInput(errors.New("--object is required"), "e.g. --object urn:xborder:agreement:…")
			}
			quietTessera()
			d := auditDir(e, dir)
			if _, err := os.Stat(filepath.Join(d, "log.pub")); err != nil {
				return badInput(fmt.Errorf("no audit ledger at %s", d), "")
			}
			opts := audit.PackOptions{Now: e.now}
			if b, err := os.ReadFile(filepath.Join(d, witnessPolicy)); err == nil {
				if opts.Witnesses, err = witness.ParsePolicy(b); err != nil {
					return badInput(err, "")
				}
			}
			if _, loc, err := loadLocalTSA(d); err != nil {
				return failure(err)
			} else if loc != nil {
				opts.TSARoots = []*x509.Certificate{loc.Root}
			}
			p, err := audit.BuildPack(cmd.Context(), d, object, opts)
			if err != nil {
				return failure(err)
			}
			if len(p.Entries) == 0 {
				return badInput(fmt.Errorf("no entries about %s in the checkpointed log", object), "check the identifier with 'xborder audit query'")
			}
			b, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return failure(err)
			}
			b = append(b, '\n')
			if out == "" || out == "-" {
				_, err = e.stdout.Write(b)
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return failure(err)
			}
			fmt.Fprintf(e.stderr, "xborder: wrote %s: %d entries, %d timestamps\n", out, len(p.Entries), len(p.Timestamps))
			return nil
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().StringVar(&object, "object", "", "object identifier")
	c.Flags().StringVarP(&out, "out", "o", "", "output file (default stdout)")
	return c
}

func newAuditPruneCmd(e *env) *cobra.Command {
	var dir, actor, retention, at string
	c := &cobra.Command{
		Use:   "prune --actor DID",
		Short: "Apply retention: delete expired payload segments, recording each in a signed manifest and an audit event",
		Long: `Retention is per sensitivity class in calendar months (default general=6,
personal=36, sensitive=36, important=36, core=0 meaning never; override with
--retention general=12,sensitive=60). Pruned payloads are gone; their commitments stay in the
tree, so the log still verifies and proofs of the entries' existence remain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !strings.HasPrefix(actor, "did:") {
				return badInput(errors.New("--actor must be the DID of whoever runs the prune"), "")
			}
			policy := audit.DefaultRetention()
			if retention != "" {
				for _, kv := range strings.Split(retention, ",") {
					k, v, ok := strings.Cut(kv, "=")
					m, err := strconv.Atoi(v)
					if !ok || err != nil {
						return badInput(fmt.Errorf("--retention %q: want class=months,…", retention), "")
					}
					policy[audit.Class(k)] = m
				}
			}
			if err := policy.Validate(); err != nil {
				return badInput(err, "")
			}
			now := e.now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return badInput(fmt.Errorf("--now %q: %w", at, err), "")
				}
				now = t
			}
			l, err := openAuditLog(e, auditDir(e, dir), "xborder.audit")
			if err != nil {
				return err
			}
			pr, err := l.Prune(cmd.Context(), actor, policy, now)
			if cerr := closeAuditLog(cmd.Context(), l); err == nil && cerr != nil {
				return cerr
			}
			if err != nil {
				return failure(err)
			}
			for _, p := range pr {
				fmt.Fprintf(e.stdout, "pruned %s: %d payloads (manifest %s, recorded as entry %d)\n", p.Segment, p.Records, p.Manifest, p.Index)
			}
			if len(pr) == 0 {
				fmt.Fprintln(e.stdout, "nothing to prune")
			}
			return nil
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().StringVar(&actor, "actor", "", "DID of the operator running the prune (recorded)")
	c.Flags().StringVar(&retention, "retention", "", "class=months overrides, comma separated")
	c.Flags().StringVar(&at, "now", "", "evaluate retention as of this time (RFC 3339), for planning")
	return c
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func newAuditWitnessCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "witness",
		Short: "Run a C2SP witness that cosigns other nodes' audit checkpoints (审计互信)",
		Long: `A witness (the counterpart abroad, the data space operator, a regulator) keeps the
latest checkpoint of each log it watches and cosigns a new one only after checking it is
consistent with the last (C2SP tlog-witness, tlog-cosignature). A node lists its witnesses
in DATA_DIR/audit/witnesses.policy and publishes only checkpoints k of them cosigned.`,
	}
	var dir, name, listen, prefix string
	var logs []string
	initCmd := &cobra.Command{
		Use:   "init --dir DIR --name NAME",
		Short: "Create a witness key; print its cosignature verifier key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" || name == "" {
				return badInput(errors.New("--dir and --name are required"), "e.g. --name witness.example.nl")
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return failure(err)
			}
			kp := filepath.Join(dir, "witness.key")
			if cs, err := witness.LoadKeyFile(kp); err == nil {
				fmt.Fprintln(e.stdout, cs.VerifierKey())
				return nil
			}
			skey, _, err := witness.GenerateKey(rand.Reader, name)
			if err != nil {
				return badInput(err, "the name must be a valid note key name (no spaces or '+')")
			}
			if err := witness.WriteKeyFile(kp, skey); err != nil {
				return failure(err)
			}
			cs, err := witness.LoadKeyFile(kp)
			if err != nil {
				return failure(err)
			}
			fmt.Fprintln(e.stdout, cs.VerifierKey())
			return nil
		},
	}
	initCmd.Flags().StringVar(&dir, "dir", "", "witness state directory")
	initCmd.Flags().StringVar(&name, "name", "", "witness name (note key name)")
	serve := &cobra.Command{
		Use:   "serve --dir DIR --log VKEY [--log VKEY…]",
		Short: "Serve POST <prefix>/add-checkpoint for the listed logs until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" || len(logs) == 0 {
				return badInput(errors.New("--dir and at least one --log are required"), "--log takes a log's verifier key as printed by 'xborder audit init'")
			}
			cs, err := witness.LoadKeyFile(filepath.Join(dir, "witness.key"))
			if err != nil {
				return badInput(err, "run 'xborder audit witness init' first")
			}
			var known []witness.KnownLog
			for _, k := range logs {
				origin, _, ok := strings.Cut(k, "+")
				if !ok {
					return badInput(fmt.Errorf("--log %q is not a note verifier key", k), "")
				}
				known = append(known, witness.KnownLog{Origin: origin, VerifierKey: k})
			}
			logger := slog.New(slog.NewTextHandler(e.stderr, nil))
			w, err := witness.New(witness.Config{Dir: dir, Cosigner: cs, Logs: known, Logger: logger})
			if err != nil {
				return badInput(err, "")
			}
			defer w.Close()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return failure(err)
			}
			srv := &http.Server{Handler: w.Handler(prefix), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
			fmt.Fprintf(e.stderr, "xborder: witness %s listening on http://%s%s/add-checkpoint\n", cs.Name(), ln.Addr(), prefix)
			return serveUntilDone(cmd.Context(), srv, ln)
		},
	}
	serve.Flags().StringVar(&dir, "dir", "", "witness state directory")
	serve.Flags().StringVar(&listen, "listen", "127.0.0.1:7380", "address to listen on")
	serve.Flags().StringVar(&prefix, "prefix", "", "URL path prefix")
	serve.Flags().StringArrayVar(&logs, "log", nil, "verifier key of a log to witness (repeatable)")
	cmd.AddCommand(initCmd, serve)
	return cmd
}

func newAuditServeCmd(e *env) *cobra.Command {
	var dir, listen string
	c := &cobra.Command{
		Use:   "serve [--listen 127.0.0.1:7381]",
		Short: "Serve the ledger's read API: tlog-tiles (checkpoint, tiles, bundles) and proofs",
		Long: `Serves DATA_DIR/audit read-only over HTTP, the way C2SP tlog-tiles clients expect:
GET /checkpoint, /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>], and proofs built from the
tiles: GET /proof/inclusion?index=N (a tlog-proof) and /proof/consistency?old=M[&new=N].
Entries are salted commitments, so nothing about the events is disclosed. It only reads files,
so it can run beside the process that appends.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d := auditDir(e, dir)
			h, err := audit.Handler(d)
			if err != nil {
				return badInput(fmt.Errorf("no audit ledger at %s: %w", d, err), "run 'xborder audit init' first")
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return failure(err)
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second}
			fmt.Fprintf(e.stderr, "xborder: audit read API on http://%s/checkpoint\n", ln.Addr())
			return serveUntilDone(cmd.Context(), srv, ln)
		},
	}
	c.Flags().StringVar(&dir, "data-dir", "", "data directory (default $XBORDER_DATA_DIR or ~/.xborder)")
	c.Flags().StringVar(&listen, "listen", "127.0.0.1:7381", "address to listen on")
	return c
}

// serveUntilDone serves srv on ln until ctx is done, then shuts it down
// gracefully (5 s for requests in flight).
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failure(err)
	}
	return nil
}
