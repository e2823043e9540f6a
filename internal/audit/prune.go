package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/atomicfile"
	"golang.org/x/mod/sumdb/note"
)

// Retention.
//
// Payloads are kept per sensitivity class for a number of calendar months
// counted from the end of the UTC day their segment was written; a class
// with 0 months is kept for ever. Pruning deletes a whole segment, after
//
//  1. writing payloads/pruned/<class>-<segment>.commitments: the sorted
//     32-byte commitments the segment held;
//  2. writing payloads/pruned/<class>-<segment>.prune: a C2SP signed note,
//     signed with the log key, naming the segment, its record count, the
//     SHA-256 of the commitments file, the retention applied and the time;
//  3. appending an admin_change audit event (object the segment, reason
//     retention_prune, details digest the SHA-256 of the manifest note), so
//     the pruning itself is in the tamper-evident log.
//
// Verify accepts a missing payload only if a manifest signed with the log key
// lists its commitment: a payload deleted any other way is a failure.
const (
	prunedDir      = "pruned"
	manifestHeader = "xborder.audit/prune/v1"
)

// RetentionPolicy maps each class to a retention in calendar months (0 = keep for ever).
type RetentionPolicy map[Class]int

// DefaultRetention follows the floors the seed cites (§2.5.2.2): network logs
// at least six months (PRC Cybersecurity Law Art. 21), three years for
// personal, sensitive and important data (PIPL Art. 56 keeps processing
// records three years); core data is never pruned by default.
func DefaultRetention() RetentionPolicy {
	return RetentionPolicy{ClassGeneral: 6, ClassPersonal: 36, ClassSensitive: 36, ClassImportant: 36, ClassCore: 0}
}

// Validate checks every class is known and every retention is within 0..1200 months.
func (p RetentionPolicy) Validate() error {
	for c, m := range p {
		if !validClasses[c] {
			return fmt.Errorf("audit: retention: unknown class %q", c)
		}
		if m < 0 || m > 1200 {
			return fmt.Errorf("audit: retention: class %s: %d months out of range 0..1200", c, m)
		}
	}
	return nil
}

// Pruned describes one pruned segment.
type Pruned struct {
	Class    Class
	Segment  string // relative to payloads/
	Records  int
	Manifest string // relative to the data directory
	Index    uint64 // log index of the admin_change event recording it
}

