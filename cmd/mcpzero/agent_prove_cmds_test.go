package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCLIAgentProve: `agent prove` refuses what cannot be proven with one
// line naming why; without -short it proves the selftest plugin's execute,
// stores and lists the proof and the bundle verifies.
func TestCLIAgentProve(t *testing.T) {
	c := &cliRun{t: t, bin: buildBinary(t), dataDir: t.TempDir()}
	work := t.TempDir()
	keysDir := filepath.Join(work, "zk-keys")
	ex := filepath.Join("..", "..", "plugins", "examples")
	var key struct {
		Private string `json:"private_key_file"`
	}
	c.json(&key, "key", "generate")
	for _, p := range []string{"counter", "selftest"} {
		signed := filepath.Join(work, p+".signed.json")
		c.ok("plugin", "sign", filepath.Join(ex, p, p+".wasm"), "--key", key.Private, "--manifest", filepath.Join(ex, p, "manifest.json"), "--out", signed)
		c.ok("plugin", "install", filepath.Join(ex, p, p+".wasm"), "--manifest", signed)
	}
	var spawned struct {
		ID string `json:"id"`
	}
	c.json(&spawned, "agent", "spawn")
	a := spawned.ID
	c.fails("no execute to prove", "agent", "prove", a, "--keys-dir", keysDir)
	c.ok("agent", "attach", a, "counter")
	c.ok("agent", "attach", a, "selftest")
	c.ok("agent", "exec", a, "increment")
	c.fails("mcpzero.state_get", "agent", "prove", a, "--keys-dir", keysDir)
	c.fails("not an execute", "agent", "prove", "1", "--keys-dir", keysDir)
	c.fails("neither a sequence number nor an agent", "agent", "prove", "agent-99", "--keys-dir", keysDir)
	c.fails("backend", "agent", "prove", a, "--backend", "nope")
	var proofs []map[string]any
	c.json(&proofs, "agent", "proofs", a)
	if len(proofs) != 0 {
		t.Fatalf("proofs before any prove: %v", proofs)
	}
	if testing.Short() {
		t.Skip("proving needs a dev setup of the smallest circuit shape (about a minute)")
	}
	c.ok("agent", "exec", a, "check")
	out := filepath.Join(work, "check.proof")
	var rep struct {
		Proves uint64 `json:"proves"`
		Proof  string `json:"proof"`
		Record struct {
			Seq  uint64 `json:"seq"`
			Kind string `json:"kind"`
		} `json:"record"`
	}
	// Not c.json: the first prove runs a dev setup, which can take longer
	// than the helper's 60 s hang guard on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	raw, err := exec.CommandContext(ctx, c.bin, "--data-dir", c.dataDir, "--json", "agent", "prove", a, "--out", out, "--keys-dir", keysDir).Output()
	if err != nil {
		t.Fatalf("agent prove: %v", err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("agent prove --json: %v\n%s", err, raw)
	}
	if rep.Record.Kind != "proof" || rep.Record.Seq != rep.Proves+1 || len(rep.Proof) != 64 {
		t.Fatalf("prove report %+v", rep)
	}
	c.json(&proofs, "agent", "proofs", a, "--out-dir", work)
	if len(proofs) != 1 || proofs[0]["proof_link"] != rep.Proof {
		t.Fatalf("proofs %v", proofs)
	}
	stored, err := os.ReadFile(filepath.Join(work, rep.Proof+".proof"))
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(out)
	if err != nil || string(stored) != string(written) {
		t.Fatalf("stored and written bundles differ (%v)", err)
	}
	if v := c.ok("verify", out); !strings.Contains(v, "VALID") {
		t.Fatalf("verify: %s", v)
	}
	c.ok("audit", "verify")
	c.ok("audit", "replay")
}
