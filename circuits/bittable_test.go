package circuits

import (
	"fmt"
	"math/big"
	"math/bits"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// bitCells are the cells of used bitwise-table rows that the constraints
// bind: all but an i32 row's high nibbles, which no value reads.
func bitCells(w *Circuit) []wcell {
	var c []wcell
	for i := range w.Bits {
		b := &w.Bits[i]
		if toBig(b.Used).Sign() == 0 {
			continue
		}
		c = append(c, wcell{fmt.Sprintf("Bits[%d].Used", i), &b.Used}, wcell{fmt.Sprintf("Bits[%d].Op", i), &b.Op},
			wcell{fmt.Sprintf("Bits[%d].W64", i), &b.W64}, wcell{fmt.Sprintf("Bits[%d].IsPop", i), &b.IsPop})
		n := bitNibbles
		if toBig(b.W64).Sign() == 0 {
			n = 8
		}
		for j := range n {
			c = append(c, wcell{fmt.Sprintf("Bits[%d].X[%d]", i, j), &b.X[j]}, wcell{fmt.Sprintf("Bits[%d].Y[%d]", i, j), &b.Y[j]},
				wcell{fmt.Sprintf("Bits[%d].R[%d]", i, j), &b.R[j]})
		}
	}
	return c
}

// forgeBitRow rewrites used table row i into one whose every nibble lookup
// holds, with the nibble table's multiplicities moved to match: and/or/xor
// op (1..3) with IsPop 0, or, for op 4, the popcount entries of slot k
// looked up by every slot (Op 4 + 8k, IsPop 0, r_j = count/16^k). Only the
// bus can then reject it.
func forgeBitRow(w *Circuit, i, op, k int) []edit {
	b := &w.Bits[i]
	oldOp, oldPop := int(toBig(b.Op).Int64()), toBig(b.IsPop).Sign() != 0
	mult := map[int]int64{}
	es := []edit{{&b.IsPop, 0}}
	if op == 4 {
		es = append(es, edit{&b.Op, 4 + 8*k})
	} else {
		es = append(es, edit{&b.Op, op})
	}
	for j := range bitNibbles {
		x, y := toBig(b.X[j]).Uint64(), toBig(b.Y[j]).Uint64() // read before the edits are applied
		if oldPop {
			mult[nibIndex(j, 4, x, 0)]--
		} else {
			mult[nibIndex(j, oldOp, x, y)]-- // and/or/xor entries are shared: slot index unused
		}
		var r fr.Element
		if op == 4 {
			mult[nibIndex(k, 4, x, 0)]++
			r = nibResult(k, 4, uint64(bits.OnesCount64(x)))
		} else {
			mult[nibIndex(j, op, x, y)]++
			r.SetUint64(nibbleOp(op, x, y))
		}
		es = append(es, edit{&b.R[j], r})
	}
	for idx, d := range mult {
		if d != 0 {
			es = append(es, edit{&w.NibMult[idx], new(big.Int).Add(toBig(w.NibMult[idx]), big.NewInt(d))})
		}
	}
	return es
}

// TestTamperBitTable: in every used row of the bitwise table (and/or/xor of
// both widths, popcount), each bound cell changed alone is rejected; so
// are a popcount moved from slot 0 to slot 1 with the row's sum unchanged,
// a nibble and its neighbour traded with the value unchanged (x_0 + 16,
// x_1 - 1: no longer digits), and an unused row marked used. Two forgeries
// whose nibble lookups and multiplicities all hold and whose value is the
// honest one are rejected by the bus's op field alone: an or read as an
// xor (or the reverse) of operands with no common bit, and a popcount of
// a value with one nonzero nibble k read by a row with IsPop 0 and Op 4 +
// 8k (which the bus accepted when popcnt's weight was 32).
func TestTamperBitTable(t *testing.T) {
	tried, rows, forged := 0, 0, 0
	ops := map[[2]int64]bool{}
	for _, s := range validWitnesses(t) {
		if testing.Short() && !strings.HasPrefix(s.name, "bits") && !strings.HasPrefix(s.name, "counts") {
			continue
		}
		for i := range s.w.Bits {
			b := &s.w.Bits[i]
			if toBig(b.Used).Sign() == 0 {
				continue
			}
			rows++
			ops[[2]int64{toBig(b.Op).Int64(), toBig(b.W64).Int64()}] = true
		}
		for _, c := range bitCells(s.w) {
			tried++
			if err := mutate(s, c.v, 1); err == nil {
				t.Errorf("%s: tampered %s accepted", s.name, c.name)
			}
		}
		for i := range s.w.Bits {
			b := &s.w.Bits[i]
			if toBig(b.Used).Sign() == 0 {
				tried++
				if err := mutate(s, &b.Used, 1); err == nil {
					t.Errorf("%s: unused bitwise row %d marked used accepted", s.name, i)
				}
				break
			}
			var x, y uint64
			for j := range bitNibbles {
				x |= toBig(b.X[j]).Uint64() << (4 * j)
				y |= toBig(b.Y[j]).Uint64() << (4 * j)
			}
			var edits []edit
			if toBig(b.IsPop).Sign() != 0 {
				edits = []edit{{&b.R[0], new(big.Int).Add(toBig(b.R[0]), big.NewInt(1))},
					{&b.R[1], fieldNeg(new(big.Int).Sub(fieldInv(big.NewInt(16)), toBig(b.R[1])))}}
			} else {
				edits = []edit{{&b.X[0], new(big.Int).Add(toBig(b.X[0]), big.NewInt(16))},
					{&b.X[1], fieldNeg(new(big.Int).Sub(big.NewInt(1), toBig(b.X[1])))}}
			}
			tried++
			if err := apply(s, edits); err == nil {
				t.Errorf("%s: bitwise row %d with the same value in other nibbles accepted", s.name, i)
			}
			op := int(toBig(b.Op).Int64())
			switch {
			case (op == 2 || op == 3) && x&y == 0: // or and xor agree
				forged++
				tried++
				if err := apply(s, forgeBitRow(s.w, i, 5-op, 0)); err == nil {
					t.Errorf("%s: bitwise row %d, op %d read as op %d, accepted", s.name, i, op, 5-op)
				}
			case op == 4 && bits.OnesCount64(x) > 0 && bits.TrailingZeros64(x)/4 == (63-bits.LeadingZeros64(x))/4:
				forged++
				tried++
				if err := apply(s, forgeBitRow(s.w, i, 4, bits.TrailingZeros64(x)/4)); err == nil {
					t.Errorf("%s: popcount row %d read by a row of IsPop 0 and Op 4 + 8k accepted", s.name, i)
				}
			}
		}
	}
	for _, want := range [][2]int64{{1, 0}, {2, 0}, {3, 0}, {1, 1}, {2, 1}, {3, 1}, {4, 0}, {4, 1}} {
		if !ops[want] && !testing.Short() {
			t.Errorf("no bitwise row of op %d, W64 %d in the test runs", want[0], want[1])
		}
	}
	if rows == 0 || forged < 2 {
		t.Fatalf("%d used bitwise rows, %d forgeries: the test runs lack them", rows, forged)
	}
	t.Logf("%d used bitwise rows (ops, widths: %v), %d forgeries, %d tamperings", rows, ops, forged, tried)
}

// TestBitTableCutsSegments: a segment with more and/or/xor/popcnt than its
// bitwise table holds ends early, padded, and every segment still solves.
func TestBitTableCutsSegments(t *testing.T) {
	small := tiny
	small.Rows = 16 // 2 table rows
	mod := loadModule(t, "bits.wasm")
	tab, err := Table(mod)
	if err != nil {
		t.Fatal(err)
	}
	tr := runInput(t, mod, "bits", []uint64{0xF123456789ABCDEF, 3}, nil, 64)
	claims, err := tab.Claims(small, tr)
	if err != nil {
		t.Fatal(err)
	}
	x, err := tab.prepare(tr, small)
	if err != nil {
		t.Fatal(err)
	}
	early := 0
	for k, sg := range x.segments {
		if len(sg.bits) > small.bitRows() {
			t.Fatalf("segment %d holds %d bitwise operations, the table %d", k, len(sg.bits), small.bitRows())
		}
		if k < len(x.segments)-1 && len(sg.rows) < small.Rows {
			early++
		}
		w, _, err := small.Assign(tab, tr, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := isSolved(solved{small, w.(*Circuit), fmt.Sprintf("seg%d", k)}); err != nil {
			t.Fatalf("segment %d of %d: %v", k, len(claims), err)
		}
	}
	if early == 0 {
		t.Fatalf("no segment of %d ended early for its bitwise table", len(x.segments))
	}
	t.Logf("%d segments, %d ended early for the bitwise table", len(x.segments), early)
}
