package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/classify"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/vc"
)

// TestClinicalData: the same seed gives the same bytes; resident IDs are
// valid and agree with the birth date and sex columns.
func TestClinicalData(t *testing.T) {
	var a, b bytes.Buffer
	if err := writeClinical(&a, 7, 200); err != nil {
		t.Fatal(err)
	}
	writeClinical(&b, 7, 200)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("not deterministic")
	}
	rows, err := csv.NewReader(&a).ReadAll()
	if err != nil || len(rows) != 201 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for _, r := range rows[1:] {
		id := r[4]
		c, ok := classify.ResidentIDCheckChar(id[:17])
		born := strings.ReplaceAll(r[3], "-", "")
		male := (id[16]-'0')%2 == 1
		if !ok || c != id[17] || id[6:14] != born || male != (r[2] == "男") {
			t.Fatalf("row %v", r)
		}
	}
}

// TestVerifyParticipants: a country comes only from a credential whose
// issuer the registry trusts for that country.
func TestVerifyParticipants(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	ps := newParties(t.TempDir())
	ts, err := issueIdentities(ctx, ps, t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	vps, err := verifyParticipants(ctx, ts, []string{ps[1].cred, ps[2].cred}, now)
	if err != nil || len(vps) != 2 || vps[0].Country != "NL" || vps[0].DID != ps[1].did || vps[1].Country != "HK" {
		t.Fatalf("%+v %v", vps, err)
	}
	// A credential claiming NL from an issuer the registry does not list.
	is, ik, _ := keyDID(suite.Ed25519)
	proc, _ := vc.New()
	forged, err := proc.SignJWT(ctx, map[string]any{"@context": []any{"https://www.w3.org/ns/credentials/v2"},
		"type": []any{"VerifiableCredential", credentialType}, "issuer": ik.DID,
		"credentialSubject": map[string]any{"id": ps[2].did, "jurisdiction": "NL"}}, vc.JWTOptions{Signer: is, KeyID: ik.VerificationMethodID()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyParticipants(ctx, ts, []string{forged}, now); err == nil {
		t.Fatal("a credential of an untrusted issuer was accepted")
	}
	// A registry past its next update is refused.
	if _, err := verifyParticipants(ctx, ts, []string{ps[1].cred}, time.Now().AddDate(1, 0, 0)); err == nil {
		t.Fatal("a stale registry was accepted")
	}
}

// TestDemoTrialList: the centre's list is deterministic, has trialSize
// distinct ids, trialOverlap of them the hospital's, and valid resident
// IDs for the others.
func TestDemoTrialList(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export.csv")
	var b bytes.Buffer
	if err := writeClinical(&b, 2026, 3000); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(export, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	list, expected, cohort, err := trialList(export, 2026)
	if err != nil || expected != trialOverlap || cohort != 3000 {
		t.Fatalf("expected %d, cohort %d, %v", expected, cohort, err)
	}
	again, _, _, _ := trialList(export, 2026)
	if !bytes.Equal(list, again) {
		t.Fatal("not deterministic")
	}
	rows, err := csv.NewReader(bytes.NewReader(list)).ReadAll()
	if err != nil || len(rows) != trialSize+1 || rows[0][1] != keyColumn {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	src, _ := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	hospital := map[string]bool{}
	for _, r := range src[1:] {
		hospital[r[4]] = true
	}
	seen, common := map[string]bool{}, 0
	for _, r := range rows[1:] {
		id := r[1]
		if c, ok := classify.ResidentIDCheckChar(id[:17]); seen[id] || !ok || c != id[17] {
			t.Fatalf("id %s: repeated or invalid", id)
		}
		seen[id] = true
		if hospital[id] {
			common++
		}
	}
	if common != trialOverlap {
		t.Fatalf("%d in common", common)
	}
}
