package contract

import (
	"context"
	"testing"
)

// BenchmarkRecordUse: one use through the store (state check, limits
// checked and counted, record inserted) on one SQLite connection. Compare
// with BenchmarkPlainInsert; xborder bench contract prints both with the
// ratio.
func BenchmarkRecordUse(b *testing.B) {
	f := newFixture(b, 1)
	rec := f.agree(b, f.offer(b, map[string]any{"max_count_per_month": 1 << 50, "max_bytes_per_month": "1000TB", "max_rows": 1 << 50}))
	f.approve(b, "CN_SC")
	u := UseRequest{Agreement: rec.ID, Count: 1, Bytes: 4096, Rows: 10}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := f.store.RecordUse(ctx, u)
		if err != nil || !d.Allowed {
			b.Fatal(err, d)
		}
	}
}

// BenchmarkPlainInsert: the same usage record inserted with one plain
// INSERT in its own transaction, no checks.
func BenchmarkPlainInsert(b *testing.B) {
	f := newFixture(b, 1)
	rec := f.agree(b, f.offer(b, nil))
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.store.db.ExecContext(ctx, `INSERT INTO contract_usage
			(agreement_id, seq, used_at, period, actor, action, provider, q_count, q_bytes, q_rows, q_tasks, ref)
			VALUES ($1, $2, $3, '2026-03', $4, 'use', $5, 1, 4096, 10, 0, '')`,
			rec.ID, int64(i+1), int64(i), rec.Consumer, rec.Provider); err != nil {
			b.Fatal(err)
		}
	}
}
