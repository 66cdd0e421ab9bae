package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
)

// TestCLIAudit drives the operation log through separate processes: every
// operation is logged, checkpoints are published and checked, an export
// verifies offline, tampering with the file or the store is reported, and
// replay agrees with the log.
func TestCLIAudit(t *testing.T) {
	c := &cliRun{t: t, bin: buildBinary(t), dataDir: t.TempDir()}
	work := t.TempDir()
	ex := filepath.Join("..", "..", "plugins", "examples")
	c.ok("audit", "verify") // an empty log is consistent
	c.fails("empty", "audit", "verify", "0")
	var key struct {
		Private string `json:"private_key_file"`
	}
	c.json(&key, "key", "generate")
	wasm, signed := filepath.Join(ex, "counter", "counter.wasm"), filepath.Join(work, "counter.signed.json")
	c.ok("plugin", "sign", wasm, "--key", key.Private, "--manifest", filepath.Join(ex, "counter", "manifest.json"), "--out", signed)
	c.ok("plugin", "install", wasm, "--manifest", signed)
	var agent struct {
		ID string `json:"id"`
	}
	c.json(&agent, "agent", "spawn")
	c.ok("agent", "attach", agent.ID, "counter")
	c.ok("agent", "exec", agent.ID, "increment", "--input", "41")
	cp1 := filepath.Join(work, "cp1")
	c.ok("audit", "checkpoint", "--out", cp1)
	c.ok("agent", "exec", agent.ID, "increment")
	c.fails("", "agent", "exec", agent.ID, "increment", "--input", "not-a-number") // logs nothing

	var list []struct {
		Index uint64 `json:"index"`
		Kind  string `json:"kind"`
	}
	c.json(&list, "audit", "list")
	// The security manager's first open (key generate) logs the creation
	// of the kernel's randomness seed, at logical time 0.
	kinds := ""
	for _, e := range list {
		kinds += e.Kind + " "
	}
	if kinds != "seed install spawn attach execute execute " {
		t.Fatalf("logged kinds %q", kinds)
	}
	if out := c.ok("audit", "show", "4"); !strings.Contains(out, "entry 4 (seq 4, execute)") || !strings.Contains(out, "method      increment") {
		t.Fatalf("show:\n%s", out)
	}
	c.ok("audit", "show", "5", "--seq")
	c.ok("audit", "verify")
	if out := c.ok("audit", "verify", "4"); !strings.Contains(out, "entry 4 is included in the checkpoint of size 6") {
		t.Fatalf("verify 3:\n%s", out)
	}
	if out := c.ok("audit", "verify", "--checkpoint", cp1); !strings.Contains(out, "extends the checkpoint of size 5") {
		t.Fatalf("verify --checkpoint:\n%s", out)
	}
	cp2 := filepath.Join(work, "cp2")
	c.ok("audit", "checkpoint", "--out", cp2)
	cons := filepath.Join(work, "cons.json")
	c.ok("audit", "consistency", cp1, cp2, "--out", cons)
	c.fails("rolled back", "audit", "consistency", cp2, cp1)

	// The auditor's view: kernel.pub and one file.
	pub := filepath.Join(work, "kernel.pub")
	os.WriteFile(pub, []byte(c.ok("audit", "key")), 0o644)
	op := filepath.Join(work, "op.audit")
	c.ok("audit", "export", "5", "--out", op)
	if out := c.ok("audit", "verify-file", op, "--key", pub); !strings.Contains(out, "VALID: entry 5 (seq 5, execute)") {
		t.Fatalf("verify-file:\n%s", out)
	}
	raw, _ := os.ReadFile(op)
	bad := filepath.Join(work, "bad.audit")
	os.WriteFile(bad, []byte(strings.Replace(string(raw), `"index": 5`, `"index": 4`, 1)), 0o644)
	c.fails("NOT VALID", "audit", "verify-file", bad, "--key", pub)
	c.fails("--key", "audit", "verify-file", op)
	// The consistency file, offline, from the checkpoint the auditor kept.
	if out := c.ok("audit", "verify-file", cons, "--key", pub, "--checkpoint", cp1); !strings.Contains(out, "at size 6") || !strings.Contains(out, "extends size 5") || !strings.Contains(out, "the one you kept") {
		t.Fatalf("verify-file consistency:\n%s", out)
	}
	c.fails("not from the kept checkpoint", "audit", "verify-file", cons, "--key", pub, "--checkpoint", cp2)

	if out := c.ok("audit", "replay"); !strings.Contains(out, "replayed 5 kernel operations of 6 entries") {
		t.Fatalf("replay:\n%s", out)
	}

	// A security change is logged too.
	c.ok("key", "import", strings.TrimSuffix(key.Private, ".key")+".pub", "--role", "operator")
	c.ok("grant", "--agent", agent.ID, "--resource", "cap:clock", "--ops", "read", "--key", key.Private)
	var all []struct {
		Kind   string `json:"kind"`
		Agent  string `json:"agent"`
		Method string `json:"method"`
		Seq    uint64 `json:"seq"`
	}
	c.json(&all, "audit", "list", "--limit", "0")
	if g := all[len(all)-1]; g.Kind != "grant" || g.Agent != agent.ID || g.Method != "cap:clock" || g.Seq != 5 {
		t.Fatalf("last entry %+v, want the grant at logical time 5", g)
	}
	c.ok("audit", "verify")

	// A proof bundle of another run is refused for execute 5.
	c.fails("does not match the entry", "audit", "attach-proof", "5", filepath.Join("..", "..", "verifier", "testdata", "toy.proof"))
	c.fails("not an execute", "audit", "attach-proof", "3", filepath.Join("..", "..", "verifier", "testdata", "toy.proof"))

	// Usage errors.
	c.fails("--out", "audit", "export", "1")
	c.fails("not a non-negative integer", "audit", "show", "x")
	c.fails("not found", "audit", "show", "99")

	// A byte of a stored entry changed behind the kernel's back.
	st, err := store.Open(storeDir(c.dataDir))
	if err != nil {
		t.Fatal(err)
	}
	entryKey := binary.BigEndian.AppendUint64(store.Key([]byte("audit"), []byte("e"), nil), 2)
	v, err := st.Get(entryKey)
	if err != nil {
		t.Fatal(err)
	}
	v[len(v)-3] ^= 1
	b := st.NewBatch()
	b.Put(entryKey, v)
	st.Write(b)
	st.Close()
	c.fails("entry 2 does not match its stored leaf hash", "audit", "verify")
	c.fails("auditlog: inclusion proof does not verify", "audit", "verify", "2")
}
