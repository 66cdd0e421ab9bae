package kernel

import (
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
)

func TestCounterLifecycle(t *testing.T) {
	st := store.OpenMemory()
	k, id := counterAgent(t, st)
	for i, want := range []string{"1", "2", "12"} {
		in := []byte(nil)
		if i == 2 {
			in = []byte("10")
		}
		out, err := k.Execute(ctx, id, "increment", in)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != want {
			t.Fatalf("increment %d: %q, want %q", i, out, want)
		}
	}
	sid, err := k.Snapshot(id)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := k.Inspect(id)
	rootAtSnap := a.StateRoot
	if out, _ := k.Execute(ctx, id, "counter.increment", nil); string(out) != "13" {
		t.Fatalf("after snapshot: %q", out)
	}
	if err := k.Recover(id, sid); err != nil {
		t.Fatal(err)
	}
	a, _ = k.Inspect(id)
	if a.StateRoot != rootAtSnap {
		t.Fatalf("recovered root %s, snapshot root %s", a.StateRoot, rootAtSnap)
	}
	if out, _ := k.Execute(ctx, id, "get", nil); string(out) != "12" {
		t.Fatalf("after recover: %q", out)
	}
	if err := k.Terminate(id); err != nil {
		t.Fatal(err)
	}
}
