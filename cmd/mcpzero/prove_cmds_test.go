package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/circuits"
	"github.com/mcpzero/mcpzero/verifier"
)

// runCLI runs the mcpzero app in-process with args.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	app := newApp()
	var out, errw bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errw
	err = app.Run(append([]string{"mcpzero"}, args...))
	return out.String(), errw.String(), err
}

func TestProveRefusesUnprovable(t *testing.T) {
	keys := t.TempDir()
	_, _, err := runCLI(t, "prove", "../../prover/testdata/float.wasm", "--func", "half", "--args", "3", "--keys-dir", keys)
	if err == nil || !strings.Contains(err.Error(), "not provable") || !strings.Contains(err.Error(), "f32.mul") {
		t.Fatalf("got %v, want the provability check's message", err)
	}
	if ents, _ := os.ReadDir(keys); len(ents) != 0 {
		t.Fatal("keys touched for an unprovable module")
	}
}

func TestProveBadUsage(t *testing.T) {
	cases := map[string][]string{
		"--func NAME is required": {"prove", "../../prover/testdata/add.wasm"},
		"takes 2 argument(s)":     {"prove", "../../prover/testdata/add.wasm", "--func", "add", "--args", "1"},
		"no such export":          {"prove", "../../prover/testdata/add.wasm", "--func", "nope"},
		"want exactly one":        {"prove", "--func", "add"},
		"unknown proof backend":   {"prove", "../../prover/testdata/add.wasm", "--func", "add", "--backend", "stark"},
		"no such file":            {"prove", "missing.wasm", "--func", "add"},
	}
	for want, args := range cases {
		_, _, err := runCLI(t, append(args, "--keys-dir", t.TempDir())...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: got %v, want %q", args, err, want)
		}
	}
}

func TestSetupShowEmpty(t *testing.T) {
	keys := t.TempDir()
	// Only the smallest shape: compiling the big ones takes minutes.
	small := circuits.Shapes()[0].ID()
	out, _, err := runCLI(t, "--json", "setup", "--show", "--shape", small, "--keys-dir", keys)
	if err != nil {
		t.Fatal(err)
	}
	var r setupReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(r.Shapes) != 1 || r.Shapes[0].Shape != small || r.KeySet != nil {
		t.Fatalf("report %+v", r)
	}
	for _, s := range r.Shapes {
		if s.Present || s.Constraints == 0 {
			t.Fatalf("shape %+v", s)
		}
	}
	if _, _, err := runCLI(t, "setup", "--show", "--shape", small, "--keys-dir", keys, "--export-vk", filepath.Join(keys, "x.vks")); err == nil {
		t.Fatal("--export-vk with no keys succeeded")
	}
	pk := filepath.Join(keys, "pk")
	os.WriteFile(pk, []byte("x"), 0o644)
	if _, _, err := runCLI(t, "setup", "--import-pk", pk, "--keys-dir", keys); err == nil || !strings.Contains(err.Error(), "exactly one shape") {
		t.Fatalf("import without shape and vk: %v", err)
	}
	if _, _, err := runCLI(t, "setup", "--shape", small, "--import-pk", pk, "--import-vk", pk, "--keys-dir", keys); err == nil || !strings.Contains(err.Error(), "imported keys do not fit") {
		t.Fatalf("import of garbage: %v", err)
	}
	if _, _, err := runCLI(t, "setup", "--show", "--shape", "nope", "--keys-dir", keys); err == nil || !strings.Contains(err.Error(), "unknown shape") {
		t.Fatalf("unknown shape: %v", err)
	}
}

func TestVerifyInspectGolden(t *testing.T) {
	out, _, err := runCLI(t, "verify", "../../verifier/testdata/toy.proof", "--vk", "../../verifier/testdata/toy.vks")
	if err != nil || !strings.Contains(out, "VALID") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	_, _, err = runCLI(t, "verify", "../../verifier/testdata/toy.proof", "--vk", "../../verifier/testdata/other.vks")
	if err == nil || !strings.Contains(err.Error(), "NOT VALID") {
		t.Fatalf("verify with another key: %v", err)
	}
	_, _, err = runCLI(t, "verify", "../../verifier/testdata/toy.proof", "--vk", "../../verifier/testdata/toy.vks", "--module", "../../prover/testdata/add.wasm")
	if err == nil || !strings.Contains(err.Error(), "module commitment mismatch") {
		t.Fatalf("verify --module of another module: %v", err)
	}
	out, _, err = runCLI(t, "inspect", "../../verifier/testdata/toy.proof")
	if err != nil || !strings.Contains(out, "not verified") {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
}

// TestProveVerifyCLI is the operator's and the auditor's path end to end:
// setup --export-vk, prove, verify --vk --module, and a tampered copy that
// fails with one line.
func TestProveVerifyCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("sets up and proves a real shape")
	}
	keys := os.Getenv("MCPZERO_TEST_KEYS_DIR") // reuse keys while developing
	if keys == "" {
		keys = t.TempDir()
	}
	dir := t.TempDir()
	vks, proof := filepath.Join(dir, "keys.vks"), filepath.Join(dir, "run.proof")
	small := circuits.Shapes()[0].ID()
	if _, _, err := runCLI(t, "setup", "--shape", small, "--keys-dir", keys, "--export-vk", vks); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI(t, "prove", "../../prover/testdata/add.wasm", "--func", "add", "--args", "27,3", "--out", proof, "--keys-dir", keys, "--no-setup")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "result       30") || !strings.Contains(errOut, "DEV SETUP") {
		t.Fatalf("prove output:\n%s\n%s", out, errOut)
	}
	out, _, err = runCLI(t, "verify", proof, "--vk", vks, "--module", "../../prover/testdata/add.wasm")
	if err != nil || !strings.Contains(out, "VALID") || !strings.Contains(out, "(= ../../prover/testdata/add.wasm)") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "verify", proof, "--vk", vks, "--module", "../../prover/testdata/add.wasm", "--json")
	var rep struct{ Valid, ExportChecked bool }
	if err == nil {
		var m map[string]any
		err = json.Unmarshal([]byte(out), &m)
		rep.Valid, _ = m["valid"].(bool)
		rep.ExportChecked, _ = m["export_checked"].(bool)
	}
	if err != nil || !rep.Valid || !rep.ExportChecked {
		t.Fatalf("verify --module --json: %v %+v\n%s", err, rep, out)
	}
	if _, _, err := runCLI(t, "verify", proof, "--vk", vks, "--module", "../../prover/testdata/loop.wasm"); err == nil || !strings.Contains(err.Error(), "module commitment mismatch") {
		t.Fatalf("verify against another module: %v", err)
	}
	raw, _ := os.ReadFile(proof)
	// Flip a bit inside the segment proof (not in the embedded keys, which
	// a pinned key set makes irrelevant).
	var b verifier.Bundle
	if err := b.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(raw, b.Segments[0].Proof)
	if at < 0 {
		t.Fatal("proof bytes not found in the file")
	}
	raw[at+len(b.Segments[0].Proof)/2] ^= 0x10
	bad := filepath.Join(dir, "bad.proof")
	os.WriteFile(bad, raw, 0o644)
	if _, _, err := runCLI(t, "verify", bad, "--vk", vks); err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("tampered bundle: %v", err)
	}
}
