package trace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const bulkSize = 65536 // bulk.wat's memory: one page

// TestBulkMemoryAgree runs memory.copy and memory.fill on the tracer and both
// wazero engines (results, traps, final memory), with segments of 1, 7 and
// the default capacity, and checks every trace with Verify.
func TestBulkMemoryAgree(t *testing.T) {
	bin := mustRead(t, "bulk.wasm")
	tests := []struct {
		export string
		args   []uint64
		trap   TrapKind
	}{
		{"copy", []uint64{100, 0, 16}, TrapNone},           // forward, disjoint (dst > src: descending)
		{"copy", []uint64{0, 100, 16}, TrapNone},           // dst < src: ascending
		{"copy", []uint64{0, 4, 12}, TrapNone},             // overlapping, dst < src
		{"copy", []uint64{4, 0, 12}, TrapNone},             // overlapping, dst > src
		{"copy", []uint64{7, 7, 9}, TrapNone},              // onto itself
		{"copy", []uint64{2000, 500, 3000}, TrapNone},      // several chunks
		{"copy", []uint64{bulkSize - 16, 0, 16}, TrapNone}, // to the very end
		{"copy", []uint64{0, bulkSize - 16, 16}, TrapNone}, // from the very end
		{"copy", []uint64{bulkSize, 0, 0}, TrapNone},       // n = 0 at dst == size
		{"copy", []uint64{0, bulkSize, 0}, TrapNone},       // n = 0 at src == size
		{"copy", []uint64{bulkSize + 1, 0, 0}, TrapOutOfBoundsMemory},
		{"copy", []uint64{0, bulkSize + 1, 0}, TrapOutOfBoundsMemory},
		{"copy", []uint64{bulkSize - 15, 0, 16}, TrapOutOfBoundsMemory}, // dst
		{"copy", []uint64{0, bulkSize - 15, 16}, TrapOutOfBoundsMemory}, // src
		{"copy", []uint64{0, 0, bulkSize + 1}, TrapOutOfBoundsMemory},   // n
		{"copy", []uint64{0xFFFFFFFF, 0, 2}, TrapOutOfBoundsMemory},     // dst+n wraps in 32 bits
		{"copy", []uint64{0, 0xFFFFFFFF, 2}, TrapOutOfBoundsMemory},     // src+n wraps in 32 bits
		{"fill", []uint64{10, 0x1AB, 20}, TrapNone},                     // only the low byte 0xAB
		{"fill", []uint64{1000, 0xFFFFFF05, 100}, TrapNone},             // crosses a chunk
		{"fill", []uint64{bulkSize - 6, 7, 6}, TrapNone},                // to the very end
		{"fill", []uint64{bulkSize, 1, 0}, TrapNone},                    // n = 0 at dst == size
		{"fill", []uint64{0, 0x55, bulkSize}, TrapNone},                 // all of memory
		{"fill", []uint64{bulkSize + 1, 1, 0}, TrapOutOfBoundsMemory},
		{"fill", []uint64{bulkSize - 5, 1, 6}, TrapOutOfBoundsMemory},
		{"fill", []uint64{0, 1, bulkSize + 1}, TrapOutOfBoundsMemory},
		{"fill", []uint64{0xFFFFFFF0, 1, 0x20}, TrapOutOfBoundsMemory},
		{"mix", nil, TrapNone},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s%v", tt.export, tt.args), func(t *testing.T) {
			caps := []int{1, 7, DefaultSegmentCapacity}
			if tt.args != nil && tt.args[2] > 4096 {
				caps = caps[1:] // the same rows; only fewer segments
			}
			for _, segCap := range caps {
				tr := agree(t, bin, tt.export, tt.args, nil, WithSegmentCapacity(segCap))
				if tr.Trap != tt.trap {
					t.Fatalf("trap %v, want %v", tr.Trap, tt.trap)
				}
				if err := tr.Verify(); err != nil {
					t.Fatalf("segment capacity %d: %v", segCap, err)
				}
				if n := tr.Summarize().Families["memory"]; n == 0 {
					t.Fatalf("summary counts no memory-family steps: %v", tr.Summarize().Families)
				}
			}
		})
	}
}

