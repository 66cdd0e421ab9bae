package kernellog

import (
	"bytes"
	"crypto/ed25519"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
)

// benchKernel is a kernel with the counter attached to one agent, on a
// memory or disk store, with or without the operation log.
func benchKernel(b *testing.B, disk, logged bool, opts ...storelog.Option) (*kernel.Kernel, kernel.AgentID) {
	var st *store.LevelDB
	if disk {
		var err error
		if st, err = store.Open(filepath.Join(b.TempDir(), "db")); err != nil {
			b.Fatal(err)
		}
	} else {
		st = store.OpenMemory()
	}
	b.Cleanup(func() { st.Close() })
	var kst store.Store = st
	kopts := []kernel.Option{kernel.WithInsecureSkipVerify()}
	if logged {
		priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
		s, err := auditlog.NewSigner(auditlog.Origin(priv.Public().(ed25519.PublicKey)), priv)
		if err != nil {
			b.Fatal(err)
		}
		kst = storelog.Wrap(st, storelog.New(st, append([]storelog.Option{storelog.WithSigner(s)}, opts...)...))
		kopts = append(kopts, kernel.WithCommitHook(Hook()))
	}
	k, err := kernel.Open(kst, kopts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	sgn, wasm := exampleB(b, "counter")
	if _, err := k.InstallPlugin(ctx, sgn, wasm); err != nil {
		b.Fatal(err)
	}
	id, err := k.Spawn(kernel.Constraints{})
	if err != nil {
		b.Fatal(err)
	}
	if err := k.AttachPlugin(ctx, id, "counter"); err != nil {
		b.Fatal(err)
	}
	return k, id
}

// BenchmarkExecute is the cost the operation log adds to an execute (the
// counter's increment): each iteration runs one execute on a kernel without
// the log and one on a kernel with it, alternately, so that both see the
// same machine noise; it reports the median of each ("off-ns", "on-ns")
// and the added fraction ("added-%"). "memory" is LevelDB in memory (the
// log's CPU cost), "disk" LevelDB with its fsync per write (what an
// operator's kernel pays). "signed" signs a checkpoint in every batch (the
// default); "ondemand" stores the tree and signs checkpoints when asked.
func BenchmarkExecute(b *testing.B) {
	for _, where := range []string{"memory", "disk"} {
		for _, policy := range []string{"signed", "ondemand"} {
			b.Run(where+"/"+policy, func(b *testing.B) {
				var opts []storelog.Option
				if policy == "ondemand" {
					opts = append(opts, storelog.WithCheckpointsOnDemand())
				}
				koff, aoff := benchKernel(b, where == "disk", false)
				kon, aon := benchKernel(b, where == "disk", true, opts...)
				off := make([]time.Duration, 0, b.N)
				on := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					if _, err := koff.Execute(ctx, aoff, "increment", nil); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if _, err := kon.Execute(ctx, aon, "increment", nil); err != nil {
						b.Fatal(err)
					}
					t2 := time.Now()
					off, on = append(off, t1.Sub(t0)), append(on, t2.Sub(t1))
				}
				mo, mn := median(off), median(on)
				b.ReportMetric(float64(mo.Nanoseconds()), "off-ns")
				b.ReportMetric(float64(mn.Nanoseconds()), "on-ns")
				b.ReportMetric(100*(float64(mn)-float64(mo))/float64(mo), "added-%")
			})
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
