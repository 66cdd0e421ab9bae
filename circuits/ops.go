package circuits

import (
	"fmt"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/mcpzero/mcpzero/trace"
)

// Class is the circuit's family of an instruction: every instruction of a
// class obeys the same constraints, parameterised by the flags of its
// program-table entry (operand width, operand swap, result negation,
// signedness, arity).
type Class uint8

const (
	ClassPad         Class = iota // padding row after the segment's last step (never in the program table)
	ClassNop                      // nop, block, loop, end of a block
	ClassConst                    // i32.const, i64.const
	ClassLocalGet                 //
	ClassLocalSet                 //
	ClassLocalTee                 //
	ClassGlobalGet                //
	ClassGlobalSet                //
	ClassDrop                     //
	ClassSelect                   //
	ClassAdd                      // i32/i64.add
	ClassSub                      // i32/i64.sub
	ClassMul                      // i32/i64.mul
	ClassEqz                      // i32/i64.eqz
	ClassEq                       // eq, ne (Neg)
	ClassCmp                      // lt/gt/le/ge, signed or unsigned (Swap, Neg, Signed)
	ClassWrap                     // i32.wrap_i64
	ClassExtendU                  // i64.extend_i32_u
	ClassExtendS                  // i64.extend_i32_s
	ClassBr                       //
	ClassBrIf                     //
	ClassIf                       //
	ClassElse                     //
	ClassReturn                   // return, end of a function (entry function: halts)
	ClassUnreachable              // traps
	ClassCall                     // call of a module function (jumps to its prologue)
	ClassLocalZero                // prologue: zero a non-parameter local
	ClassLoad                     // pops the address, checks bounds; (EA, T, w, R, L1) is a row of the memory table, which reads the w bytes; unsigned: pushes R; signed: Acc = R, then a ClassMemPush
	ClassMemPush                  // pseudo: push Acc sign-extended from the bit Height (a signed load, extend_n_s)
	ClassStore                    // pops value and address, checks bounds; R = X1 = bytes + 2^(8w) L1, and (EA, T, 16 + w, R, L1) is a row of the memory table, which writes the bytes
	ClassMemSize                  // memory.size
	ClassInputSize                // host input_size
	ClassInputRead                // host input_read(dst, off, len): pushes R = min(len, max(0, size-off)), then ClassInCopy; dst+R past memory traps
	ClassInCopy                   // pseudo, repeats while Acc > 0: mem[EA] = input[Src]
	ClassOutputWrite              // host output_write(src, len): then ClassOutCopy; src+len past memory, or the output past 1 MiB, traps
	ClassOutCopy                  // pseudo, repeats while Acc > 0: output[EA] = mem[Src]
	ClassShl                      // shl: X2 * 2^k = D1 * 2^W + R
	ClassShrU                     // shr_u: X2 = R * 2^k + D1, D1 < 2^k
	ClassRotl                     // rotl, rotr (Swap): X2 * 2^k = D1 * 2^W + lo, R = lo + D1
	ClassDivU                     // div_u, rem_u (Neg): X2 = q * X1 + rem, rem < X1; traps on X1 = 0
	ClassBitwise                  // and, or, xor (Height 1, 2, 3): pops b, a, pushes R; (op, b, a, R) is a row of the bitwise table
	ClassBrTable                  // br_table: pops the index into Acc; then one ClassBrCase per label and a pseudo br (default)
	ClassBrCase                   // pseudo: if Acc == Imm, branch like br to (Target, Height, Arity)
	ClassExtSplit                 // extend8_s/16_s/32_s: X1 = D1 * 2^n + Acc' (D1 < 2^(W-n)); then a signed ClassMemPush of n bits
	ClassClz                      // clz, ctz (Swap): X1 = 0 gives W; else (K, P = 2^K) from the power table with P <= X1 < 2P (clz) or X1 = P*(2*D1+1) (ctz)
	ClassPopcnt                   // popcnt (Height 4): pops x, pushes R; (op, x, 0, R) is a row of the bitwise table
	ClassShrS                     // shr_s: pops count and x; x = Sg1*half + L1; Acc = x, EA = sign, Src = count; then ClassShrSPush
	ClassShrSPush                 // pseudo: Src = K + W*T, Acc = R*P + D1 + EA*2^W*(1-P), D1 < P; push R
	ClassDivS                     // div_s, rem_s (Neg): pops b, a; traps on b = 0; Acc = |a|, EA = |b|, Src = sign(b) + 2 sign(a)
	ClassDivSPush                 // pseudo: Acc = D1*EA + L2, L2 < EA; push the signed quotient or remainder; div_s of MIN by -1 traps
	ClassCallInd                  // call_indirect: pops the index X1; outside the table (Cy) traps; else (X1, prologue K, params P, locals D1, type) in the function table, then as call if the type is Imm, else traps
	ClassMemGrow                  // memory.grow: succeeds iff pages + delta <= the module's maximum (Cy = 0), pushes the old size or 2^32-1
	ClassMemCopy                  // memory.copy: pops n, src, dst; max(src, dst) + n past memory traps (Cy); Sg2 = dst > src picks the direction; then ClassMemMove backward (Neg), ClassMemMove forward
	ClassMemFill                  // memory.fill: pops n, val, dst; dst + n past memory traps (Cy); val = L1*256 + R; writes mem[dst] = R if n > 0 (E: n = 0); then a forward ClassMemMove smears it over the rest
	ClassMemMove                  // pseudo, repeats while Acc > 0: mem[EA] = mem[Src], EA and Src step by +1; with Neg mem[EA-1] = mem[Src-1], and they step by -1
	numClasses
)

