package storelog

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

// BenchmarkAppend measures append throughput (entries/s) into a store:
// "unbatched" writes one batch per entry (one entry and one signed
// checkpoint per write, as the kernel does per operation); "batched" writes
// 100 entries and one checkpoint per batch (AppendAll). "memory" is LevelDB
// on memory storage (the log's own cost); "disk" is LevelDB on the file
// system with the store's fsync per write (what an operator sees).
func BenchmarkAppend(b *testing.B) {
	for _, where := range []string{"memory", "disk"} {
		for _, per := range []int{1, 100} {
			name := "unbatched"
			if per > 1 {
				name = fmt.Sprintf("batched%d", per)
			}
			b.Run(where+"/"+name, func(b *testing.B) {
				var st *store.LevelDB
				if where == "memory" {
					st = store.OpenMemory()
				} else {
					var err error
					if st, err = store.Open(filepath.Join(b.TempDir(), "db")); err != nil {
						b.Fatal(err)
					}
				}
				defer st.Close()
				s, _ := testKey(b, 1)
				l := New(st, WithSigner(s))
				seq := uint64(0)
				b.ResetTimer()
				for done := 0; done < b.N; {
					k := min(per, b.N-done)
					es := make([]auditlog.Entry, k)
					for i := range es {
						seq++
						es[i] = op(seq)
					}
					batch := st.NewBatch()
					if _, err := l.AppendAll(batch, es...); err != nil {
						b.Fatal(err)
					}
					if err := st.Write(batch); err != nil {
						b.Fatal(err)
					}
					done += k
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}

// BenchmarkCheck is the cost of re-deriving a log of 10^4 entries.
func BenchmarkCheck(b *testing.B) {
	_, l, v := newLog(b, 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Check(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStagedWrite is the log's whole cost per operation on the
// kernel's path (Stage in the commit hook, append at the wrapped store's
// write), against a plain write of the same operation batch, in memory.
func BenchmarkStagedWrite(b *testing.B) {
	for _, mode := range []string{"plain", "ondemand", "signed"} {
		b.Run(mode, func(b *testing.B) {
			st := store.OpenMemory()
			defer st.Close()
			s, _ := testKey(b, 1)
			var opts []Option
			if mode == "ondemand" {
				opts = append(opts, WithCheckpointsOnDemand())
			}
			var w store.Store = st
			if mode != "plain" {
				w = Wrap(st, New(st, append([]Option{WithSigner(s)}, opts...)...))
			}
			val := make([]byte, 300)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch := w.NewBatch()
				batch.Put([]byte("state/agent-1/counter"), val[:8])
				batch.Put(fmt.Appendf(nil, "op/%08d", i), val)
				if mode != "plain" {
					if err := Stage(batch, op(uint64(i+1))); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Write(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
