package node

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xborder/xborder/internal/statedb"
	"github.com/xborder/xborder/internal/statedb/pgtest"
	"github.com/xborder/xborder/internal/suite"
	"github.com/xborder/xborder/internal/transfer"
)

// restartNode stops a test node, lets change put its data directory in
// the state a crash would have left, and runs it again on that directory
// with the same key.
func restartNode(t *testing.T, tn *testNode, s suite.Signer, change func(dir string)) *testNode {
	t.Helper()
	cfg := tn.n.cfg
	tn.cancel()
	err := <-tn.done
	tn.done <- err // for the first node's cleanup
	if change != nil {
		change(cfg.DataDir)
	}
	cfg.Listen = Listen{Public: "127.0.0.1:0", Management: "127.0.0.1:0"}
	again := runNode(t, cfg, s)
	waitFor(t, "the restarted node ready", again.n.ready.Load)
	return again
}

// TestConsumerRestartKeepsVerified: a consumer that crashed after a
// transfer's data verified and was renamed, but before its record said
// completed, finishes the record when it starts again; partial files and
// temporary receipts left in received/ are removed. Found by the kill
// test (cmd/xborder TestNodeKill9): such records stayed "received".
func TestConsumerRestartKeepsVerified(t *testing.T) {
	s, err := suite.Generate(suite.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	consumer := startSignerNode(t, s, "NL")
	provider := startKeyNode(t, "CN", []Participant{{DID: consumer.did, Country: "NL"}})
	f := &dataPlaneFixture{provider: provider, consumer: consumer, dataset: "xb86/CN/shenzhen-hospital/oncology"}
	registerClinical(t, f)
	agreement := f.agree(t, string(offer("urn:uuid:o-restart", f.dataset, "research")))
	first, second := f.transfer(t, agreement), f.transfer(t, agreement)
	if first.State != "completed" || second.State != "completed" {
		t.Fatalf("transfers: %+v, %+v", first, second)
	}
	received := filepath.Join(consumer.n.cfg.DataDir, "received")
	strays := []string{"urn_uuid_gone.part", ".urn_uuid_gone.receipt.json.tmp12345"}
	consumer = restartNode(t, consumer, s, func(dir string) {
		// The first crashed after the protocol's completion, the second
		// right after the rename, before anything was recorded.
		var db *sql.DB
		var err error
		if pgtest.Enabled() { // the node's state is on the test's PostgreSQL
			db, err = statedb.OpenPostgres(context.Background(), pgtest.At(t, dir))
		} else {
			db, err = statedb.Open(filepath.Join(dir, statedb.File), "FULL")
		}
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for pid, state := range map[string]string{first.PID: "received", second.PID: "pulling"} {
			if _, err := db.Exec(`UPDATE node_transfers SET state = $1 WHERE role = 'consumer' AND pid = $2`, state, pid); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range strays {
			if err := os.WriteFile(filepath.Join(received, name), []byte("partial"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	})
	for _, tr := range []transferRow{first, second} {
		row, err := scanTransfer(consumer.n.dspDB.QueryRow(`SELECT `+transferColumns+` FROM node_transfers WHERE role = 'consumer' AND pid = $1`, tr.PID))
		if err != nil {
			t.Fatal(err)
		}
		if row.State != "completed" || row.Digest != tr.Digest || row.File != tr.File {
			t.Errorf("after the restart: %+v, want completed as %+v", row, tr)
		}
		if _, err := os.Stat(tr.File + ".receipt.json"); err != nil {
			t.Error(err)
		}
	}
	for _, name := range strays {
		if _, err := os.Stat(filepath.Join(received, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left in received/: %v", name, err)
		}
	}
}

// TestIntegrityError: only a stream that does not verify is an integrity
// failure; a refused token (a provider that restarted forgot the
// transfer), an ended transfer or a connection that kept failing is not.
func TestIntegrityError(t *testing.T) {
	for err, want := range map[error]bool{
		&transfer.ChunkError{Index: 3, Err: transfer.ErrChunkAuth}:                           true,
		fmt.Errorf("transfer: %w", transfer.ErrDigest):                                       true,
		fmt.Errorf("transfer: %w", transfer.ErrTrailerSignature):                             true,
		fmt.Errorf("transfer: %w: MAC does not verify (HTTP 401)", transfer.ErrTokenInvalid): false,
		fmt.Errorf("transfer: %w", transfer.ErrUnknownTransfer):                              false,
		fmt.Errorf("transfer: %w: %w", transfer.ErrTruncated, context.DeadlineExceeded):      false,
		errors.New("connection refused"):                                                     false,
	} {
		if got := integrityError(err); got != want {
			t.Errorf("integrityError(%v) = %v, want %v", err, got, want)
		}
	}
}