// bulkRow runs a call of bulk.wasm and returns its bulk-memory row and that
// row's accesses.
func bulkRow(t *testing.T, export string, args ...uint64) (*Trace, *Row, []Access) {
	t.Helper()
	tr, err := Run(context.Background(), decodeFile(t, "bulk.wasm"), export, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &tr.Segments[0]
	for i := range s.Rows {
		if r := &s.Rows[i]; r.Op == OpMemoryCopy || r.Op == OpMemoryFill {
			return tr, r, s.Accesses[r.Acc : r.Acc+r.NAcc]
		}
	}
	t.Fatal("no bulk-memory row")
	return nil, nil, nil
}

// TestBulkMemoryRows pins the row fields and the access order of
// docs/TRACE.md, which the circuits rely on.
func TestBulkMemoryRows(t *testing.T) {
	type a struct {
		addr  uint32
		val   uint64
		write bool
	}
	check := func(t *testing.T, r *Row, acc []Access, dst, b, n uint64, want []a) {
		t.Helper()
		if r.A != dst || r.B != b || r.C != n || r.R != 0 || r.Imm != 0 || r.SPAfter != r.SP-3 {
			t.Fatalf("row %+v, want A=%d B=%d C=%d R=0 Imm=0 SPAfter=SP-3", *r, dst, b, n)
		}
		if len(acc) != 3+len(want) {
			t.Fatalf("%d accesses, want %d", len(acc), 3+len(want))
		}
		for i, v := range []uint64{dst, b, n} {
			if x := acc[i]; x.Space != SpaceStack || x.Write || x.Width != 8 || x.Addr != r.SP-3+uint32(i) || x.Value != v {
				t.Fatalf("access %d = %+v, want the read of stack[%d] = %d", i, x, r.SP-3+uint32(i), v)
			}
		}
		for i, w := range want {
			x := acc[3+i]
			if x.Space != SpaceMemory || x.Width != 1 || x.Addr != w.addr || x.Value != w.val || x.Write != w.write || x.TS != acc[0].TS+3+uint64(i) {
				t.Fatalf("byte access %d = %+v, want %+v", i, x, w)
			}
		}
	}
	t.Run("copy dst > src descends", func(t *testing.T) {
		tr, r, acc := bulkRow(t, "copy", 4, 0, 3)
		check(t, r, acc, 4, 0, 3, []a{{2, 3, false}, {6, 3, true}, {1, 2, false}, {5, 2, true}, {0, 1, false}, {4, 1, true}})
		if r.NextPC != r.PC+1 || !bytes.Equal(tr.FinalMemory[:8], []byte{1, 2, 3, 4, 1, 2, 3, 8}) {
			t.Fatalf("next pc %d (pc %d), memory %v", r.NextPC, r.PC, tr.FinalMemory[:8])
		}
	})
	t.Run("copy dst < src ascends", func(t *testing.T) {
		tr, r, acc := bulkRow(t, "copy", 0, 2, 3)
		check(t, r, acc, 0, 2, 3, []a{{2, 3, false}, {0, 3, true}, {3, 4, false}, {1, 4, true}, {4, 5, false}, {2, 5, true}})
		if !bytes.Equal(tr.FinalMemory[:6], []byte{3, 4, 5, 4, 5, 6}) {
			t.Fatalf("memory %v", tr.FinalMemory[:6])
		}
	})
	t.Run("fill writes the low byte", func(t *testing.T) {
		_, r, acc := bulkRow(t, "fill", 9, 0x1AB, 2)
		check(t, r, acc, 9, 0x1AB, 2, []a{{9, 0xAB, true}, {10, 0xAB, true}})
	})
	for _, c := range []struct {
		export string
		args   []uint64
	}{
		{"copy", []uint64{bulkSize - 1, 0, 2}},
		{"copy", []uint64{0, bulkSize - 1, 2}},
		{"copy", []uint64{bulkSize + 1, 0, 0}},
		{"fill", []uint64{bulkSize - 1, 1, 2}},
	} {
		t.Run(fmt.Sprintf("trap %s%v", c.export, c.args), func(t *testing.T) {
			tr, r, acc := bulkRow(t, c.export, c.args...)
			check(t, r, acc, c.args[0], c.args[1], c.args[2], nil)
			if tr.Trap != TrapOutOfBoundsMemory || r.NextPC != HaltPC || !bytes.Equal(tr.FinalMemory, tr.InitialMemory) {
				t.Fatalf("trap %v, next pc %d, memory changed %v", tr.Trap, r.NextPC, !bytes.Equal(tr.FinalMemory, tr.InitialMemory))
			}
		})
	}
	t.Run("n = 0 at the end", func(t *testing.T) {
		tr, r, acc := bulkRow(t, "copy", bulkSize, bulkSize, 0)
		check(t, r, acc, bulkSize, bulkSize, 0, nil)
		if tr.Status != Returned || r.NextPC != r.PC+1 {
			t.Fatalf("status %v, next pc %d", tr.Status, r.NextPC)
		}
	})
}

// TestVerifyRejectsBulkTampering: Verify re-checks every byte access of a
// bulk-memory row, its order and the bounds.
func TestVerifyRejectsBulkTampering(t *testing.T) {
	// nthBulk returns the accesses of the k-th bulk-memory row of "mix".
	mix := func(t *testing.T) *Trace {
		tr, err := Run(context.Background(), decodeFile(t, "bulk.wasm"), "mix", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Verify(); err != nil {
			t.Fatalf("untampered trace: %v", err)
		}
		return tr
	}
	nthBulk := func(tr *Trace, k int) (*Row, []Access) {
		s := &tr.Segments[0]
		for i := range s.Rows {
			if r := &s.Rows[i]; r.Op == OpMemoryCopy || r.Op == OpMemoryFill {
				if k == 0 {
					return r, s.Accesses[r.Acc : r.Acc+r.NAcc]
				}
				k--
			}
		}
		t.Fatal("no such bulk-memory row")
		return nil, nil
	}
	tests := map[string]func(tr *Trace){
		"fill byte value": func(tr *Trace) { _, acc := nthBulk(tr, 0); acc[3+50].Value = 0xAC },
		"fill full value": func(tr *Trace) { _, acc := nthBulk(tr, 0); acc[3].Value = 0x1AB },
		"fill address":    func(tr *Trace) { _, acc := nthBulk(tr, 0); acc[4].Addr = acc[3].Addr },
		"fill width":      func(tr *Trace) { _, acc := nthBulk(tr, 0); acc[3].Width = 2 },
		"copy write value": func(tr *Trace) {
			_, acc := nthBulk(tr, 2)
			acc[4].Value ^= 1
		},
		"copy read address": func(tr *Trace) {
			_, acc := nthBulk(tr, 2)
			acc[3].Addr++
		},
		"copy write address": func(tr *Trace) {
			_, acc := nthBulk(tr, 2)
			acc[4].Addr++
		},
		"copy read as write": func(tr *Trace) {
			_, acc := nthBulk(tr, 2)
			acc[3].Write = true
		},
		// copy(20, 2, 14) does not overlap, so the ascending order leaves
		// the same memory: only the order check sees it.
		"copy order": func(tr *Trace) {
			r, acc := nthBulk(tr, 2)
			if r.A != 20 || r.B != 2 {
				panic("mix changed")
			}
			pairs := acc[3:]
			for i, j := 0, len(pairs)/2-1; i < j; i, j = i+1, j-1 {
				for _, o := range []int{0, 1} {
					a, b := &pairs[2*i+o], &pairs[2*j+o]
					a.Addr, b.Addr, a.Value, b.Value = b.Addr, a.Addr, b.Value, a.Value
				}
			}
		},
		"copy count": func(tr *Trace) { r, _ := nthBulk(tr, 2); r.C-- },
		"copy operand": func(tr *Trace) {
			r, acc := nthBulk(tr, 2)
			r.B++
			acc[1].Value++
		},
		"copy result": func(tr *Trace) { r, _ := nthBulk(tr, 2); r.R = 1 },
	}
	for name, tamper := range tests {
		t.Run(name, func(t *testing.T) {
			tr := mix(t)
			tamper(tr)
			if err := tr.Verify(); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("tampered trace accepted: %v", err)
			}
		})
	}
	t.Run("copy order alone breaks only the order", func(t *testing.T) {
		tr := mix(t)
		tests["copy order"](tr)
		err := tr.Verify()
		if err == nil || !strings.Contains(err.Error(), "byte access") {
			t.Fatalf("err = %v, want the byte-access order check", err)
		}
	})
}

// TestCheckBulkBounds: a bulk-memory row traps exactly when its range leaves
// memory (in 64 bits), and a trapping row accesses no memory.
func TestCheckBulkBounds(t *testing.T) {
	stackReads := func(r *Row) []Access {
		var acc []Access
		for i, v := range []uint64{r.A, r.B, r.C} {
			acc = rd(acc, 0, SpaceStack, r.SP-3+uint32(i), v)
		}
		return acc
	}
	row := func(op Op, dst, b, n uint64, trap bool) *Row {
		r := &Row{PC: 5, Op: op, SP: 10, SPAfter: 7, NextPC: 6, A: dst, B: b, C: n}
		if trap {
			r.NextPC = HaltPC
		}
		return r
	}
	const size = 2 * pageSize
	tests := []struct {
		name string
		row  *Row
		ok   bool
	}{
		{"copy n=0 at the end", row(OpMemoryCopy, size, size, 0, false), true},
		{"fill n=0 at the end", row(OpMemoryFill, size, 3, 0, false), true},
		{"copy n=0 past the end must trap", row(OpMemoryCopy, size+1, 0, 0, false), false},
		{"copy n=0 past the end traps", row(OpMemoryCopy, size+1, 0, 0, true), true},
		{"copy src past the end traps", row(OpMemoryCopy, 0, size+1, 0, true), true},
		{"fill past the end traps", row(OpMemoryFill, size, 0, 1, true), true},
		{"fill wrap in 32 bits traps", row(OpMemoryFill, 0xFFFFFFFF, 0, 2, true), true},
		{"fill wrap in 32 bits must trap", row(OpMemoryFill, 0xFFFFFFFF, 0, 2, false), false},
		{"copy in bounds must not trap", row(OpMemoryCopy, size, 0, 0, true), false},
		{"fill src ignored", row(OpMemoryFill, 0, size+100, 0, false), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBulk(tt.row, stackReads(tt.row), size)
			if (err == nil) != tt.ok {
				t.Fatalf("checkBulk = %v, want ok %v", err, tt.ok)
			}
		})
	}
	t.Run("trapping row with a memory access", func(t *testing.T) {
		r := row(OpMemoryFill, size, 0, 1, true)
		acc := memAcc(stackReads(r), 0, size-1, 1, 0, true)
		if err := checkBulk(r, acc, size); err == nil {
			t.Fatal("accepted")
		}
	})
}