var classNames = [numClasses]string{"pad", "nop", "const", "local.get", "local.set", "local.tee",
	"global.get", "global.set", "drop", "select", "add", "sub", "mul", "eqz", "eq", "cmp",
	"wrap", "extend_u", "extend_s", "br", "br_if", "if", "else", "return", "unreachable", "call", "local.zero",
	"load", "load.push", "store", "memory.size",
	"input_size", "input_read", "input.copy", "output_write", "output.copy", "shl", "shr_u", "rotl", "div_u",
	"bitwise", "br_table", "br_table.case", "extend_n_s", "clz", "popcnt", "shr_s", "shr_s.push", "div_s", "div_s.push", "call_indirect", "memory.grow",
	"memory.copy", "memory.fill", "memory.move"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// hostClass is the class of a call of the provable host function imported
// as name (module.field), if it is one.
func hostClass(name string) (Class, bool) {
	switch name {
	case "mcpzero.input_size":
		return ClassInputSize, true
	case "mcpzero.input_read":
		return ClassInputRead, true
	case "mcpzero.output_write":
		return ClassOutputWrite, true
	}
	return 0, false
}

// hostCopy is the copy entry after an input_read or output_write.
func hostCopy(c Class) []Entry {
	switch c {
	case ClassInputRead:
		return []Entry{{Class: ClassInCopy, W64: true, Pseudo: true}}
	case ClassOutputWrite:
		return []Entry{{Class: ClassOutCopy, W64: true, Pseudo: true}}
	}
	return nil
}

// zeroTested are the classes whose constraints read the zero flag E, each
// with its own Z (circuit.go); for the others Z = X1.
var zeroTested = [numClasses]bool{ClassEqz: true, ClassEq: true, ClassSelect: true, ClassBrIf: true, ClassIf: true,
	ClassReturn: true, ClassInCopy: true, ClassOutCopy: true, ClassMemMove: true, ClassDivU: true, ClassBrCase: true,
	ClassClz: true, ClassDivS: true, ClassDivSPush: true, ClassCallInd: true, ClassMemFill: true}

// Entry is one row of the circuit's program table: the trace's Instr
// encoded into what the constraints need. Commit hashes exactly these
// fields, so the encoding is part of the module commitment.
type Entry struct {
	Class  Class
	W64    bool // 64-bit operands (false: i32)
	Swap   bool // compare (B, A) instead of (A, B)
	Neg    bool // negate the boolean result
	Signed bool // signed comparison
	Pseudo bool // prologue entry inserted by the circuits, not a WebAssembly step
	Arity  uint32
	Imm    uint64
	Target uint32
	Height uint32
}

// Flags packs the small fields: W64 | Swap<<1 | Neg<<2 | Signed<<3 | Arity<<4 | Pseudo<<5 | Class<<6.
func (e Entry) Flags() uint64 {
	return b2u(e.W64) | b2u(e.Swap)<<1 | b2u(e.Neg)<<2 | b2u(e.Signed)<<3 | uint64(e.Arity)<<4 | b2u(e.Pseudo)<<5 | uint64(e.Class)<<6
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// UnsupportedError says that an instruction is in the tracer's provable
// subset but not (yet) constrained by the circuits. Proving stops before any
// key is set up.
type UnsupportedError struct {
	PC   uint32
	Op   trace.Op
	Func uint32
	Why  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("circuits: %s at pc %d (function %d) is not supported by the circuits yet: %s",
		e.Op.String(), e.PC, e.Func, e.Why)
}

type cmpFlags struct {
	w64, swap, neg, signed bool
}

// comparisons: a OP b == lt(x, y) xor neg with (x, y) = (a, b) or swapped.
var cmpOps = map[trace.Op]cmpFlags{
	0x48: {false, false, false, true}, 0x49: {false, false, false, false}, // i32.lt_s, lt_u
	0x4A: {false, true, false, true}, 0x4B: {false, true, false, false}, // gt: lt(b, a)
	0x4C: {false, true, true, true}, 0x4D: {false, true, true, false}, // le: !lt(b, a)
	0x4E: {false, false, true, true}, 0x4F: {false, false, true, false}, // ge: !lt(a, b)
	0x53: {true, false, false, true}, 0x54: {true, false, false, false},
	0x55: {true, true, false, true}, 0x56: {true, true, false, false},
	0x57: {true, true, true, true}, 0x58: {true, true, true, false},
	0x59: {true, false, true, true}, 0x5A: {true, false, true, false},
}

// Encode maps one instruction of the program table to its circuit entry.
func Encode(p *trace.Program, pc uint32) (Entry, error) {
	in := p.Code[pc]
	unsupported := func(why string) (Entry, error) {
		return Entry{}, &UnsupportedError{PC: pc, Op: in.Op, Func: in.Func, Why: why}
	}
	e := Entry{W64: true, Imm: in.Imm, Target: in.Target, Height: in.Height}
	switch op := in.Op; {
	case op == 0x00:
		e.Class = ClassUnreachable
	case op == 0x01 || op == 0x02 || op == 0x03:
		e.Class = ClassNop
		e.Imm, e.Target = 0, 0
	case op == 0x04:
		e.Class, e.Imm = ClassIf, 0
	case op == 0x05:
		e.Class, e.Imm = ClassElse, 0
	case op == 0x0B:
		if in.Imm == 1 { // end of a function: returns
			e.Class, e.Imm, e.Arity, e.Height = ClassReturn, HaltPC, in.Arity, 0 // Imm: the zero test's constant
		} else {
			e.Class, e.Imm, e.Target = ClassNop, 0, 0
		}
	case op == 0x0C || op == 0x0D:
		e.Class, e.Arity, e.Imm = ClassBr, in.Arity, 0
		if op == 0x0D {
			e.Class = ClassBrIf
		}
	case op == 0x0E:
		e.Class, e.Imm, e.Target = ClassBrTable, 0, 0 // cases follow as pseudo-instructions
	case op == 0x67 || op == 0x79 || op == 0x68 || op == 0x7A:
		e.Class, e.W64, e.Swap = ClassClz, op >= 0x79, op == 0x68 || op == 0x7A
	case op == 0x69 || op == 0x7B:
		e.Class, e.W64, e.Height = ClassPopcnt, op == 0x7B, 4
	case op >= 0xC0 && op <= 0xC4:
		n := extBits(op)
		e.Class, e.W64 = ClassExtSplit, op >= 0xC2
		w := uint64(32)
		if e.W64 {
			w = 64
		}
		e.Imm = 1 << (64 - w + n - 8) // 256*Imm = 2^(64-(W-n)): scales the high part's range check
	case op == 0x11:
		e.Class = ClassCallInd // Imm: the expected canonical type, set by Table
		e.W64 = false          // 32-bit range checks: the slot's type in L1 is below 2^31
	case op == 0x0F:
		e.Class, e.Arity, e.Imm, e.Height = ClassReturn, in.Arity, HaltPC, 0
	case op == 0x10:
		if f := p.Funcs[in.Imm]; f.Entry == trace.HaltPC {
			c, ok := hostClass(f.Import)
			if !ok {
				return unsupported("host function " + f.Import + " is not provable")
			}
			e.Class, e.Imm, e.Target = c, 0, 0
			return e, nil
		}
		e.Class = ClassCall // Target, Height, Imm are set by Table
	case op >= 0x28 && op <= 0x35 && op != 0x2A && op != 0x2B:
		e.Class, e.Height = ClassLoad, uint32(memWidth[op-0x28]) // Imm: memarg offset
		e.Signed, _ = loadKind(op)                               // a signed load pushes on its sign-extension row
	case op >= 0x36 && op <= 0x3E && op != 0x38 && op != 0x39:
		e.Class, e.Height = ClassStore, uint32(memWidth[op-0x28])
	case op == 0x3F:
		e.Class = ClassMemSize
	case op == 0x40:
		e.Class, e.W64 = ClassMemGrow, false
	case op == trace.PrefixFC|10:
		e.Class = ClassMemCopy // W64: the bound and the direction are range-checked to 64 bits
	case op == trace.PrefixFC|11:
		e.Class = ClassMemFill // W64: scales R's range check to a byte (circuit.go)
	case op == 0x1A:
		e.Class = ClassDrop
	case op == 0x1B:
		e.Class = ClassSelect
	case op == 0x20:
		e.Class = ClassLocalGet
	case op == 0x21:
		e.Class = ClassLocalSet
	case op == 0x22:
		e.Class = ClassLocalTee
	case op == 0x23:
		e.Class = ClassGlobalGet
	case op == 0x24:
		e.Class = ClassGlobalSet
	case op == 0x41:
		e.Class, e.W64 = ClassConst, true
	case op == 0x42:
		e.Class = ClassConst
	case op == 0x45 || op == 0x50:
		e.Class, e.W64 = ClassEqz, op == 0x50
	case op == 0x46 || op == 0x47 || op == 0x51 || op == 0x52:
		e.Class, e.W64, e.Neg = ClassEq, op >= 0x51, op == 0x47 || op == 0x52
	case cmpOps[op] != (cmpFlags{}) || op == 0x49:
		f := cmpOps[op]
		e.Class, e.W64, e.Swap, e.Neg, e.Signed = ClassCmp, f.w64, f.swap, f.neg, f.signed
	case op == 0x6A || op == 0x7C:
		e.Class, e.W64 = ClassAdd, op == 0x7C
	case op == 0x6B || op == 0x7D:
		e.Class, e.W64 = ClassSub, op == 0x7D
	case op == 0x6C || op == 0x7E:
		e.Class, e.W64 = ClassMul, op == 0x7E
	case op == 0x74 || op == 0x86:
		e.Class, e.W64 = ClassShl, op == 0x86
	case op == 0x75 || op == 0x87:
		e.Class, e.W64 = ClassShrS, op == 0x87
	case op == 0x76 || op == 0x88:
		e.Class, e.W64 = ClassShrU, op == 0x88
	case op == 0x77 || op == 0x89 || op == 0x78 || op == 0x8A:
		e.Class, e.W64, e.Swap = ClassRotl, op >= 0x89, op == 0x78 || op == 0x8A
	case op == 0x6D || op == 0x7F || op == 0x6F || op == 0x81:
		e.Class, e.W64, e.Neg = ClassDivS, op >= 0x7F, op == 0x6F || op == 0x81
	case op == 0x6E || op == 0x80 || op == 0x70 || op == 0x82:
		e.Class, e.W64, e.Neg = ClassDivU, op >= 0x80, op == 0x70 || op == 0x82
	case op == 0x71 || op == 0x72 || op == 0x73 || op == 0x83 || op == 0x84 || op == 0x85:
		e.Class, e.W64 = ClassBitwise, op >= 0x83
		e.Height = uint32(bitOp(op)) // 1 and, 2 or, 3 xor
	case op == 0xA7:
		e.Class, e.W64 = ClassWrap, false
	case op == 0xAD:
		e.Class = ClassExtendU
	case op == 0xAC:
		e.Class, e.W64 = ClassExtendS, false // W64 is the operand width here
	default:
		return unsupported("no constraint family for this opcode")
	}
	if e.Class == ClassReturn {
		e.W64 = false // the frame word's parts are range-checked to 32 bits
	}
	if e.Class != ClassBr && e.Class != ClassBrIf && e.Class != ClassIf && e.Class != ClassElse && e.Class != ClassCall {
		e.Target = 0
	}
	if e.Class != ClassBr && e.Class != ClassBrIf && e.Class != ClassCall && e.Class != ClassLoad && e.Class != ClassStore && e.Class != ClassBitwise && e.Class != ClassPopcnt {
		e.Height = 0
	}
	if e.Class == ClassMemSize || e.Class == ClassMemGrow || e.Class == ClassMemCopy || e.Class == ClassMemFill {
		e.Imm = 0
	}
	if e.Class != ClassBr && e.Class != ClassBrIf && e.Class != ClassReturn {
		e.Arity = 0
	}
	if e.Arity > 1 {
		// Table expands these into rows of other families (multivalue.go).
		return unsupported("a branch or return carrying several values is expanded by Table, not encoded alone")
	}
	return e, nil
}

// memWidth is the access width in bytes of loads/stores 0x28..0x3E.
var memWidth = [...]uint8{4, 8, 4, 8, 1, 1, 2, 2, 1, 1, 2, 2, 4, 4, 4, 8, 4, 8, 1, 2, 1, 2, 4}

// loadSigned says whether a load 0x28..0x35 sign-extends, and its result
// is 64-bit.
func loadKind(op trace.Op) (signed, w64 bool) {
	switch op {
	case 0x2C, 0x2E:
		return true, false
	case 0x30, 0x32, 0x34:
		return true, true
	case 0x29, 0x31, 0x33, 0x35:
		return false, true
	}
	return false, false
}

// memExpansion returns the pseudo-instructions that follow a load or store
// at entry e: a signed load's sign extension (the memory table reads the
// bytes of every load and writes those of every store on the load's or
// store's own row).
func memExpansion(op trace.Op, e Entry) []Entry {
	if e.Class != ClassLoad {
		return nil
	}
	signed, w64 := loadKind(op)
	if !signed {
		return nil
	}
	w := uint32(e.Height)
	return []Entry{{Class: ClassMemPush, W64: w64, Pseudo: true, Signed: true,
		Height: 1 << (8*w - 1),      // the sign bit
		Imm:    1 << (64 - 8*w - 8), // 256*Imm = 2^(64-8w): scales the low part's range check
	}}
}

// bitNibbles is the number of nibbles of each operand a bitwise-table row
// holds: a whole i64 (an i32 uses the low 8; its high ones are not read).
const bitNibbles = 16

// nibTableSize is the size of the nibble table: (op, a, b, a op b) for op
// in and (1), or (2), xor (3) and nibbles a, b, shared by every slot of a
// bitwise-table row; then per slot j, (4 + 8j, a, 0, popcount(a)/16^j).
const nibTableSize = 3*256 + bitNibbles*16

// nibIndex is the index in the nibble table of the entry slot j of a
// bitwise-table row looks up for (op, a, b).
func nibIndex(j, op int, a, b uint64) int {
	if op == 4 {
		return 768 + 16*j + int(a)
	}
	return (op-1)*256 + int(a)*16 + int(b)
}

// nibEntry is the nibble table's entry i: (op field, a, b, r). For
// and/or/xor r = a op b and the op field is op; for popcount in slot j
// the op field is 4 + 8j and r = popcount(a) / 16^j in the field, so that
// the row's place values (16^j for slot j) add the counts up rather than
// place them.
func nibEntry(i int) (op int, a, b uint64, r fr.Element) {
	if i < 768 {
		op, a, b = i/256+1, uint64(i/16%16), uint64(i%16)
		r.SetUint64(nibbleOp(op, a, b))
		return op, a, b, r
	}
	j, a := (i-768)/16, uint64((i-768)%16)
	return 4 + 8*j, a, 0, nibResult(j, 4, nibbleOp(4, a, 0))
}

// nibResult is slot j's table result for the plain result v of op.
func nibResult(j, op int, v uint64) fr.Element {
	var r fr.Element
	r.SetUint64(v)
	if op == 4 {
		r.Mul(&r, &invPlace[j])
	}
	return r
}

// invPlace[j] is 1/16^j, popcount's scale in slot j.
var invPlace = func() (out [bitNibbles]fr.Element) {
	for j := range out {
		out[j].SetUint64(1 << (4 * j))
		out[j].Inverse(&out[j])
	}
	return out
}()

func bitOp(op trace.Op) int {
	switch op {
	case 0x71, 0x83:
		return 1
	case 0x72, 0x84:
		return 2
	}
	return 3
}

func nibbleOp(op int, a, b uint64) uint64 {
	switch op {
	case 1:
		return a & b
	case 2:
		return a | b
	case 4: // popcount of a (b = 0)
		return uint64(bits.OnesCount64(a))
	}
	return a ^ b
}

// moveExpansion returns the pseudo-instructions after memory.copy (a
// backward move, then a forward one: the copy jumps to the one it needs, and
// a finished backward move falls through the forward one as a no-op) and
// memory.fill (a forward move).
func moveExpansion(e Entry) []Entry {
	fwd := Entry{Class: ClassMemMove, W64: true, Pseudo: true}
	if e.Class == ClassMemCopy {
		bwd := fwd
		bwd.Neg = true
		return []Entry{bwd, fwd}
	}
	return []Entry{fwd}
}

// extBits is n of the sign-extension operators 0xC0..0xC4.
func extBits(op trace.Op) uint64 {
	switch op {
	case 0xC0, 0xC2:
		return 8
	case 0xC1, 0xC3:
		return 16
	}
	return 32
}

// extPush is the pseudo-instruction after a sign-extension operator.
func extPush(op trace.Op, e Entry) Entry {
	n := extBits(op)
	return Entry{Class: ClassMemPush, W64: e.W64, Pseudo: true, Signed: true, Height: 1 << (n - 1), Imm: 1 << (64 - n - 8)}
}
