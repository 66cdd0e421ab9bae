package trace

import (
	"context"
	"os"
	"testing"
)

func TestSmoke(t *testing.T) {
	for _, c := range []struct {
		file, fn string
		arg      uint64
	}{{"fib", "fib", 20}, {"loop", "loop", 1000}, {"sort", "sort", 200}} {
		b, err := os.ReadFile("testdata/" + c.file + ".wasm")
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := Run(context.Background(), m, c.fn, []uint64{c.arg}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v %v steps=%d segs=%d", c.file, tr.Status, tr.Results, tr.Steps, len(tr.Segments))
	}
}
