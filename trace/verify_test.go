package trace

import (
	"context"
	"errors"
	"testing"
)

// TestVerifyRejectsTampering: every kind of inconsistency is caught.
func TestVerifyRejectsTampering(t *testing.T) {
	fresh := func(t *testing.T) *Trace {
		tr, err := Run(context.Background(), decodeFile(t, "io.wasm"), "reverse", nil, []byte("tamper with me"), WithSegmentCapacity(16))
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Verify(); err != nil {
			t.Fatalf("untampered trace: %v", err)
		}
		if len(tr.Segments) < 3 {
			t.Fatal("want several segments")
		}
		return tr
	}
	// firstAccess returns the first access of a kind in segment 1.
	find := func(tr *Trace, ok func(a *Access) bool) *Access {
		for k := range tr.Segments {
			for i := range tr.Segments[k].Accesses {
				if a := &tr.Segments[k].Accesses[i]; ok(a) {
					return a
				}
			}
		}
		t.Fatal("no such access")
		return nil
	}
	tests := map[string]func(tr *Trace){
		"stack read value": func(tr *Trace) {
			find(tr, func(a *Access) bool { return a.Space == SpaceStack && !a.Write }).Value++
		},
		"local read value": func(tr *Trace) {
			find(tr, func(a *Access) bool { return a.Space == SpaceLocal && !a.Write }).Value ^= 4
		},
		"memory read value": func(tr *Trace) {
			find(tr, func(a *Access) bool { return a.Space == SpaceMemory && !a.Write }).Value ^= 1
		},
		"input byte": func(tr *Trace) {
			find(tr, func(a *Access) bool { return a.Space == SpaceInput }).Value ^= 1
		},
		"output position": func(tr *Trace) {
			find(tr, func(a *Access) bool { return a.Space == SpaceOutput }).Addr++
		},
		"timestamp":      func(tr *Trace) { tr.Segments[1].Accesses[2].TS++ },
		"row pc":         func(tr *Trace) { tr.Segments[1].Rows[3].PC++ },
		"row opcode":     func(tr *Trace) { tr.Segments[0].Rows[1].Op = 0x6B },
		"stack pointer":  func(tr *Trace) { tr.Segments[1].Rows[4].SP++ },
		"access range":   func(tr *Trace) { tr.Segments[1].Rows[0].NAcc++ },
		"boundary state": func(tr *Trace) { tr.Segments[1].Before.Locals[0]++ },
		"after globals":  func(tr *Trace) { tr.Segments[len(tr.Segments)-1].After.Globals[0]++ },
		"chunk before": func(tr *Trace) {
			for k := range tr.Segments {
				if len(tr.Segments[k].ChunksBefore) > 0 {
					tr.Segments[k].ChunksBefore[1024-1] ^= 1
					return
				}
			}
		},
		"chunk after": func(tr *Trace) {
			for k := range tr.Segments {
				if len(tr.Segments[k].ChunksAfter) > 0 {
					tr.Segments[k].ChunksAfter[5] ^= 1
					return
				}
			}
		},
		"final memory": func(tr *Trace) { tr.FinalMemory[70000] ^= 1 },
		"output":       func(tr *Trace) { tr.Output[0] ^= 1 },
		"steps":        func(tr *Trace) { tr.Steps++ },
		"capacity":     func(tr *Trace) { tr.Capacity = 8 },
		"first step":   func(tr *Trace) { tr.Segments[2].FirstStep++ },
		"row operand": func(tr *Trace) {
			for k := range tr.Segments {
				for i := range tr.Segments[k].Rows {
					if r := &tr.Segments[k].Rows[i]; r.Op == 0x6A {
						r.B++
						return
					}
				}
			}
		},
		"row result": func(tr *Trace) {
			for k := range tr.Segments {
				for i := range tr.Segments[k].Rows {
					if r := &tr.Segments[k].Rows[i]; r.Op == 0x20 {
						r.R++
						return
					}
				}
			}
		},
		"row immediate": func(tr *Trace) {
			for k := range tr.Segments {
				for i := range tr.Segments[k].Rows {
					if r := &tr.Segments[k].Rows[i]; r.Op == 0x2D { // i32.load8_u
						r.Imm++
						return
					}
				}
			}
		},
		"branch target": func(tr *Trace) {
			for k := range tr.Segments {
				for i := range tr.Segments[k].Rows {
					if r := &tr.Segments[k].Rows[i]; r.Op == 0x0D { // br_if
						r.A ^= 1 // the recorded condition no longer matches the path taken
						return
					}
				}
			}
		},
		"segments dropped": func(tr *Trace) {
			tr.Segments = nil
		},
	}
	for name, tamper := range tests {
		t.Run(name, func(t *testing.T) {
			tr := fresh(t)
			tamper(tr)
			if err := tr.Verify(); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("tampered trace verified: %v", err)
			}
		})
	}
}
