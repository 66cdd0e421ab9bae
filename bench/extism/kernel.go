package main

import (
	"context"
	"crypto/ed25519"
	"os"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// kernelCaller installs wasm as a signed plugin in a kernel on a temporary
// LevelDB store, attaches it to a fresh agent and returns a caller of its
// "run" method through Execute (which fsyncs the operation record).
func kernelCaller(ctx context.Context, wasm []byte) (caller, func(), error) {
	dir, err := os.MkdirTemp("", "mcpzero-extism-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	st, err := store.Open(dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, nil, err
	}
	k, err := kernel.Open(st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
		kernel.WithEngine(plugins.EngineCompiler))
	if err != nil {
		st.Close()
		cleanup()
		return nil, nil, err
	}
	done := func() { k.Close(); st.Close(); cleanup() }
	signed, err := plugins.Sign(plugins.Manifest{Name: "tick", Version: "1.0.0", Methods: []string{"run"},
		Limits: plugins.Limits{MemoryPages: 16}}, wasm, priv)
	if err != nil {
		done()
		return nil, nil, err
	}
	if _, err := k.InstallPlugin(ctx, signed, wasm); err != nil {
		done()
		return nil, nil, err
	}
	agent, err := k.Spawn(kernel.Constraints{MemoryPages: 16})
	if err != nil {
		done()
		return nil, nil, err
	}
	if err := k.AttachPlugin(ctx, agent, "tick"); err != nil {
		done()
		return nil, nil, err
	}
	return func(ctx context.Context, in []byte) ([]byte, error) {
		return k.Execute(ctx, agent, "run", in)
	}, done, nil
}
