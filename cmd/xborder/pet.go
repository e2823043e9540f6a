package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/xborder/xborder/internal/pet/input"
	"github.com/xborder/xborder/internal/pet/psi"
)

// newPetCmd is the privacy-computing command group (issue 7): add each
// computation as a subcommand here.
func newPetCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pet",
		Short: "Privacy computing: joint computation without moving raw data",
		Long: `Privacy-enhancing technologies: parties compute a joint result (a set
intersection, an aggregate) while the raw data stays with its holder. See docs/pet.md.`,
	}
	cmd.AddCommand(newPetPSICmd(e))
	cmd.AddCommand(newPetAggregateCmd(e))
	cmd.AddCommand(newPetBudgetCmd(e))
	cmd.AddCommand(newPetJoinCmd(e), newPetTaskCmd(e), newPetTasksCmd(e), newPetReportCmd(e))
	return cmd
}

func newPetPSICmd(e *env) *cobra.Command {
	var (
		local       bool
		key         string
		format      string
		output      string
		cardinality bool
		sumCol      string
		outFile     string
		session     string
		batch       int
		group       string
		nf          nodeFlags
		agreement   string
		peer        string
		purpose     string
		minInter    int64
	)
	cmd := &cobra.Command{
		Use:   "psi (--local A.csv B.csv | --node URL --agreement ID --peer DID MINE.csv) --key COLUMN",
		Short: "Private set intersection (ECDH over ristretto255 or X25519) of two CSV files' key columns",
		Long: `Computes the intersection of the key column of A.csv and B.csv by ECDH-PSI:
neither party sees the other's keys, only the agreed output. With --local both
parties run in this process (for trying and testing). With --node, your node
and the counterparty's node run it between them under your agreement (the
twelve T/CCSA 540 task interfaces, a signed ECDHE channel between the nodes):
MINE.csv goes to your node only, you learn the result (a), and the other
party's operator contributes theirs with xborder pet join.

  --output a|b|both   who learns the result (default a)
  --cardinality       the size of the intersection only, not which keys
  --sum COLUMN        the size and the sum of B's COLUMN over the intersection
                      (non-negative integers, total below 2^32; B learns the sum too)
  --out FILE          write the intersection keys, one per line (not with
                      --cardinality or --sum)
  --group G           ristretto255 (default) or x25519 (about 1.3x faster;
                      both parties must use the same; see docs/pet.md)

Exit codes: 0 done, 2 bad input (flags, unreadable file, missing column), 1 failure.`,
		Example: `  xborder pet psi --local A.csv B.csv --key id --format json
  xborder pet psi --local A.csv B.csv --key id --cardinality
  xborder pet psi --local A.csv B.csv --key id --sum amount --output both
  xborder pet psi --node http://127.0.0.1:8444 --agreement urn:uuid:… --peer did:web:hospital.example.cn trial.csv --key patient_id --cardinality`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case local && nf.node != "":
				return badInput(errors.New("--local and --node"), "pick one: --local (both parties here) or --node (your node and the other party's)")
			case !local && nf.node == "" && e.getenv("XBORDER_NODE") == "":
				return badInput(errors.New("give --local (both parties here) or --node (between your node and the other party's)"), "")
			}
			if !local {
				if len(args) != 1 {
					return badInput(errors.New("with --node, give your own file only"), "the other party contributes theirs with xborder pet join")
				}
				if format != "json" && format != "text" {
					return badInput(fmt.Errorf("unknown format %q", format), "use --format json or --format text")
				}
				mode := "intersection"
				switch {
				case cardinality && sumCol != "":
					return badInput(errors.New("--cardinality and --sum"), "pick one")
				case cardinality:
					mode = "cardinality"
				case sumCol != "":
					mode = "sum"
				}
				if output != "a" && output != "both" {
					return badInput(fmt.Errorf("--output %s with --node", output), "with --node you are party a, who learns: use --output a or both")
				}
				return runNodePSI(cmd, e, &nf, args[0], key, agreement, peer, purpose, mode, sumCol, output, minInter, mode == "intersection", format)
			}
			if len(args) != 2 {
				return badInput(errors.New("--local needs both files"), "xborder pet psi --local A.csv B.csv --key id")
			}
			if format != "json" && format != "text" {
				return badInput(fmt.Errorf("unknown format %q", format), "use --format json or --format text")
			}
			g, err := psi.ParseGroup(group)
			if err != nil {
				return badInput(err, "use --group ristretto255 or --group x25519")
			}
			c := psi.Config{Session: session, Mode: psi.ModeIntersection, Group: g, BatchSize: batch}
			if cardinality {
				c.Mode = psi.ModeCardinality
			}
			if sumCol != "" {
				c.Mode = psi.ModeSum
			}
			switch output {
			case "a":
			case "both":
				c.RevealToB = true
			case "b":
				if c.Mode == psi.ModeSum {
					return badInput(errors.New("--sum with --output b"), "with --sum, A learns the size and the sum and B learns the sum: use --output a or both")
				}
			default:
				return badInput(fmt.Errorf("unknown output %q", output), "use --output a, b or both")
			}
			if outFile != "" && c.Mode != psi.ModeIntersection {
				return badInput(errors.New("--out writes the intersection, which --cardinality and --sum do not reveal"), "drop --out")
			}
			if batch < 0 || batch > psi.MaxBatch {
				return badInput(fmt.Errorf("--batch must be 1 to %d", psi.MaxBatch), "")
			}
			aKeys, _, err := readPSICSV(args[0], key, "")
			if err != nil {
				return err
			}
			bKeys, bVals, err := readPSICSV(args[1], key, sumCol)
			if err != nil {
				return err
			}
			if e.stderrIsTerminal {
				c.Progress = psiProgress(e)
			}
			start := e.now()
			// --output b: B.csv plays the protocol's party A, the one that learns.
			pa, pb := aKeys, bKeys
			if output == "b" {
				pa, pb = bKeys, aKeys
			}
			ra, rb, err := psi.RunLocal(cmd.Context(), c, pa, pb, bVals)
			if e.stderrIsTerminal {
				fmt.Fprintln(e.stderr)
			}
			if errors.Is(err, psi.ErrSumRange) || errors.Is(err, psi.ErrDuplicateValues) {
				return badInput(err, "")
			}
			if err != nil {
				return failure(err)
			}
			if output == "b" {
				ra, rb = rb, ra
			}
			// learner is the party that computed the result.
			learner := ra
			if output == "b" {
				learner = rb
			}
			rep := psiReport{
				Session: session, Mode: c.Mode.String(), Group: c.Group.String(), Output: output, TagBits: psi.TagLen * 8,
				ASize: ra.OwnSize, BSize: rb.OwnSize, ADuplicates: ra.Dups, BDuplicates: rb.Dups,
				IntersectionSize: learner.Size,
				Seconds:          e.now().Sub(start).Seconds(),
			}
			if c.Mode == psi.ModeSum {
				s := learner.Sum
				rep.Sum = &s
			}
			if outFile != "" {
				if err := os.WriteFile(outFile, []byte(joinLines(learner.Keys)), 0o600); err != nil {
					return failure(err)
				}
				rep.KeysFile = outFile
			}
			if format == "json" {
				b, _ := json.MarshalIndent(rep, "", "  ")
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			fmt.Fprintf(e.stdout, "PSI (%s, %s, session %s): A %d keys, B %d keys, intersection %d\n", rep.Mode, rep.Group, session, rep.ASize, rep.BSize, rep.IntersectionSize)
			if rep.Sum != nil {
				fmt.Fprintf(e.stdout, "sum of %s over the intersection: %d\n", sumCol, *rep.Sum)
			}
			if rep.KeysFile != "" {
				fmt.Fprintf(e.stdout, "intersection keys written to %s\n", rep.KeysFile)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&local, "local", false, "run both parties in this process")
	f.StringVar(&key, "key", "", "name of the key column (both files)")
	f.StringVar(&format, "format", "json", "json or text")
	f.StringVar(&output, "output", "a", "who learns the result: a, b or both")
	f.BoolVar(&cardinality, "cardinality", false, "reveal the size of the intersection only")
	f.StringVar(&sumCol, "sum", "", "sum this column of B.csv over the intersection")
	f.StringVar(&outFile, "out", "", "write the intersection keys to this file")
	f.StringVar(&session, "session", "local", "session (agreement) id bound into the protocol")
	f.IntVar(&batch, "batch", 4096, "items per message")
	f.StringVar(&group, "group", "ristretto255", "group of the masking: ristretto255 or x25519")
	nf.register(cmd)
	f.StringVar(&agreement, "agreement", "", "with --node: the agreement with the other party")
	f.StringVar(&peer, "peer", "", "with --node: the other party's DID")
	f.StringVar(&purpose, "purpose", "", "with --node: the purpose declared for the task (checked against the agreement)")
	f.Int64Var(&minInter, "min-intersection", 0, "with --node: the smallest intersection the review may release")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

type psiReport struct {
	Session          string  `json:"session"`
	Mode             string  `json:"mode"`
	Group            string  `json:"group"`
	Output           string  `json:"output"`
	ASize            int     `json:"a_size"`
	BSize            int     `json:"b_size"`
	ADuplicates      int     `json:"a_duplicates"`
	BDuplicates      int     `json:"b_duplicates"`
	IntersectionSize int     `json:"intersection_size"`
	Sum              *uint64 `json:"sum,omitempty"`
	KeysFile         string  `json:"keys_file,omitempty"`
	TagBits          int     `json:"tag_bits"`
	Seconds          float64 `json:"seconds"`
}

func joinLines(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return strings.Join(keys, "\n") + "\n"
}

// readPSICSV reads the key column (and the value column, if named) of a CSV
// file with a header row (internal/pet/input); cells are trimmed.
func readPSICSV(path, key, valCol string) ([]string, []uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, badInput(err, "")
	}
	defer f.Close()
	k, err := input.ReadKeys(f, key, valCol, 0)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("%s: %w", path, err), "")
	}
	return k.Keys, k.Values, nil
}

// psiProgress redraws one status line on stderr at most every 200 ms.
func psiProgress(e *env) func(psi.Progress) {
	var mu sync.Mutex
	var last time.Time
	return func(p psi.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if t := e.now(); t.Sub(last) >= 200*time.Millisecond {
			last = t
			if p.Total > 0 {
				fmt.Fprintf(e.stderr, "\rpsi: %s %s %d/%d   ", p.Party, p.Stage, p.Done, p.Total)
			} else {
				fmt.Fprintf(e.stderr, "\rpsi: %s %s %d   ", p.Party, p.Stage, p.Done)
			}
		}
	}
}