// patchLongTableIndex re-encodes bulk.wasm's call_indirect table index as
// the two-byte LEB 0x80 0x00 in place of "0x00 nop".
func patchLongTableIndex(t *testing.T, bin []byte, with []byte) []byte {
	t.Helper()
	pat := []byte{0x11, 0x00, 0x00, 0x01, 0x0B}
	if bytes.Count(bin, pat) != 1 {
		t.Fatal("bulk.wasm: call_indirect; nop; end not found exactly once")
	}
	i := bytes.Index(bin, pat)
	out := append([]byte(nil), bin...)
	copy(out[i+2:], with)
	return out
}

// TestCallIndirectLongTableIndex: the reference-types encoding of
// call_indirect's table index (a u32 LEB, here 0x80 0x00) decodes, traces
// and agrees with wazero; a table index other than 0 is invalid.
func TestCallIndirectLongTableIndex(t *testing.T) {
	bin := patchLongTableIndex(t, mustRead(t, "bulk.wasm"), []byte{0x80, 0x00})
	m, err := Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCallProvable(m, "indirect"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []uint64
		want uint64
		trap TrapKind
	}{
		{[]uint64{0, 5, 3}, 8, TrapNone},
		{[]uint64{1, 5, 3}, 2, TrapNone},
		{[]uint64{2, 5, 3}, 0, TrapInvalidTableAccess},
	} {
		tr := agree(t, bin, "indirect", c.args, nil)
		if tr.Trap != c.trap || c.trap == TrapNone && tr.Results[0] != c.want {
			t.Fatalf("indirect%v = %v trap %v, want %d trap %v", c.args, tr.Results, tr.Trap, c.want, c.trap)
		}
		if err := tr.Verify(); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Decode(patchLongTableIndex(t, mustRead(t, "bulk.wasm"), []byte{0x81, 0x00}))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "unknown table 1") {
		t.Fatalf("table index 1: %v", err)
	}
}

