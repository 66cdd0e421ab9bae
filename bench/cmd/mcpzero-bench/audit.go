package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/mcpzero/mcpzero/bench/harness"
	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/auditlog/kernellog"
	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
)

// auditSection: what the operation log adds to an execute, measured by
// alternating executes on a kernel without the log and on one with it (as
// the CLI runs it: a signed checkpoint in every batch), both on fsynced
// LevelDB directories.
func auditSection(ctx context.Context, o *options) (*harness.Section, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	off, err := newKernelFixture(ctx, root, 1)
	if err != nil {
		return nil, err
	}
	defer off.close()
	policies := []struct {
		name string
		opts []storelog.Option
	}{
		{"signed checkpoint per write (CLI default)", nil},
		{"checkpoints on demand", []storelog.Option{storelog.WithCheckpointsOnDemand()}},
	}
	s := &harness.Section{
		Name:    "audit",
		Title:   "Operation log overhead on an execute (counter.increment, fsynced LevelDB)",
		Columns: []string{"log policy", "without log", "with log", "added"},
	}
	n := 400
	if o.short {
		n = 20
	}
	for _, pol := range policies {
		on, err := newKernelFixture(ctx, root, 1, logged(pol.opts)...)
		if err != nil {
			return nil, err
		}
		var a, b []float64
		for i := 0; i < n; i++ {
			for _, f := range []*kernelFixture{off, on} {
				t0 := time.Now()
				if _, err := f.k.Execute(ctx, f.agents[0], "increment", nil); err != nil {
					on.close()
					return nil, err
				}
				d := float64(time.Since(t0).Nanoseconds()) / 1e3
				if f == off {
					a = append(a, d)
				} else {
					b = append(b, d)
				}
			}
		}
		on.close()
		sa, sb := harness.Summarize(a, "µs"), harness.Summarize(b, "µs")
		s.Add(map[string]any{"log policy": pol.name, "without log": sa, "with log": sb,
			"added": fmt.Sprintf("%+.1f%%", 100*(sb.Median/sa.Median-1))})
	}
	s.Note("%d executes each, alternating without and with the log; medians. Aim: under 10%% added.", n)
	return s, nil
}

// logged returns the fixture options of a kernel whose store is wrapped by
// the operation log and whose operations are staged by its commit hook.
func logged(opts []storelog.Option) []fixtureOption {
	return []fixtureOption{func(st store.Store) (store.Store, []kernel.Option) {
		priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
		signer, err := auditlog.NewSigner(auditlog.Origin(priv.Public().(ed25519.PublicKey)), priv)
		if err != nil {
			panic(err) // a fixed valid key cannot fail
		}
		raw := st.(*store.LevelDB)
		ws := storelog.Wrap(raw, storelog.New(raw, append([]storelog.Option{storelog.WithSigner(signer)}, opts...)...))
		return ws, []kernel.Option{kernel.WithCommitHook(kernellog.Hook())}
	}}
}
