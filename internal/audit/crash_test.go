package audit

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// TestCrashHelper is the writer process of TestKill9: it appends until killed,
// printing "ack INDEX COMMITMENT" once Append has returned.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv("AUDIT_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	l, err := Open(dir, Options{Origin: "test.xborder.example/audit"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				a, err := l.Append(context.Background(), testEvent(g*1_000_000+i))
				if err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Printf("ack %d %x\n", a.Index, a.Commitment)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestKill9 kills the writer with SIGKILL at varying moments; after each
// crash every acknowledged entry must be in the log at its index, the log
// must verify, and appends must continue after reopening.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns writer processes")
	}
	dir := t.TempDir()
	acked := map[uint64]string{}
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), "AUDIT_CRASH_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 1 + round*7 // acks seen before the kill
		sc := bufio.NewScanner(out)
		seen, killed := 0, false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 1 && f[0] == "error" {
				t.Fatalf("writer: %s", sc.Text())
			}
			if len(f) != 3 || f[0] != "ack" {
				continue
			}
			var idx uint64
			fmt.Sscan(f[1], &idx)
			if prev, ok := acked[idx]; ok && prev != f[2] {
				t.Fatalf("index %d acknowledged twice with different commitments", idx)
			}
			acked[idx] = f[2]
			if seen++; seen == killAfter && !killed {
				cmd.Process.Kill() // SIGKILL
				killed = true
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: writer exited after %d acks", round, seen)
		}
		// Reopening publishes a checkpoint covering entries integrated before the kill.
		closeTest(t, openTest(t, dir))
		rep, err := VerifyDir(context.Background(), dir)
		if err != nil {
			t.Fatalf("round %d: verify after kill: %v", round, err)
		}
		f := client.FileFetcher{Root: filepath.Join(dir, logDir)}
		for idx, c := range acked {
			if idx >= rep.Size {
				t.Fatalf("round %d: acknowledged index %d beyond checkpoint size %d", round, idx, rep.Size)
			}
			b, err := client.GetEntryBundle(context.Background(), f.ReadEntryBundle, idx/layout.EntryBundleWidth, rep.Size)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b.Entries[idx%layout.EntryBundleWidth]); got != c {
				t.Fatalf("round %d: entry %d is %s, acknowledged %s", round, idx, got, c)
			}
		}
	}
	if len(acked) == 0 {
		t.Fatal("nothing acknowledged")
	}
	l := openTest(t, dir)
	appendN(t, l, 9_000_000, 3)
	closeTest(t, l)
	if _, err := VerifyDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
}