// TestBulkMemoryDecode: the immediates and operand types of memory.copy and
// memory.fill are validated; the other 0xFC instructions stay unprovable.
func TestBulkMemoryDecode(t *testing.T) {
	// module: type () -> (), one function, optional memory, body.
	mod := func(memory bool, body ...byte) []byte {
		b := header([]byte{1, 4, 1, 0x60, 0, 0}, []byte{3, 2, 1, 0})
		if memory {
			b = append(b, 5, 3, 1, 0, 1)
		}
		body = append([]byte{0}, append(body, 0x0B)...)
		code := append([]byte{1, byte(len(body))}, body...)
		return append(b, append([]byte{10, byte(len(code))}, code...)...)
	}
	three := []byte{0x41, 1, 0x41, 2, 0x41, 3}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	tests := []struct {
		name string
		bin  []byte
		kind error  // nil: decodes
		msg  string // in the error, or in the provability error when prov
		prov bool   // decodes but is unprovable
		op   Op     // decodes to this instruction
	}{
		{"copy", mod(true, cat(three, []byte{0xFC, 10, 0, 0})...), nil, "", false, OpMemoryCopy},
		{"fill", mod(true, cat(three, []byte{0xFC, 11, 0})...), nil, "", false, OpMemoryFill},
		{"copy long memory index", mod(true, cat(three, []byte{0xFC, 10, 0x80, 0, 0})...), nil, "", false, OpMemoryCopy},
		{"copy memory 1", mod(true, cat(three, []byte{0xFC, 10, 0, 1})...), ErrInvalid, "unknown memory 1", false, 0},
		{"fill memory 1", mod(true, cat(three, []byte{0xFC, 11, 1})...), ErrInvalid, "unknown memory 1", false, 0},
		{"copy without memory", mod(false, cat(three, []byte{0xFC, 10, 0, 0})...), ErrInvalid, "unknown memory 0", false, 0},
		{"fill without memory", mod(false, cat(three, []byte{0xFC, 11, 0})...), ErrInvalid, "unknown memory 0", false, 0},
		{"copy i64 operand", mod(true, 0x41, 1, 0x41, 2, 0x42, 3, 0xFC, 10, 0, 0), ErrInvalid, "type mismatch", false, 0},
		{"fill two operands", mod(true, 0x41, 1, 0x41, 2, 0xFC, 11, 0), ErrInvalid, "type mismatch", false, 0},
		{"copy memory index too long", mod(true, cat(three, []byte{0xFC, 10, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0})...), ErrMalformed, "", false, 0},
		{"data.drop stays unprovable", mod(true, 0xFC, 9, 0), nil, "bulk-memory", true, 0},
		{"table.size stays unprovable", mod(true, 0xFC, 16, 0, 0x1A), nil, "bulk-memory", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.bin)
			if tt.kind != nil {
				var de *DecodeError
				if !errors.As(err, &de) || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("err = %v, want %v containing %q", err, tt.kind, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			perr := CheckProvable(m)
			if tt.prov {
				if !errors.Is(perr, ErrUnprovable) || !strings.Contains(perr.Error(), tt.msg) {
					t.Fatalf("CheckProvable = %v, want unprovable %q", perr, tt.msg)
				}
				return
			}
			if perr != nil {
				t.Fatal(perr)
			}
			code := m.Program.Code
			in := code[len(code)-2]
			if in.Op != tt.op || in.Imm != 0 || in.Target != 0 || in.Height != 0 || in.Op.String() != map[Op]string{OpMemoryCopy: "memory.copy", OpMemoryFill: "memory.fill"}[tt.op] {
				t.Fatalf("instruction %+v (%v), want %v with zero immediates", in, in.Op, tt.op)
			}
		})
	}
}

