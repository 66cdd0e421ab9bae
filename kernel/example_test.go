package kernel_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// The whole life cycle of an agent running the counter example plugin.
func Example() {
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, _ := os.ReadFile("../plugins/examples/counter/counter.wasm")
	signed, _ := plugins.Sign(plugins.Manifest{Name: "counter", Version: "1.0.0",
		Methods: []string{"increment", "get", "reset"}}, wasm, priv)

	st := store.OpenMemory() // store.Open(dir) for a persistent one
	defer st.Close()
	k, _ := kernel.Open(st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}))
	defer k.Close()

	if _, err := k.InstallPlugin(ctx, signed, wasm); err != nil {
		fmt.Println(err)
		return
	}
	id, _ := k.Spawn(kernel.Constraints{MemoryPages: 4})
	k.AttachPlugin(ctx, id, "counter")
	out, _ := k.Execute(ctx, id, "increment", []byte("41"))
	fmt.Println("increment 41:", string(out))
	snap, _ := k.Snapshot(id)
	out, _ = k.Execute(ctx, id, "increment", nil)
	fmt.Println("increment:", string(out))
	k.Recover(id, snap)
	out, _ = k.Execute(ctx, id, "get", nil)
	fmt.Println("after recover:", string(out))
	k.Terminate(id)
	_, err := k.Execute(ctx, id, "get", nil)
	fmt.Println(err)
	// Output:
	// increment 41: 41
	// increment: 42
	// after recover: 41
	// agent terminated: agent-2
}
