package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLISecurity drives keys, grants, agreements and fuel through separate
// processes on one data directory.
func TestCLISecurity(t *testing.T) {
	c := &cliRun{t: t, bin: buildBinary(t), dataDir: t.TempDir()}
	work := t.TempDir()
	type keyOut struct {
		ID      string `json:"key_id"`
		Private string `json:"private_key_file"`
		Public  string `json:"public_key_file"`
	}
	var op, alice, bob keyOut
	c.json(&op, "key", "generate") // in DATA-DIR/keys: also trusted for plugins
	c.json(&alice, "key", "generate", "--name", "alice", "--out", work)
	c.json(&bob, "key", "generate", "--name", "bob", "--out", work)
	c.ok("key", "import", op.Public, "--role", "operator")
	c.ok("key", "import", alice.Public, "--role", "party")
	c.ok("key", "import", bob.Public, "--role", "party", "--role", "publisher")
	c.fails("role", "key", "import", alice.Public, "--role", "root")
	c.fails("--role", "key", "import", alice.Public)
	var keys struct {
		Registry []struct {
			ID    string   `json:"id"`
			Roles []string `json:"roles"`
		} `json:"registry"`
	}
	c.json(&keys, "key", "list")
	if len(keys.Registry) != 3 {
		t.Fatalf("registry %+v", keys.Registry)
	}
	if out := c.ok("key", "export", alice.ID); !strings.Contains(out, "BEGIN MCPZERO ED25519 PUBLIC KEY") {
		t.Fatalf("export: %q", out)
	}
	c.fails("unknown key", "key", "export", "0000000000000000")

	// Grants: only an operator key signs them; revocation removes them.
	c.ok("grant", "--agent", "agent-1", "--resource", "cap:clock", "--ops", "use", "--key", op.Private)
	c.fails("operator role", "grant", "--agent", "agent-1", "--resource", "cap:random", "--ops", "use", "--key", alice.Private)
	c.fails("resource", "grant", "--agent", "agent-1", "--resource", "disk", "--ops", "use", "--key", op.Private)
	var grants []struct {
		Agent, Resource string
		Ops             []string
	}
	c.json(&grants, "grant", "list")
	if len(grants) != 1 || grants[0].Resource != "cap:clock" {
		t.Fatalf("grants %+v", grants)
	}
	c.ok("revoke", "--agent", "agent-1", "--resource", "cap:clock", "--key", op.Private)
	c.json(&grants, "grant", "list")
	if len(grants) != 0 {
		t.Fatalf("after revoke: %+v", grants)
	}
	// A directory grant names the absolute path, read or write.
	c.ok("grant", "--agent", "agent-1", "--resource", "fs:testdata", "--ops", "read,write", "--key", op.Private)
	c.json(&grants, "grant", "list")
	if abs, _ := filepath.Abs("testdata"); len(grants) != 1 || grants[0].Resource != "fs:"+abs || strings.Join(grants[0].Ops, ",") != "read,write" {
		t.Fatalf("fs grant %+v, want fs:%s read,write", grants, abs)
	}
	c.ok("revoke", "--agent", "agent-1", "--resource", "fs:testdata", "--ops", "write", "--key", op.Private)
	c.json(&grants, "grant", "list")
	if len(grants) != 1 || strings.Join(grants[0].Ops, ",") != "read" {
		t.Fatalf("after revoking write: %+v", grants)
	}
	c.ok("revoke", "--agent", "agent-1", "--resource", "fs:testdata", "--key", op.Private)
	os.Chmod(op.Private, 0o644)
	c.fails("permissions too open", "grant", "--agent", "a", "--resource", "cap:clock", "--ops", "use", "--key", op.Private)
	os.Chmod(op.Private, 0o600)

	// A counter agent and an agreement that pays for two increments: the
	// third would pass the state_bytes quota (13 bytes each: "count" and 8).
	ex := filepath.Join("..", "..", "plugins", "examples")
	wasm, signed := filepath.Join(ex, "counter", "counter.wasm"), filepath.Join(work, "counter.signed.json")
	c.ok("plugin", "sign", wasm, "--key", op.Private, "--manifest", filepath.Join(ex, "counter", "manifest.json"), "--out", signed)
	c.ok("plugin", "install", wasm, "--manifest", signed)
	var agent struct {
		ID string `json:"id"`
	}
	c.json(&agent, "agent", "spawn")
	c.ok("agent", "attach", agent.ID, "counter")
	agr := filepath.Join(work, "agr.json")
	c.ok("agreement", "create", "--consumer", alice.ID, "--provider", bob.ID, "--resource", "agent:"+agent.ID,
		"--ops", "increment", "--not-before", "0", "--not-after", "1000", "--quota", "calls=3", "--quota", "state_bytes=26", "--out", agr)
	c.ok("agreement", "sign", agr, "--key", alice.Private)
	c.fails("not found", "agreement", "verify", agr) // not registered until both sign
	c.ok("agreement", "sign", agr, "--key", bob.Private)
	c.ok("agreement", "verify", agr)
	var show struct {
		Agreement struct {
			ID string `json:"id"`
		} `json:"agreement"`
		Registered bool `json:"registered"`
		Usage      struct {
			Calls      uint64 `json:"calls"`
			StateBytes uint64 `json:"state_bytes"`
		} `json:"usage"`
	}
	c.json(&show, "agreement", "show", agr)
	if !show.Registered || len(show.Agreement.ID) != 64 {
		t.Fatalf("show %+v", show)
	}
	c.ok("agent", "exec", agent.ID, "increment", "--agreement", show.Agreement.ID)
	c.ok("agent", "exec", agent.ID, "increment", "--agreement", show.Agreement.ID)
	c.fails("state_bytes used 26 + 13 > quota 26", "agent", "exec", agent.ID, "increment", "--agreement", show.Agreement.ID)
	c.json(&show, "agreement", "show", agr)
	if show.Usage.Calls != 2 || show.Usage.StateBytes != 26 {
		t.Fatalf("agreement usage %+v, want 2 calls and 26 state bytes", show.Usage)
	}
	if out := c.ok("agreement", "show", agr); !strings.Contains(out, "usage: 2 calls") || !strings.Contains(out, "26 state bytes") {
		t.Fatalf("agreement show: %q", out)
	}
	c.fails("not covered", "agent", "exec", agent.ID, "reset", "--agreement", show.Agreement.ID)
	c.ok("agent", "exec", agent.ID, "increment") // without an agreement
	var inspect struct {
		Executes uint64 `json:"executes"`
		Usage    struct {
			Calls uint64 `json:"calls"`
			Fuel  uint64 `json:"fuel"`
		} `json:"usage"`
	}
	c.json(&inspect, "agent", "inspect", agent.ID)
	if inspect.Executes != 3 || inspect.Usage.Calls != 3 || inspect.Usage.Fuel == 0 {
		t.Fatalf("inspect: %+v", inspect)
	}
	c.ok("agreement", "revoke", agr, "--key", bob.Private)
	c.fails("revoked", "agreement", "verify", agr)

	// Fuel outside the kernel.
	prog := filepath.Join("..", "..", "internal", "fuel", "testdata", "programs.wasm")
	var run struct {
		Results  []string `json:"results"`
		FuelUsed uint64   `json:"fuel_used"`
	}
	for _, engine := range []string{"compiler", "interpreter"} {
		c.json(&run, "run", prog, "--func", "count", "--args", "10", "--fuel", "1000", "--engine", engine)
		if run.FuelUsed != 127 || run.Results[0] != "55" {
			t.Fatalf("%s: run --fuel: %+v", engine, run)
		}
		c.fails("fuel exhausted", "run", prog, "--func", "spin", "--fuel", "100000", "--engine", engine)
		c.fails("fuel exhausted", "run", prog, "--func", "fib", "--args", "40", "--fuel", "100000", "--engine", engine)
	}
}