// TestBulkAccessLimit: a memory.copy or memory.fill whose accesses would
// pass the segment's bound fails the run with ErrAccessLimit before it
// moves a byte; one just within the bound runs.
func TestBulkAccessLimit(t *testing.T) {
	mod, err := Decode(mustRead(t, "bulk.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		export string
		n      uint64
		max    int
		fail   bool
	}{
		{"copy", 1000, 2003, false}, // 3 stack reads + 2 per byte
		{"copy", 1000, 2002, true},
		{"fill", 1000, 1003, false},
		{"fill", 1000, 1002, true},
	} {
		args := []uint64{0, 5000, tc.n}
		if tc.export == "fill" {
			args[1] = 7
		}
		_, err := Run(context.Background(), mod, tc.export, args, nil, WithMaxSegmentAccesses(tc.max), WithSegmentCapacity(1))
		var le *LimitError
		switch {
		case tc.fail && (!errors.Is(err, ErrAccessLimit) || !errors.As(err, &le) || le.Max != uint64(tc.max)):
			t.Errorf("%s of %d bytes under %d accesses: got %v, want ErrAccessLimit", tc.export, tc.n, tc.max, err)
		case !tc.fail && err != nil:
			t.Errorf("%s of %d bytes under %d accesses: %v", tc.export, tc.n, tc.max, err)
		}
	}
}

// TestBulkAccessLimitCutsSegments: bulk operations that each fit the
// per-segment access bound but together do not start segments of their own,
// rather than fail a valid run: mix's eight operations (fill 100 bytes, five
// copies) under a bound of 150 accesses return what they return unbounded,
// verify, and no segment records more than 150 accesses.
func TestBulkAccessLimitCutsSegments(t *testing.T) {
	mod, err := Decode(mustRead(t, "bulk.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Run(context.Background(), mod, "mix", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const max = 150
	tr, err := Run(context.Background(), mod, "mix", nil, nil, WithMaxSegmentAccesses(max))
	if err != nil {
		t.Fatalf("mix under %d accesses per segment: %v", max, err)
	}
	if tr.Status != want.Status || tr.Results[0] != want.Results[0] || tr.Steps != want.Steps {
		t.Fatalf("bounded run %s %v after %d steps, unbounded %s %v after %d", tr.Status, tr.Results, tr.Steps, want.Status, want.Results, want.Steps)
	}
	if err := tr.Verify(); err != nil {
		t.Fatal(err)
	}
	for k := range tr.Segments {
		if n := len(tr.Segments[k].Accesses); n > max {
			t.Errorf("segment %d records %d accesses > %d", k, n, max)
		}
	}
	if len(tr.Segments) <= len(want.Segments) {
		t.Fatalf("%d segments bounded, %d unbounded: the bound cut none", len(tr.Segments), len(want.Segments))
	}
	t.Logf("%d segments under %d accesses each (%d unbounded)", len(tr.Segments), max, len(want.Segments))
}
