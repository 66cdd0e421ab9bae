package fuel

import (
	"slices"
	"testing"
)

// TestSink: segment costs before and after sinking, on hand-assembled
// bodies (the expression after the locals). The costs always sum to the
// same total; a charge moves only across certain edges.
func TestSink(t *testing.T) {
	const (
		block, loop, if_, else_, end = 0x02, 0x03, 0x04, 0x05, 0x0b
		br, brIf, brTable, void, nop = 0x0c, 0x0d, 0x0e, 0x40, 0x01
		get0                         = 0x20
	)
	tests := []struct {
		name          string
		body          []byte
		before, after []int64
	}{
		{"while loop: the header is paid at entry and by the br back",
			[]byte{block, void, loop, void, get0, 0, 0x45, brIf, 1, get0, 1, get0, 0, 0x6a, 0x21, 1,
				get0, 0, 0x41, 1, 0x6b, 0x21, 0, br, 0, end, end, get0, 1, end},
			[]int64{2, 3, 9, 2, 2}, []int64{5, 0, 12, 2, 2}}, // the fourth: the ends after br, dead
		{"if/else join paid in both arms",
			[]byte{get0, 0, if_, void, nop, else_, nop, end, nop, end},
			[]int64{2, 2, 2, 2}, []int64{2, 4, 4, 0}},
		{"if without else keeps its join (false edge is conditional)",
			[]byte{get0, 0, if_, void, nop, end, nop, end},
			[]int64{2, 2, 2}, []int64{2, 2, 2}},
		{"block reached by br_if keeps its join",
			[]byte{block, void, get0, 0, brIf, 0, nop, end, nop, end},
			[]int64{3, 2, 2}, []int64{3, 2, 2}},
		{"block left by br: join paid by the br and the (dead) fall-through",
			[]byte{block, void, br, 0, nop, end, nop, end},
			[]int64{2, 2, 2}, []int64{4, 4, 0}},
		{"loop whose header branches to itself keeps its charge",
			[]byte{loop, void, br, 0, end, end},
			[]int64{1, 1, 2}, []int64{1, 1, 2}},
		{"loop reached by br_table keeps its charge",
			[]byte{loop, void, get0, 0, brTable, 1, 0, 1, end, end},
			[]int64{1, 2, 2}, []int64{1, 2, 2}},
		{"nested joins flow up",
			[]byte{block, void, block, void, nop, end, nop, end, nop, end},
			[]int64{4, 2, 2}, []int64{8, 0, 0}},
	}
	for _, tc := range tests {
		ins, err := decodeBody(&reader{b: tc.body, section: "code"}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		segs := segments(tc.body, ins, false)
		costs := func() []int64 {
			var c []int64
			for _, s := range segs {
				c = append(c, s.cost)
			}
			return c
		}
		if got := costs(); !slices.Equal(got, tc.before) {
			t.Fatalf("%s: segments cost %v, want %v", tc.name, got, tc.before)
		}
		sink(tc.body, ins, segs)
		if got := costs(); !slices.Equal(got, tc.after) {
			t.Errorf("%s: after sinking %v, want %v", tc.name, got, tc.after)
		}
	}
}
