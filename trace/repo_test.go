package trace

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// repoModules are the committed example and test modules of the whole
// repository (other packages' testdata, plugin examples, benchmark programs).
func repoModules(t *testing.T) []string {
	var files []string
	for _, pat := range []string{"../*/testdata/*.wasm", "../*/*/testdata/*.wasm", "../plugins/examples/*/*.wasm", "../bench/programs/*.wasm"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	sort.Strings(files)
	return files
}

// TestAgreeRepositoryModules calls every provable export of every example
// and test module in the repository on the tracer and both wazero engines:
// integer exports with a few small arguments, I/O methods with a few inputs.
func TestAgreeRepositoryModules(t *testing.T) {
	files := repoModules(t)
	if len(files) == 0 {
		t.Skip("no modules outside trace/ yet")
	}
	var calls, skipped, unprovable int
	for _, file := range files {
		bin := mustReadPath(t, file)
		m, err := Decode(bin)
		if err != nil {
			// Only modules wazero accepts must decode, except the documented
			// gap: several tables (kernel/testdata/twotables.wat exists to
			// test that the kernel refuses to prove such a plugin).
			if _, werr := runWazeroCompileOnly(bin); werr == nil && !strings.Contains(err.Error(), "multiple tables") {
				t.Errorf("%s: wazero accepts it, we reject it: %v", file, err)
			}
			continue
		}
		for _, e := range m.Exports {
			if e.Kind != ExternFunc {
				continue
			}
			if CheckCallProvable(m, e.Name) != nil {
				unprovable++
				continue
			}
			ft := m.FuncType(e.Index)
			var argSets [][]uint64
			var inputs [][]byte
			if len(ft.Params) == 0 {
				inputs = [][]byte{nil, []byte("hello, world"), []byte{0, 1, 2, 0xFF}}
			} else {
				inputs = [][]byte{nil}
			}
			for _, a := range []uint64{0, 1, 7, 0xFFFFFFFF} {
				args := make([]uint64, len(ft.Params))
				for i := range args {
					args[i] = a
				}
				argSets = append(argSets, args)
				if len(args) == 0 {
					break
				}
			}
			for _, args := range argSets {
				for _, in := range inputs {
					name := fmt.Sprintf("%s/%s%v/%q", filepath.Base(file), e.Name, args, in)
					_, err := Run(context.Background(), m, e.Name, args, in, WithMaxSteps(2_000_000), WithMaxMemoryPages(64), WithSegmentHandler(func(*Segment) error { return nil }))
					if errors.Is(err, ErrStepLimit) || errors.Is(err, ErrMemoryLimit) || errors.Is(err, ErrInstantiate) {
						skipped++
						continue
					}
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					calls++
					t.Run(name, func(t *testing.T) {
						tr := agree(t, bin, e.Name, args, in, WithSegmentCapacity(4096))
						if err := tr.Verify(); err != nil {
							t.Fatal(err)
						}
					})
				}
			}
		}
	}
	t.Logf("%d modules: %d calls agreed on tracer and both wazero engines; %d skipped (over 2 M steps or 64 pages); %d exports not provable", len(files), calls, skipped, unprovable)
}
