package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpzero/mcpzero/internal/store"
)

// mcpzeroBin is the binary under test, built once by buildBinary.
var mcpzeroBin string

func buildBinary(t *testing.T) string {
	t.Helper()
	if mcpzeroBin != "" {
		return mcpzeroBin
	}
	dir, err := os.MkdirTemp("", "mcpzero-e2e-bin")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "mcpzero")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mcpzeroBin = bin
	return bin
}

type cliRun struct {
	t       *testing.T
	bin     string
	dataDir string
}

// run executes one mcpzero process with a 60 s timeout and returns its
// stdout, stderr and error.
func (c *cliRun) run(args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--data-dir", c.dataDir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		c.t.Fatalf("mcpzero %s: timed out (hang)", strings.Join(args, " "))
	}
	return out.String(), errb.String(), err
}

func (c *cliRun) ok(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("mcpzero %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// json runs the command with --json and decodes its output into v.
func (c *cliRun) json(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("mcpzero --json %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs a command that must fail with one error line mentioning want.
func (c *cliRun) fails(want string, args ...string) {
	c.t.Helper()
	_, errOut, err := c.run(args...)
	if err == nil {
		c.t.Fatalf("mcpzero %s succeeded, want failure", strings.Join(args, " "))
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "mcpzero: ") || !strings.Contains(lines[0], want) {
		c.t.Fatalf("mcpzero %s: stderr %q, want one line mentioning %q", strings.Join(args, " "), errOut, want)
	}
}

// TestCLILifecycle drives the whole life cycle through separate processes
// on one data directory: every step reopens the store.
func TestCLILifecycle(t *testing.T) {
	c := &cliRun{t: t, bin: buildBinary(t), dataDir: t.TempDir()}
	work := t.TempDir()
	ex := filepath.Join("..", "..", "plugins", "examples")

	var key struct {
		KeyID   string `json:"key_id"`
		Private string `json:"private_key_file"`
	}
	c.json(&key, "key", "generate")
	if fi, err := os.Stat(key.Private); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi, err)
	}
	for _, p := range []string{"counter", "kv"} {
		signed := filepath.Join(work, p+".signed.json")
		c.ok("plugin", "sign", filepath.Join(ex, p, p+".wasm"), "--key", key.Private, "--out", signed)
		c.ok("plugin", "verify", filepath.Join(ex, p, p+".wasm"), "--manifest", signed)
		var info struct {
			Name   string `json:"name"`
			Digest string `json:"digest"`
			KeyID  string `json:"key_id"`
		}
		c.json(&info, "plugin", "install", filepath.Join(ex, p, p+".wasm"), "--manifest", signed)
		if info.Name != p || info.KeyID != key.KeyID || len(info.Digest) != 64 {
			t.Fatalf("install %s: %+v", p, info)
		}
	}
	// A tampered wasm and a key the data dir does not trust are refused.
	tampered := filepath.Join(work, "tampered.wasm")
	orig, _ := os.ReadFile(filepath.Join(ex, "counter", "counter.wasm"))
	os.WriteFile(tampered, append(orig, 0), 0o644)
	c.fails("tampered", "plugin", "install", tampered, "--manifest", filepath.Join(work, "counter.signed.json"))
	c.fails("tampered", "plugin", "verify", tampered, "--manifest", filepath.Join(work, "counter.signed.json"))
	c.ok("key", "generate", "--name", "other", "--out", work)
	c.ok("plugin", "sign", filepath.Join(ex, "counter", "counter.wasm"), "--key", filepath.Join(work, "other.key"), "--out", filepath.Join(work, "other.signed.json"))
	c.fails("not trusted", "plugin", "install", filepath.Join(ex, "counter", "counter.wasm"), "--manifest", filepath.Join(work, "other.signed.json"))
	os.Chmod(filepath.Join(work, "other.key"), 0o644)
	c.fails("0600", "plugin", "sign", filepath.Join(ex, "counter", "counter.wasm"), "--key", filepath.Join(work, "other.key"))

	var plist []map[string]any
	c.json(&plist, "plugin", "list")
	if len(plist) != 2 {
		t.Fatalf("plugin list: %v", plist)
	}

	var agent struct {
		ID          string `json:"id"`
		StateRoot   string `json:"state_root"`
		Constraints struct {
			MemoryPages int `json:"memory_pages"`
		} `json:"constraints"`
	}
	c.json(&agent, "agent", "spawn", "--memory-pages", "8", "--state-bytes", "4096", "--deadline", "2s")
	id := agent.ID
	if agent.Constraints.MemoryPages != 8 {
		t.Fatalf("spawn: %+v", agent)
	}
	c.ok("agent", "attach", id, "counter")
	c.ok("agent", "attach", id, "kv")
	type execResult struct {
		Output    string `json:"output"`
		StateRoot string `json:"state_root"`
		Seq       uint64 `json:"seq"`
	}
	var r execResult
	c.json(&r, "agent", "exec", id, "increment")
	if r.Output != "1" {
		t.Fatalf("increment: %+v", r)
	}
	c.json(&r, "agent", "exec", id, "increment", "--input", "41")
	if r.Output != "42" {
		t.Fatalf("increment 41: %+v", r)
	}
	if out := c.ok("agent", "exec", id, "kv.put", "--input", "k=v"); !strings.HasPrefix(out, "ok\n") {
		t.Fatalf("human exec output %q", out)
	}
	var snap struct {
		Snapshot  string `json:"snapshot"`
		StateRoot string `json:"state_root"`
	}
	c.json(&snap, "agent", "snapshot", id)
	// Determinism: the same call from the same state gives the same output
	// and root on both engines.
	var rc, ri execResult
	c.json(&rc, "agent", "exec", id, "increment", "--input", "7", "--engine", "compiler")
	c.ok("agent", "recover", id, snap.Snapshot)
	c.json(&ri, "agent", "exec", id, "increment", "--input", "7", "--engine", "interpreter")
	if rc.Output != "49" || rc.Output != ri.Output || rc.StateRoot != ri.StateRoot {
		t.Fatalf("engines disagree: %+v vs %+v", rc, ri)
	}
	c.ok("agent", "recover", id, snap.Snapshot)
	var insp struct {
		StateRoot string           `json:"state_root"`
		Executes  int              `json:"executes"`
		Snapshots []map[string]any `json:"snapshots"`
		Records   []struct {
			Seq  uint64 `json:"seq"`
			Kind string `json:"kind"`
		} `json:"records"`
	}
	c.json(&insp, "agent", "inspect", id, "--records", "3")
	if insp.StateRoot != snap.StateRoot || len(insp.Snapshots) != 1 || len(insp.Records) != 3 || insp.Records[0].Kind != "recover" {
		t.Fatalf("inspect after recover: %+v (snapshot root %s)", insp, snap.StateRoot)
	}
	// Failures: a trap, the state limit, an unknown method, an unknown agent.
	c.fails("unreachable", "agent", "exec", id, "increment", "--input", "x")
	big := filepath.Join(work, "big")
	os.WriteFile(big, []byte("big="+strings.Repeat("x", 5000)), 0o644)
	c.fails("resource exceeded", "agent", "exec", id, "kv.put", "--input-file", big)
	c.fails("several plugins", "agent", "exec", id, "get")
	c.fails("not found", "agent", "exec", "agent-999", "counter.get")
	c.fails("want AGENT METHOD", "agent", "exec", id)
	c.json(&r, "agent", "exec", id, "counter.get")
	if r.Output != "42" || r.StateRoot != snap.StateRoot {
		t.Fatalf("failed executes changed the state: %+v", r)
	}
	c.fails("attached to agent", "plugin", "remove", "kv")
	c.ok("agent", "terminate", id)
	c.fails("terminated", "agent", "exec", id, "counter.get")
	var agents []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	c.json(&agents, "agent", "list")
	if len(agents) != 1 || agents[0].Status != "terminated" {
		t.Fatalf("agent list %+v", agents)
	}
	c.ok("plugin", "remove", "kv")
	c.json(&plist, "plugin", "list")
	if len(plist) != 1 {
		t.Fatalf("plugin list after remove: %v", plist)
	}
}

// TestCLIStoreLocked: a second process gets a clear error, not a hang, while
// another holds the data directory.
func TestCLIStoreLocked(t *testing.T) {
	c := &cliRun{t: t, bin: buildBinary(t), dataDir: t.TempDir()}
	c.ok("agent", "list")
	st, err := store.Open(storeDir(c.dataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	c.fails("in use by another process", "agent", "list")
	t.Logf("locked store reported after %s", time.Since(start))
}

func TestCLIRun(t *testing.T) {
	c := &cliRun{t: t, bin: buildBinary(t), dataDir: t.TempDir()}
	compute := filepath.Join("..", "..", "plugins", "examples", "compute", "compute.wasm")
	for _, tt := range []struct {
		fn, args, want string
	}{
		{"add", "27,3", "30"},
		{"add", "-5,3", "-2"},
		{"add", "2147483647,1", "-2147483648"},
		{"add", "4294967295,0", "-1"},
		{"fib", "90", "2880067194370816120"},
		{"fib", "93", "-6246583658587674878"},
	} {
		for _, e := range []string{"compiler", "interpreter"} {
			out := strings.TrimSpace(c.ok("run", compute, "--func", tt.fn, "--args", tt.args, "--engine", e))
			if out != tt.want {
				t.Fatalf("run %s(%s) on %s = %q, want %q", tt.fn, tt.args, e, out, tt.want)
			}
		}
	}
	var res struct {
		Results []string `json:"results"`
		Engine  string   `json:"engine"`
	}
	c.json(&res, "run", compute, "--func", "add", "--args", "1,2")
	if len(res.Results) != 1 || res.Results[0] != "3" || res.Engine != "compiler" {
		t.Fatalf("json run: %+v", res)
	}
	faults := filepath.Join("..", "..", "plugins", "testdata", "faults.wasm")
	c.fails("kernel host function unavailable", "run", faults, "--func", "trap")
	c.fails("memory limit exceeded", "run", faults, "--func", "grow", "--memory-pages", "4")
	c.fails("deadline", "run", faults, "--func", "loop", "--deadline", "100ms")
	c.fails("takes 2 arguments", "run", compute, "--func", "add", "--args", "1")
	c.fails("not an i32", "run", compute, "--func", "add", "--args", "1,x")
	c.fails("no exported function", "run", compute, "--func", "nope")
	c.fails("--func", "run", compute)
	c.fails("unknown engine", "run", compute, "--func", "add", "--args", "1,2", "--engine", "jit")
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	os.WriteFile(bad, []byte("not wasm"), 0o644)
	c.fails("invalid wasm module", "run", bad, "--func", "f")
}

// TestCLICrash kills exec processes at arbitrary moments (SIGKILL) and
// checks that the store reopens and that no acknowledged execute is lost:
// the counter ends between the number of acknowledged increments and that
// number plus the killed ones (a killed process may have committed just
// before it died).
func TestCLICrash(t *testing.T) {
	c := &cliRun{t: t, bin: buildBinary(t), dataDir: t.TempDir()}
	work := t.TempDir()
	ex := filepath.Join("..", "..", "plugins", "examples", "counter", "counter.wasm")
	c.ok("plugin", "sign", ex, "--key", mustKey(c), "--out", filepath.Join(work, "c.json"))
	c.ok("plugin", "install", ex, "--manifest", filepath.Join(work, "c.json"))
	var a struct {
		ID string `json:"id"`
	}
	c.json(&a, "agent", "spawn")
	c.ok("agent", "attach", a.ID, "counter")
	acked, killed := 0, 0
	for i := 0; i < 30; i++ {
		cmd := exec.Command(c.bin, "--data-dir", c.dataDir, "agent", "exec", a.ID, "increment")
		if i%3 != 2 {
			if err := cmd.Run(); err != nil {
				t.Fatalf("exec %d: %v", i, err)
			}
			acked++
			continue
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration((i*37)%150) * time.Millisecond)
		cmd.Process.Kill()
		if err := cmd.Wait(); err == nil {
			acked++ // it finished before the kill
		} else {
			killed++
		}
	}
	var r struct {
		Output string `json:"output"`
	}
	c.json(&r, "agent", "exec", a.ID, "get")
	var n int
	fmt.Sscan(r.Output, &n)
	if n < acked || n > acked+killed {
		t.Fatalf("count %d after %d acknowledged and %d killed increments", n, acked, killed)
	}
	t.Logf("count %d: %d acknowledged, %d killed", n, acked, killed)
}

func mustKey(c *cliRun) string {
	var key struct {
		Private string `json:"private_key_file"`
	}
	c.json(&key, "key", "generate")
	return key.Private
}
