package verifycli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/verifier"
)

// The golden bundles in ../testdata are toy-circuit bundles written by
// prover's TestGoldenToyBundle -update: three chained segments with real
// statement binding, made with a dev setup.
const td = "../testdata/"

func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errw bytes.Buffer
	app := &cli.App{
		Name:           "mcpzero-verify",
		Flags:          []cli.Flag{&cli.BoolFlag{Name: "json"}},
		Commands:       []*cli.Command{VerifyCommand(Config{}), InspectCommand()},
		Writer:         &out,
		ErrWriter:      &errw,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err = app.Run(append([]string{"mcpzero-verify"}, args...))
	return out.String(), errw.String(), err
}

func TestVerifyPinned(t *testing.T) {
	out, errOut, err := run(t, "verify", td+"toy.proof", "--vk", td+"toy.vks")
	if err != nil {
		t.Fatalf("valid bundle: %v", err)
	}
	for _, want := range []string{"VALID", "function    #1 \"run\"", "arguments   27, 3", "results     30", "steps       15 in 3 segment(s)", "(pinned)", "setup       dev"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "DEV SETUP") {
		t.Errorf("dev setup not flagged on stderr: %q", errOut)
	}
}

func TestVerifyJSONAndEmbedded(t *testing.T) {
	out, _, err := run(t, "verify", td+"toy-embedded.proof", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !r.Valid || r.Pinned || r.ExportCheck || r.Steps != 15 || len(r.Segments) != 3 || !strings.Contains(strings.Join(r.Warnings, ";"), "NOT PINNED") {
		t.Fatalf("report %+v", r)
	}
}

func TestVerifyFailures(t *testing.T) {
	raw, err := os.ReadFile(td + "toy.proof")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	var b verifier.Bundle
	if err := b.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	b.Segments[1].Proof[5] ^= 0x40
	flipped, _ := b.MarshalBinary()
	b.UnmarshalBinary(raw)
	b.Statement.Results[0] = 31
	lied, _ := b.MarshalBinary()

	cases := []struct {
		name string
		args []string
		want error
		text string
	}{
		{"flipped proof byte", []string{"--vk", td + "toy.vks", write("f.proof", flipped)}, nil, "segment 1"},
		{"changed result", []string{"--vk", td + "toy.vks", write("l.proof", lied)}, verifier.ErrStatement, "NOT VALID"},
		{"other key", []string{"--vk", td + "other.vks", td + "toy.proof"}, verifier.ErrKeyMismatch, "pinned key"},
		{"no key", []string{td + "toy.proof"}, verifier.ErrKeyMismatch, "no verifying key"},
		{"empty --vk", []string{"--vk", "", td + "toy-embedded.proof"}, nil, "empty path"}, // not the embedded keys
		{"ceremony required", []string{"--require-ceremony", "--vk", td + "toy.vks", td + "toy.proof"}, verifier.ErrDevSetup, "dev setup"},
		{"garbage", []string{"--vk", td + "toy.vks", write("g.proof", []byte("hello"))}, verifier.ErrEncoding, "bad magic"},
		{"truncated", []string{"--vk", td + "toy.vks", write("t.proof", raw[:len(raw)-3])}, verifier.ErrEncoding, "truncated"},
		{"module without support", []string{"--module", "x.wasm", "--vk", td + "toy.vks", td + "toy.proof"}, nil, "use `mcpzero verify --module`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := run(t, append([]string{"verify"}, c.args...)...)
			if err == nil {
				t.Fatalf("verified:\n%s", out)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.text) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("message %q should be one line containing %q", err, c.text)
			}
			if strings.Contains(out, "VALID") {
				t.Fatalf("printed VALID on failure: %s", out)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	out, _, err := run(t, "inspect", td+"toy-embedded.proof")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "not verified") || !strings.Contains(out, "DEV SETUP") {
		t.Fatalf("inspect output:\n%s", out)
	}
	out, _, err = run(t, "--json", "inspect", td+"toy.proof")
	var r Report
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.Valid || r.Export != "run" {
		t.Fatalf("inspect --json: %v\n%s", err, out)
	}
	if _, _, err := run(t, "inspect"); err == nil {
		t.Fatal("inspect without a file succeeded")
	}
}

// TestGoldenStable: the committed bundles decode, re-encode to the same
// bytes and verify; a format change that breaks old files fails here.
func TestGoldenStable(t *testing.T) {
	for _, f := range []string{"toy.proof", "toy-embedded.proof"} {
		raw, err := os.ReadFile(td + f)
		if err != nil {
			t.Fatal(err)
		}
		var b verifier.Bundle
		if err := b.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		again, _ := b.MarshalBinary()
		if !bytes.Equal(raw, again) {
			t.Fatalf("%s: re-encoding changed the bytes", f)
		}
	}
	ks, err := verifier.ReadKeySetFile(td + "toy.vks")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(td + "toy.vks")
	again, _ := ks.MarshalBinary()
	if !bytes.Equal(raw, again) {
		t.Fatal("key set re-encoding changed the bytes")
	}
}

func TestInterspersedFlags(t *testing.T) {
	if _, _, err := run(t, "verify", td+"toy.proof", "--nope"); err == nil || !strings.Contains(err.Error(), "not defined: --nope") {
		t.Fatalf("unknown flag: %v", err)
	}
	if _, _, err := run(t, "verify", td+"toy.proof", "--vk"); err == nil || !strings.Contains(err.Error(), "needs an argument") {
		t.Fatalf("missing value: %v", err)
	}
	out, _, err := run(t, "verify", td+"toy.proof", "--vk="+td+"toy.vks", "--json=true")
	if err != nil || !strings.HasPrefix(out, "{") {
		t.Fatalf("--flag=value forms: %v\n%s", err, out)
	}
	if _, _, err := run(t, "verify", td+"toy.proof", td+"toy.proof", "--vk", td+"toy.vks"); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Fatalf("two files: %v", err)
	}
}

func TestVerifyJSONFailure(t *testing.T) {
	out, _, err := run(t, "verify", td+"toy.proof", "--vk", td+"other.vks", "--json")
	if !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("got %v", err)
	}
	var r Report
	if json.Unmarshal([]byte(out), &r) != nil || r.Valid || !strings.Contains(r.Error, "NOT VALID") {
		t.Fatalf("JSON failure report:\n%s", out)
	}
}
