package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// traceCLI runs the mcpzero app in-process.
func traceCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out, errw bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errw
	err := app.Run(append([]string{"mcpzero"}, args...))
	return out.String(), err
}

func TestTraceCommand(t *testing.T) {
	out, err := traceCLI(t, "trace", "../../trace/testdata/fib.wasm", "--func", "fib", "--args", "10", "--rows", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"returned: [55]", "steps: 1943", "control", "hottest functions", "fib", "local.get"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, err = traceCLI(t, "trace", "../../trace/testdata/io.wasm", "--func", "reverse", "--input-hex", "616263", "--json", "--rows", "2")
	if err != nil {
		t.Fatal(err)
	}
	var rep traceReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Status != "returned" || rep.Output != "636261" || len(rep.Rows) != 2 || rep.Summary.IOEvents != 5 {
		t.Fatalf("report %+v", rep)
	}
	out, err = traceCLI(t, "trace", "../../trace/testdata/traps.wasm", "--func", "div_s", "--args", "1,0")
	if err != nil || !strings.Contains(out, "trapped: integer divide by zero") {
		t.Fatalf("trap: %v\n%s", err, out)
	}
	for args, want := range map[string]string{
		"trace ../../trace/testdata/fib.wasm":                                        "--func NAME is required",
		"trace ../../trace/testdata/fib.wasm --func nope":                            "no such export",
		"trace ../../trace/testdata/fib.wasm --func fib --args 1,2":                  "takes 1 argument",
		"trace ../../trace/testdata/fib.wasm --func fib --args x":                    "not an integer",
		"trace ../../trace/testdata/fib.wasm --func fib --args 5000000000":           "not an i32",
		"trace ../../trace/testdata/loop.wasm --func loop --args 100 --max-steps 10": "step count",
		"trace ../../trace/testdata/mixed.wasm --func half --args 1":                 "not provable",
		"trace ../../trace/testdata/io.wasm --func reverse --input-hex zz":           "input-hex",
		"trace nonexistent.wasm --func f":                                            "no such file",
	} {
		if _, err := traceCLI(t, strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", args, err, want)
		}
	}
}

func TestCheckCommand(t *testing.T) {
	out, err := traceCLI(t, "check", "../../trace/testdata/fib.wasm")
	if err != nil || !strings.Contains(out, "module is provable") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = traceCLI(t, "check", "../../trace/testdata/mixed.wasm", "--json")
	if err == nil || !strings.Contains(err.Error(), "not provable") {
		t.Fatalf("err = %v", err)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Provable || len(rep.Violations) < 8 || len(rep.Exports) != 7 {
		t.Fatalf("report %+v", rep)
	}
	out, err = traceCLI(t, "check", "../../trace/testdata/mixed.wasm", "--func", "twice")
	if err != nil || !strings.Contains(out, "call of twice is provable") || !strings.Contains(out, "not provable") {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := traceCLI(t, "check", "../../trace/testdata/mixed.wat"); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("text file: %v", err)
	}
}
