package task

import (
	"context"
	"testing"

	"github.com/xborder/xborder/internal/pet/psi"
)

// benchTask runs create, upload+authorize on both nodes, invoke and
// download of a PSI-cardinality task over n keys per party.
func benchTask(b *testing.B, n int) {
	ctx := context.Background()
	w := newWorld(b, didC, didP)
	c := w.nodes[didC]
	a, bb := csvKeys(0, n, false), csvKeys(n/2, n+n/2, false)
	b.ResetTimer()
	for b.Loop() {
		v, err := c.svc.TaskCreate(ctx, local(didC), psiSpec("psi-cardinality@1"))
		if err != nil {
			b.Fatal(err)
		}
		id := v.Task.ID
		w.prepare(b, id, map[string][]byte{didC: a, didP: bb}, map[string]Columns{didC: {Key: "id"}, didP: {Key: "id"}})
		if _, err := c.svc.AlgorithmInvoke(ctx, local(didC), InvokeRequest{TaskID: id}); err != nil {
			b.Fatal(err)
		}
		w.wait(b, id, didC, didP)
		r, err := c.svc.ResultDownload(ctx, local(didC), Ref{TaskID: id})
		if err != nil || r.PSI.Size != int64(n-n/2) {
			b.Fatal(err, r)
		}
	}
}

func BenchmarkTaskPSI1k(b *testing.B)  { benchTask(b, 1000) }
func BenchmarkTaskPSI64k(b *testing.B) { benchTask(b, 1<<16) }

func benchBare(b *testing.B, n int) {
	ka, kb := make([]string, n), make([]string, n)
	for i := range n {
		ka[i], kb[i] = string(rune(i)), string(rune(i+n/2))
	}
	for b.Loop() {
		if _, _, err := psi.RunLocal(context.Background(), psi.Config{Session: "bench", Mode: psi.ModeCardinality}, ka, kb, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBarePSI1k(b *testing.B)  { benchBare(b, 1000) }
func BenchmarkBarePSI64k(b *testing.B) { benchBare(b, 1<<16) }