// Prune deletes payload segments older than the policy allows as of now,
// recording each in a signed manifest and an audit event (actor is the DID
// of whoever runs it). Segments not yet expired, and the segment currently
// written to, are kept.
func (l *Log) Prune(ctx context.Context, actor string, policy RetentionPolicy, now time.Time) ([]Pruned, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	root := filepath.Join(l.dir, payloadDir)
	var out []Pruned
	for _, c := range slices.Sorted(maps.Keys(policy)) {
		months := policy[c]
		if months == 0 {
			continue
		}
		names, err := segmentNames(root, c)
		if err != nil {
			return out, fmt.Errorf("audit: prune: %w", err)
		}
		for _, name := range names {
			day, _, ok := parseSegName(name)
			if !ok {
				continue
			}
			d, err := time.Parse("20060102", day)
			if err != nil {
				continue
			}
			if now.Before(d.AddDate(0, months, 1)) {
				continue
			}
			p, err := l.pruneSegment(ctx, actor, c, name, months, now)
			if err != nil {
				return out, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func (l *Log) pruneSegment(ctx context.Context, actor string, c Class, name string, months int, now time.Time) (Pruned, error) {
	if err := identifier("actor", actor, MaxActorLen); err != nil || !strings.HasPrefix(actor, "did:") {
		return Pruned{}, fmt.Errorf("audit: prune: actor %q is not a DID", actor)
	}
	root := filepath.Join(l.dir, payloadDir)
	segPath := filepath.Join(root, filepath.FromSlash(name))
	l.payloads.seal(name)
	var commits [][32]byte
	if _, err := scanSegment(segPath, func(_ Location, cm [32]byte, _ []byte) error {
		commits = append(commits, cm)
		return nil
	}); err != nil {
		return Pruned{}, fmt.Errorf("audit: prune %s: segment does not verify, not pruning: %w", name, err)
	}
	slices.SortFunc(commits, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	list := make([]byte, 0, 32*len(commits))
	for _, cm := range commits {
		list = append(list, cm[:]...)
	}
	base := strings.ReplaceAll(strings.TrimSuffix(name, segSuffix), "/", "-")
	pdir := filepath.Join(root, prunedDir)
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return Pruned{}, fmt.Errorf("audit: prune: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(pdir, base+".commitments"), list, 0o644); err != nil {
		return Pruned{}, fmt.Errorf("audit: prune: %w", err)
	}
	sum := sha256.Sum256(list)
	text := fmt.Sprintf("%s\nsegment %s\nrecords %d\ncommitments sha256:%x\nretention-months %d\npruned-at %s\nactor %s\n",
		manifestHeader, name, len(commits), sum, months, now.UTC().Format(time.RFC3339), actor)
	signed, err := note.Sign(&note.Note{Text: text}, l.signer)
	if err != nil {
		return Pruned{}, fmt.Errorf("audit: prune: sign manifest: %w", err)
	}
	mrel := filepath.Join(payloadDir, prunedDir, base+".prune")
	if err := atomicfile.WriteFile(filepath.Join(l.dir, mrel), signed, 0o644); err != nil {
		return Pruned{}, fmt.Errorf("audit: prune: %w", err)
	}
	ms := sha256.Sum256(signed)
	a, err := l.Append(ctx, &Event{
		Actor: actor, Time: now.UTC(), Operation: OpAdminChange, ObjectID: "urn:xborder:audit-segment:" + name,
		ObjectKind: KindAuditLog, Result: ResultSuccess, Reason: "retention_prune",
		DetailsDigest: "sha256:" + hex.EncodeToString(ms[:]), Records: uint64(len(commits)),
	})
	if err != nil {
		return Pruned{}, fmt.Errorf("audit: prune %s: recording the prune: %w", name, err)
	}
	if err := os.Remove(segPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Pruned{}, fmt.Errorf("audit: prune: %w", err)
	}
	if err := syncDir(filepath.Dir(segPath)); err != nil {
		return Pruned{}, fmt.Errorf("audit: prune: %w", err)
	}
	l.opts.Logger.Info("audit: pruned payload segment", "segment", name, "records", len(commits), "entry", a.Index)
	return Pruned{Class: c, Segment: name, Records: len(commits), Manifest: mrel, Index: a.Index}, nil
}

// loadPruneManifests reads every prune manifest, checks its signature with
// the log key and its commitments file, and returns the pruned commitments.
func loadPruneManifests(dir string, v note.Verifier) (map[[32]byte]bool, int, error) {
	pdir := filepath.Join(dir, payloadDir, prunedDir)
	ents, err := os.ReadDir(pdir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, &VerifyError{Entry: -1, What: "prune manifest", File: filepath.Join(payloadDir, prunedDir), Err: err}
	}
	out := map[[32]byte]bool{}
	n := 0
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".prune") {
			continue
		}
		rel := filepath.Join(payloadDir, prunedDir, e.Name())
		fail := func(err error) (map[[32]byte]bool, int, error) {
			return nil, 0, &VerifyError{Entry: -1, What: "prune manifest", File: rel, Err: err}
		}
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return fail(err)
		}
		m, err := note.Open(b, note.VerifierList(v))
		if err != nil {
			return fail(fmt.Errorf("not signed with the log key: %w", err))
		}
		if err := strictNote(b, v); err != nil {
			return fail(err)
		}
		f, err := parseManifest(m.Text)
		if err != nil {
			return fail(err)
		}
		crel := filepath.Join(payloadDir, prunedDir, strings.TrimSuffix(e.Name(), ".prune")+".commitments")
		list, err := os.ReadFile(filepath.Join(dir, crel))
		if err != nil {
			return nil, 0, &VerifyError{Entry: -1, What: "prune manifest", File: crel, Err: err}
		}
		if s := sha256.Sum256(list); "sha256:"+hex.EncodeToString(s[:]) != f["commitments"] {
			return nil, 0, &VerifyError{Entry: -1, What: "prune manifest", File: crel, Err: errors.New("commitments file does not match its signed manifest")}
		}
		if strconv.Itoa(len(list)/32) != f["records"] || len(list)%32 != 0 {
			return nil, 0, &VerifyError{Entry: -1, What: "prune manifest", File: crel, Err: errors.New("commitment count does not match the manifest")}
		}
		for i := 0; i < len(list); i += 32 {
			out[[32]byte(list[i:i+32])] = true
		}
		n++
	}
	return out, n, nil
}

func parseManifest(text string) (map[string]string, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != manifestHeader {
		return nil, fmt.Errorf("not a %s manifest", manifestHeader)
	}
	f := map[string]string{}
	for _, ln := range lines[1:] {
		k, v, ok := strings.Cut(ln, " ")
		if !ok || f[k] != "" {
			return nil, fmt.Errorf("malformed manifest line %q", ln)
		}
		f[k] = v
	}
	for _, k := range []string{"segment", "records", "commitments", "retention-months", "pruned-at", "actor"} {
		if f[k] == "" {
			return nil, fmt.Errorf("manifest lacks %q", k)
		}
	}
	return f, nil
}

// finishPrunes completes prunes interrupted by a crash: a segment whose
// signed manifest exists was decided; its audit event is appended if the log
// lacks it, then the segment is removed.
func (l *Log) finishPrunes(ctx context.Context) error {
	pdir := filepath.Join(l.dir, payloadDir, prunedDir)
	ents, err := os.ReadDir(pdir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: prune recovery: %w", err)
	}
	for _, e := range ents {
		base, ok := strings.CutSuffix(e.Name(), ".prune")
		if !ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(pdir, e.Name()))
		if err != nil {
			return fmt.Errorf("audit: prune recovery: %w", err)
		}
		m, err := note.Open(b, note.VerifierList(l.verifier))
		if err != nil {
			return fmt.Errorf("audit: prune recovery: %s: %w", e.Name(), err)
		}
		f, err := parseManifest(m.Text)
		if err != nil {
			return fmt.Errorf("audit: prune recovery: %s: %w", e.Name(), err)
		}
		name := f["segment"]
		if strings.ReplaceAll(strings.TrimSuffix(name, segSuffix), "/", "-") != base {
			return fmt.Errorf("audit: prune recovery: %s names segment %s", e.Name(), name)
		}
		segPath := filepath.Join(l.dir, payloadDir, filepath.FromSlash(name))
		if _, err := os.Stat(segPath); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		// Seal first: the recovery event's own payload must not go into the
		// segment about to be removed.
		l.payloads.seal(name)
		ms := sha256.Sum256(b)
		digest := "sha256:" + hex.EncodeToString(ms[:])
		hits, err := l.index.Query(ctx, Query{ObjectID: "urn:xborder:audit-segment:" + name, Operation: OpAdminChange, Limit: 100})
		if err != nil {
			return err
		}
		recorded := false
		for _, h := range hits {
			recorded = recorded || (h.Event != nil && h.Event.DetailsDigest == digest)
		}
		if !recorded {
			// Integrated entries not yet checkpointed are not in the index; a
			// duplicate record of the same prune is harmless, a missing one is not.
			n, _ := strconv.ParseUint(f["records"], 10, 64)
			at, _ := time.Parse(time.RFC3339, f["pruned-at"])
			if _, err := l.Append(ctx, &Event{
				Actor: f["actor"], Time: at, Operation: OpAdminChange, ObjectID: "urn:xborder:audit-segment:" + name,
				ObjectKind: KindAuditLog, Result: ResultSuccess, Reason: "retention_prune_recovered", DetailsDigest: digest, Records: n,
			}); err != nil {
				return fmt.Errorf("audit: prune recovery: recording %s: %w", name, err)
			}
		}
		if err := os.Remove(segPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("audit: prune recovery: %w", err)
		}
		if err := syncDir(filepath.Dir(segPath)); err != nil {
			return fmt.Errorf("audit: prune recovery: %w", err)
		}
		l.opts.Logger.Warn("audit: finished a prune interrupted by a crash", "segment", name, "recorded_now", !recorded)
	}
	return nil
}
