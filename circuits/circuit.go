package circuits

import (
	"math/big"
	"math/bits"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/multicommit"
	"github.com/consensys/gnark/std/permutation/poseidon2"
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/mcpzero/mcpzero/circuits/claim"
)

// Address spaces of the offline memory check: key = space<<32 | address.
// (trace.Space + 1, so that no key is a small number.)
const (
	keyStack  = 1
	keyLocal  = 2
	keyGlobal = 3
	keyFrame  = 4 // one packed word per call depth: return pc | caller FP<<32 | caller stack base<<64
	keyMem    = 5 // one byte per cell
	keyIn     = 6 // input bytes (read only)
	keyOut    = 7 // output bytes (each written once)
	maxOutput = 1 << 20
)

// Ports per row, in timestamp order: three stack reads (top first), the
// local/global port, the stack write; then the byte ports of the row's
// load or store, which live in the memory table.
const (
	portPop1 = iota
	portPop2
	portPop3
	portVar
	portPush
	nbPorts
	memPorts = 8                  // byte ports of a memory-table row
	tsStride = nbPorts + memPorts // timestamp of row r, port k: tsStride*(r+1) + k; 0 is the initial state
)

// tsBits is the width of the timestamp range checks: every timestamp of
// the shape fits, so every honest previous-timestamp difference does. (A
// difference that makes the previous timestamp "negative" mod p matches no
// produced timestamp, all of which are small and non-negative.)
func (s Shape) tsBits() int { return bits.Len(uint(tsStride*(s.Rows+2) - 1)) }

// HaltPC is the pc after the run halted (trace.HaltPC).
const HaltPC = 1<<32 - 1

// Row is one step of the execution table.
type Row struct {
	S                                [numClasses]frontend.Variable // one-hot class selector; S[ClassPad] marks padding
	W64, Swap, Neg, Signed, Arity    frontend.Variable             // flags of the program entry
	PC, Imm, Target, Height          frontend.Variable             // program entry fields
	Pseudo                           frontend.Variable             // the entry is a pseudo-instruction (function prologue), not a step
	SP, FP, Base, LTop, Depth        frontend.Variable             // machine state before the step
	Acc, EA                          frontend.Variable             // load/store/copy in progress: value being assembled or split / bytes left, effective address
	Pages                            frontend.Variable             // memory size in pages
	Src, OutLen                      frontend.Variable             // copy source, output length so far
	K, P                             frontend.Variable             // shifts: count mod W and 2^count (looked up)
	X1, X2, X3                       frontend.Variable             // stack operands, top first
	R                                frontend.Variable             // result (value pushed)
	V                                frontend.Variable             // old value of the local/global port
	O                                frontend.Variable             // old value of the pushed slot
	Cy, E, Inv, D1, Sg1, Sg2, L1, L2 frontend.Variable             // auxiliary: carry, zero flag and inverse, high part/difference, sign bits and low parts
	PrevTS                           [nbPorts]frontend.Variable    // timestamp of the previous access to each port's cell
}

// BitRow is one row of the bitwise table: an and/or/xor (Op 1, 2, 3) or
// popcnt (Op 4, IsPop 1) of a row, whose (op, X1, X2, R) it receives over
// the bus, given as the operands' and the result's nibbles, each nibble
// triple looked up in the nibble table.
type BitRow struct {
	Used, Op, W64, IsPop frontend.Variable
	X, Y, R              [bitNibbles]frontend.Variable // nibbles of X1, X2 (0 for popcnt) and the result (popcnt: count/16^j)
}

// MemRow is one row of the memory table: the w bytes a load reads or a
// store writes at EA, for the row whose timestamp base is T (its byte i
// at T + nbPorts + i), received over the bus as (EA, T, w + 16 store,
// value, rest). Load[k] or Store[k] marks a load or store of 2^k bytes
// (at most one is set; none: unused). B holds the bytes read or written,
// O the bytes before (a load's equal B); value = sum B_i 256^i + rest
// 256^w for a store, the bytes alone for a load.
type MemRow struct {
	Load, Store [4]frontend.Variable
	T, EA       frontend.Variable
	Value, Rest frontend.Variable
	B, O        [memPorts]frontend.Variable
	PrevTS      [memPorts]frontend.Variable
}

// ProgEntry is one program-table entry as the circuit sees it.
type ProgEntry struct {
	Flags, Imm, Target, Height frontend.Variable
	Mult                       frontend.Variable // how many rows execute it
}

// ElemEntry is one slot of the funcref table: the callee's prologue pc,
// params, locals and canonical type (NullType for a null slot).
type ElemEntry struct {
	Prologue, Params, Locals, Type frontend.Variable
	Mult                           frontend.Variable // call_indirect lookups of this slot
}

// FuncEntry is one function of the module.
type FuncEntry struct {
	Entry, Params, Locals frontend.Variable
	I32Params             frontend.Variable // bit i: parameter i is an i32
}

// Region is the content of one dense address space at a boundary.
type Region struct {
	Before, After, LastTS []frontend.Variable
}

// Circuit is the segment circuit of one Shape. Public inputs (in order):
// claim.Claim's Module, Before, After, Steps.
type Circuit struct {
	Module frontend.Variable `gnark:",public"`
	Before frontend.Variable `gnark:",public"`
	After  frontend.Variable `gnark:",public"`
	Steps  frontend.Variable `gnark:",public"`

	// Module: the program blocks the segment executes (block indices
	// strictly increasing, each with its Merkle siblings in the program
	// tree of root ProgRoot), functions, initial globals.
	Prog       []ProgEntry
	ProgRoot   frontend.Variable
	ProgBlocks []frontend.Variable
	ProgPath   [][ProgTreeDepth]frontend.Variable
	// The called function (Function) and its path in the function tree.
	Func          FuncEntry
	FuncRoot      frontend.Variable
	FuncPath      [FuncTreeDepth]frontend.Variable
	GInit         []frontend.Variable
	NG            frontend.Variable
	MemInit       frontend.Variable               // memory root of the initial memory image (memtree.go)
	MemPages      frontend.Variable               // initial memory size in pages
	MaxPages      frontend.Variable               // memory.grow limit in pages
	InLen         frontend.Variable               // input size in bytes
	NChIn, NChOut frontend.Variable               // 31-byte chunks of the input, of the final output
	PowMult       [96]frontend.Variable           // lookups of (32, k, 2^k) for k < 32, then (64, k, 2^k) for k < 64
	NibMult       [nibTableSize]frontend.Variable // lookups of (op, a, b, a op b) for op in and, or, xor and nibbles a, b; then per slot j (4+8j, a, 0, popcount(a)/16^j)
	// The bitwise table: one row per and/or/xor/popcnt of the segment
	// (Shape.bitRows), the rest unused.
	Bits []BitRow
	// The memory table: one row per load or store of the segment that
	// stays in bounds (Shape.memRows), the rest unused.
	MemOps []MemRow
	// The funcref table blocks the segment opens (indices strictly
	// increasing, paths to ElemRoot), and the table's size.
	Elems      []ElemEntry
	ElemRoot   frontend.Variable
	ElemBlocks []frontend.Variable
	ElemPath   [][ProgTreeDepth]frontend.Variable
	NElems     frontend.Variable

	// Run / segment context.
	IsFirst  frontend.Variable
	Function frontend.Variable
	InDigest frontend.Variable

	Stack, Locals, Globals, Frames, In, Out Region
	// Memory: the blocks of MemBlockBytes bytes the segment touches (block
	// indices strictly increasing, so no address is opened twice), their
	// bytes before and after it, and each block's Merkle siblings in the
	// tree as it stands when the block is updated (blocks are updated in
	// order, from the root MemRoot of the state before the segment).
	Mem       Region
	MemRoot   frontend.Variable
	MemBlocks []frontend.Variable
	MemPath   [][MemTreeDepth]frontend.Variable
	Rows      []Row

	shape Shape
}

// NewCircuit allocates the circuit of the shape, for compilation.
func (s Shape) NewCircuit() frontend.Circuit { return s.alloc() }

func (s Shape) alloc() *Circuit {
	c := &Circuit{shape: s}
	c.Prog = make([]ProgEntry, s.progBlocks()*ProgBlockEntries)
	c.ProgBlocks = make([]frontend.Variable, s.progBlocks())
	c.ProgPath = make([][ProgTreeDepth]frontend.Variable, s.progBlocks())
	c.GInit = make([]frontend.Variable, s.Globals)
	region := func(n int) Region {
		return Region{make([]frontend.Variable, n), make([]frontend.Variable, n), make([]frontend.Variable, n)}
	}
	c.Stack, c.Locals, c.Globals, c.Frames = region(s.Stack), region(s.Locals), region(s.Globals), region(max(s.Depth, 1)+1)
	c.Mem = region(s.memBlocks() * MemBlockBytes)
	c.MemBlocks = make([]frontend.Variable, s.memBlocks())
	c.MemPath = make([][MemTreeDepth]frontend.Variable, s.memBlocks())
	c.In, c.Out = region(s.In), region(s.Out)
	c.Elems = make([]ElemEntry, s.tableBlocks()*ProgBlockEntries)
	c.ElemBlocks = make([]frontend.Variable, s.tableBlocks())
	c.ElemPath = make([][ProgTreeDepth]frontend.Variable, s.tableBlocks())
	c.Rows = make([]Row, s.Rows)
	c.Bits = make([]BitRow, s.bitRows())
	c.MemOps = make([]MemRow, s.memRows())
	return c
}

var (
	two32 = new(big.Int).Lsh(big.NewInt(1), 32)
	two64 = new(big.Int).Lsh(big.NewInt(1), 64)
)

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

// logup collects the terms of the single log-derivative argument that ties
// together the program lookup and the offline memory check: the sum over
// all terms of mult/(alpha - fingerprint) must be zero.
type logup struct {
	terms []term
}

type term struct {
	mult   frontend.Variable // signed multiplicity (a linear expression)
	fields []frontend.Variable
	tag    int
}

const (
	tagProg  = 1
	tagMem   = 2
	tagPow   = 3
	tagNib   = 4
	tagTab   = 5
	tagBit   = 6 // the bus from a row to the bitwise table
	tagMemOp = 7 // the bus from a load or store row to the memory table
)

// bitPopWeight is popcnt's weight in the bitwise bus's op field: above
// every op field a table row with IsPop = 0 can pass its nibble lookups
// with (124 + 16; see the bitwise table in Define). With 32, such a row
// with Op = 36 passed for a popcnt, its counts scaled by 16^(j-4).
const bitPopWeight = 256

func (l *logup) add(mult frontend.Variable, tag int, fields ...frontend.Variable) {
	l.terms = append(l.terms, term{mult, fields, tag})
}

// hasher is Poseidon2 in the circuit, the same functions as package claim:
// p is the width-2 permutation of Compress and Hash, wide the width-12 one
// of the sponge (claim.Sponge).
type hasher struct {
	api  frontend.API
	p    *poseidon2.Permutation
	wide *poseidon2.Permutation
}

// sponge is claim.Sponge(iv, xs) when done is nil. With done, it absorbs
// every block of xs and returns the sum over blocks b of
// (done(b) - done(b+1)) times lane 1 after block b, where done(b) is 1
// when the message is longer than b blocks: the digest of the message
// that ends in the block where done drops to 0 (xs must be zero after
// that message's end, which zero padding then matches).
func (h hasher) sponge(iv frontend.Variable, xs []frontend.Variable, done func(b int) frontend.Variable) frontend.Variable {
	api := h.api
	st := make([]frontend.Variable, claim.SpongeWidth)
	st[0] = iv
	for i := 1; i < len(st); i++ {
		st[i] = 0
	}
	var out frontend.Variable = 0
	for b := 0; b == 0 || b*claim.SpongeRate < len(xs); b++ {
		for i := range claim.SpongeRate {
			if k := b*claim.SpongeRate + i; k < len(xs) {
				st[1+i] = api.Add(st[1+i], xs[k])
			}
		}
		if err := h.wide.Permutation(st); err != nil {
			panic(err) // width is claim.SpongeWidth by construction
		}
		if done == nil {
			out = st[1]
			continue
		}
		out = api.Add(out, api.Mul(api.Sub(done(b), done(b+1)), st[1]))
	}
	return out
}

// hashLong is claim.HashLong.
func (h hasher) hashLong(xs ...frontend.Variable) frontend.Variable {
	return h.sponge(len(xs), xs, nil)
}

// listDigest is claim.ListDigest(kind, head, items[:n]) for any n <= len(items),
// given g = prefixFlags(n): items from n on are masked to zero, and the
// state is taken after the block where the len(head) + n elements end.
func (h hasher) listDigest(kind uint64, head, items, g []frontend.Variable) frontend.Variable {
	api := h.api
	msg := append(make([]frontend.Variable, 0, len(head)+len(items)), head...)
	for i, it := range items {
		msg = append(msg, api.Mul(g[i], it))
	}
	// longer(k) is 1 when the message is longer than k elements.
	longer := func(k int) frontend.Variable {
		switch j := k - len(head); {
		case j < 0:
			return 1
		case j >= len(items):
			return 0
		default:
			return g[j]
		}
	}
	return h.sponge(new(big.Int).Add(pow2(64), new(big.Int).SetUint64(kind)), msg, func(b int) frontend.Variable { return longer(b * claim.SpongeRate) })
}

func (h hasher) compress(l, r frontend.Variable) frontend.Variable { return h.p.Compress(l, r) }

// blockBits decomposes the index of opened block j into depth bits and
// range-checks blocks[j] - blocks[j-1] - 1 to depth bits: indices strictly
// increase, so no block (and no address, pc or slot) is opened twice.
func blockBits(api frontend.API, rc frontend.Rangechecker, blocks []frontend.Variable, j, depth int) []frontend.Variable {
	if j > 0 {
		rc.Check(api.Sub(api.Sub(blocks[j], blocks[j-1]), 1), depth)
	}
	return api.ToBinary(blocks[j], depth)
}

// openBlocks checks each opened read-only block of ProgBlockEntries packed
// entries against the tree of root; entry(j, i, index) constrains entry i
// of block j, whose table index is index, and returns it packed.
func (h hasher) openBlocks(rc frontend.Rangechecker, blocks []frontend.Variable, paths [][ProgTreeDepth]frontend.Variable, root frontend.Variable,
	commit func(...frontend.Variable), entry func(j, i int, index frontend.Variable) frontend.Variable) {
	api := h.api
	for j, blk := range blocks {
		bits := blockBits(api, rc, blocks, j, ProgTreeDepth)
		packed := make([]frontend.Variable, ProgBlockEntries)
		for i := range packed {
			packed[i] = entry(j, i, api.Add(api.Mul(blk, ProgBlockEntries), i))
		}
		api.AssertIsEqual(h.merkleRoot(h.hashLong(packed...), bits, paths[j][:]), root)
		commit(blk)
	}
}

// merkleRoot is the root above leaf at the position whose bits (bottom
// first) are given, with siblings path (bottom first).
func (h hasher) merkleRoot(leaf frontend.Variable, bits, path []frontend.Variable) frontend.Variable {
	n := leaf
	for k, sib := range path {
		left := h.api.Add(n, h.api.Mul(bits[k], h.api.Sub(sib, n)))
		n = h.compress(left, h.api.Sub(h.api.Add(n, sib), left))
	}
	return n
}

func (h hasher) hash(xs ...frontend.Variable) frontend.Variable {
	var acc frontend.Variable = 0
	for _, x := range xs {
		acc = h.compress(acc, x)
	}
	return acc
}

// prefixFlags returns g with g[i] = 1 for i < n and 0 after; it constrains
// n <= len(g).
func prefixFlags(api frontend.API, n frontend.Variable, size int) []frontend.Variable {
	g := make([]frontend.Variable, size)
	var sum frontend.Variable = 0
	for i := range g {
		out, err := api.Compiler().NewHint(prefixHint, 1, n, i)
		if err != nil {
			panic(err)
		}
		g[i] = out[0]
		api.AssertIsBoolean(g[i])
		if i > 0 {
			api.AssertIsEqual(api.Mul(g[i], api.Sub(1, g[i-1])), 0)
		}
		sum = api.Add(sum, g[i])
	}
	api.AssertIsEqual(sum, n)
	return g
}

// newHasher builds both permutations of package claim in the circuit.
func newHasher(api frontend.API) (hasher, error) {
	perm, err := poseidon2.NewPoseidon2(api)
	if err != nil {
		return hasher{}, err
	}
	wide, err := poseidon2.NewPoseidon2FromParameters(api, claim.SpongeWidth, claim.SpongeFullRounds, claim.SpongePartialRounds)
	if err != nil {
		return hasher{}, err
	}
	return hasher{api, perm, wide}, nil
}

// Define implements frontend.Circuit.
func (c *Circuit) Define(api frontend.API) error {
	h, err := newHasher(api)
	if err != nil {
		return err
	}
	pa := newProductAsserter(api) // a·b = c as one constraint (r1c.go)
	rc := rangecheck.New(api)
	lu := &logup{}
	var committed []frontend.Variable
	commit := func(vs ...frontend.Variable) { committed = append(committed, vs...) }

	// --- Module commitment: program tree, functions, initial globals. ---
	// Each opened program block (indices below 2^ProgTreeDepth, strictly
	// increasing, so every pc is in the table once) is a leaf of the
	// program tree. Entries past the program are zero and match no row:
	// an executed row's flags carry its class, which is never 0 (padding).
	h.openBlocks(rc, c.ProgBlocks, c.ProgPath, c.ProgRoot, commit, func(j, i int, pc frontend.Variable) frontend.Variable {
		e := c.Prog[j*ProgBlockEntries+i]
		rc.Check(e.Flags, 16)
		rc.Check(e.Target, 32)
		rc.Check(e.Height, 32)
		rc.Check(e.Imm, 64)
		lu.add(api.Neg(e.Mult), tagProg, pc, e.Flags, e.Imm, e.Target, e.Height)
		commit(e.Flags, e.Imm, e.Target, e.Height, e.Mult)
		return api.Add(e.Flags, api.Mul(e.Target, pow2(16)), api.Mul(e.Height, pow2(48)), api.Mul(e.Imm, pow2(80)))
	})
	// The called function: a leaf of the function tree (fields
	// range-checked, plus 2^128, so that no absent function opens).
	f := c.Func
	rc.Check(f.Entry, 32)
	rc.Check(f.Params, 32)
	rc.Check(f.Locals, 32)
	rc.Check(f.I32Params, 64)
	funcLeaf := api.Add(f.Entry, api.Mul(f.Params, two32), api.Mul(f.Locals, two64), api.Mul(f.I32Params, pow2(96)), pow2(128))
	api.AssertIsEqual(h.merkleRoot(funcLeaf, api.ToBinary(c.Function, FuncTreeDepth), c.FuncPath[:]), c.FuncRoot)
	gGlob := prefixFlags(api, c.NG, len(c.GInit))
	// Funcref table blocks, opened like the program's.
	h.openBlocks(rc, c.ElemBlocks, c.ElemPath, c.ElemRoot, commit, func(j, i int, slot frontend.Variable) frontend.Variable {
		e := c.Elems[j*ProgBlockEntries+i]
		for _, v := range []frontend.Variable{e.Prologue, e.Params, e.Locals, e.Type} {
			rc.Check(v, 32)
		}
		lu.add(api.Neg(e.Mult), tagTab, slot, e.Prologue, e.Params, e.Locals, e.Type)
		commit(e.Prologue, e.Params, e.Locals, e.Type, e.Mult)
		return api.Add(e.Prologue, api.Mul(e.Params, two32), api.Mul(e.Locals, two64), api.Mul(e.Type, pow2(96)))
	})
	// Only in-table indices are looked up (call_indirect's Cy/D1/L2
	// split against NElems), so the zero slots past the table are never
	// used.
	rc.Check(c.NElems, 32)
	module := h.hashLong(claim.TagModule,
		c.ProgRoot,
		c.FuncRoot,
		h.listDigest(claim.ListElements, []frontend.Variable{c.NG}, c.GInit, gGlob),
		c.MemPages, c.MaxPages,
		c.MemInit,
		c.NElems, c.ElemRoot)
	rc.Check(c.MemPages, 17)
	rc.Check(c.MaxPages, 17)
	api.AssertIsEqual(module, c.Module)

	// --- Rows. ---
	halted := frontend.Variable(0) // number of halting rows (0 or 1)
	status := frontend.Variable(0)
	trapKind := frontend.Variable(0)
	steps := frontend.Variable(0)
	var nextPC, spAfter, fpAfter, baseAfter, ltopAfter, depthAfter, accAfter, eaAfter, srcAfter, outLenAfter, pagesAfter frontend.Variable
	frameKey := new(big.Int).Lsh(big.NewInt(keyFrame), 32)
	for r := range c.Rows {
		row := &c.Rows[r]
		S := row.S
		var sum, class frontend.Variable = 0, 0
		for k := range S {
			api.AssertIsBoolean(S[k])
			sum = api.Add(sum, S[k])
			class = api.Add(class, api.Mul(S[k], k))
		}
		api.AssertIsEqual(sum, 1)
		for _, b := range []frontend.Variable{row.W64, row.Swap, row.Neg, row.Signed, row.Arity, row.Pseudo, row.Cy, row.Sg1, row.Sg2} {
			api.AssertIsBoolean(b)
		}
		flags := api.Add(row.W64, api.Mul(row.Swap, 2), api.Mul(row.Neg, 4), api.Mul(row.Signed, 8), api.Mul(row.Arity, 16),
			api.Mul(row.Pseudo, 32), api.Mul(class, 64))
		active := api.Sub(1, S[ClassPad])
		pa.zero(S[ClassPad], row.Pseudo)
		steps = api.Add(steps, api.Sub(active, row.Pseudo))
		lu.add(active, tagProg, row.PC, flags, row.Imm, row.Target, row.Height)

		// Transition from the previous row.
		if r > 0 {
			api.AssertIsEqual(row.PC, nextPC)
			api.AssertIsEqual(row.SP, spAfter)
			api.AssertIsEqual(row.FP, fpAfter)
			api.AssertIsEqual(row.Base, baseAfter)
			api.AssertIsEqual(row.LTop, ltopAfter)
			api.AssertIsEqual(row.Depth, depthAfter)
			api.AssertIsEqual(row.Acc, accAfter)
			api.AssertIsEqual(row.EA, eaAfter)
			api.AssertIsEqual(row.Src, srcAfter)
			api.AssertIsEqual(row.OutLen, outLenAfter)
			api.AssertIsEqual(row.Pages, pagesAfter)
		}
		memBytes := api.Mul(row.Pages, 65536)

		pow := api.Add(two32, api.Mul(row.W64, new(big.Int).Sub(two64, two32)))
		half := api.Add(pow2(31), api.Mul(row.W64, new(big.Int).Sub(pow2(63), pow2(31))))
		scale := api.Sub(two32, api.Mul(row.W64, new(big.Int).Sub(two32, big.NewInt(1))))
		// v*2^W and v*2^(W-1) from the one product v*W64 (each product is
		// a constraint: several families share these).
		byW := func(v frontend.Variable) (vPow, vHalf frontend.Variable) {
			vw := api.Mul(v, row.W64)
			return api.Add(api.Mul(v, two32), api.Mul(vw, new(big.Int).Sub(two64, two32))),
				api.Add(api.Mul(v, pow2(31)), api.Mul(vw, new(big.Int).Sub(pow2(63), pow2(31))))
		}
		sg1Pow, sg1Half := byW(row.Sg1)
		sg2Pow, sg2Half := byW(row.Sg2)
		d1Pow, _ := byW(row.D1)
		rP := api.Mul(row.R, row.P)
		cmpSigned := api.Mul(S[ClassCmp], row.Signed)

		shl, shrU, rotl, divU := S[ClassShl], S[ClassShrU], S[ClassRotl], S[ClassDivU]
		bitw, popcnt := S[ClassBitwise], S[ClassPopcnt]
		binop := api.Add(S[ClassAdd], S[ClassSub], S[ClassMul], S[ClassEq], S[ClassCmp], shl, shrU, rotl, divU, bitw)
		unop := api.Add(S[ClassEqz], S[ClassWrap], S[ClassExtendU], S[ClassExtendS], S[ClassMemGrow], popcnt)
		unopNoPush := S[ClassExtSplit] // pops its operand, pushes in a later row
		shrS, shrSPush := S[ClassShrS], S[ClassShrSPush]
		unop = api.Add(unop, S[ClassClz])
		ret := S[ClassReturn]
		divS, divSPush := S[ClassDivS], S[ClassDivSPush]
		srcAfter = frontend.Variable(0)
		load, memPush, store := S[ClassLoad], S[ClassMemPush], S[ClassStore]
		loadS := api.Mul(load, row.Signed) // pushes on its sign-extension row
		loadU := api.Sub(load, loadS)      // pushes R itself
		inRead, inCopy, outWrite, outCopy := S[ClassInputRead], S[ClassInCopy], S[ClassOutputWrite], S[ClassOutCopy]
		// memory.copy, memory.fill and the byte moves that follow them.
		mCopy, mFill, mMove := S[ClassMemCopy], S[ClassMemFill], S[ClassMemMove]
		copying := api.Add(inCopy, outCopy, mMove)

		// Zero test of Z: E = (Z == 0). Z is X1, X1 - X2 for eq/ne,
		// Acc - Imm for a br_table case and a copy row (Imm = 0), and D1 -
		// Imm for a return (the return pc against Imm = HaltPC: E, the
		// run halts) and div_s.push (its quotient against Imm = 2^(W-1):
		// overflow). The program entries carry those constants.
		z := api.Sub(row.X1, api.Mul(S[ClassEq], row.X2))
		brCase := S[ClassBrCase]
		z = api.Add(z, api.Mul(api.Add(ret, divSPush), api.Sub(api.Sub(row.D1, row.Imm), row.X1)),
			api.Mul(api.Add(copying, brCase), api.Sub(api.Sub(row.Acc, row.Imm), row.X1)))
		// call_indirect tests the slot's type T against the expected one
		// (E = 1: the call proceeds). T = L1 + Sg1*NullType with L1 <
		// 2^31 (the entry has W64 = 0): Sg1 = 1 can only match a null
		// slot (types are range-checked to 32 bits, so L1 = 0), Sg1 = 0
		// only a module function's canonical type (< 2^31; a host
		// function's slot holds hostType + type and matches neither).
		callInd := S[ClassCallInd]
		slotType := api.Add(row.L1, api.Mul(row.Sg1, NullType))
		z = api.Add(z, api.Mul(callInd, api.Sub(api.Sub(slotType, row.Imm), row.X1)))
		// Not gated: every row's E is (Z == 0), X1 for the families that
		// read no E (all that read it are zeroTested).
		pa.assert(z, row.Inv, api.Sub(1, row.E))
		pa.zero(z, row.E)
		negE := api.Mul(row.Neg, row.E)
		pa.zero(api.Add(S[ClassEqz], S[ClassEq]), api.Sub(row.R, api.Sub(api.Add(row.E, row.Neg), api.Mul(negE, 2))))

		// Values moved or copied.
		pa.zero(S[ClassSelect], api.Sub(row.R, api.Add(row.X3, api.Mul(row.E, api.Sub(row.X2, row.X3)))))
		pa.zero(S[ClassConst], api.Sub(row.R, row.Imm))
		pa.zero(api.Add(S[ClassLocalGet], S[ClassGlobalGet]), api.Sub(row.R, row.V))

		// Arithmetic.
		cyPow := api.Mul(row.Cy, pow)
		pa.zero(S[ClassAdd], api.Sub(api.Add(row.X2, row.X1), api.Add(row.R, cyPow)))
		pa.zero(S[ClassSub], api.Sub(api.Add(row.X2, cyPow), api.Add(row.X1, row.R)))
		pa.zero(S[ClassMul], api.Sub(api.Mul(row.X2, row.X1), api.Add(row.R, d1Pow)))
		pa.zero(S[ClassWrap], api.Sub(row.X1, api.Add(row.R, api.Mul(row.D1, two32))))

		// Signs: X = sign*half + low, low < half.
		sg1 := api.Add(cmpSigned, S[ClassExtendS], divS)
		pa.zero(sg1, api.Sub(row.X1, api.Add(sg1Half, row.L1)))
		sg2 := api.Add(cmpSigned, divS)
		pa.zero(sg2, api.Sub(row.X2, api.Add(sg2Half, row.L2)))
		pa.zero(S[ClassExtendS], api.Sub(row.R, api.Add(row.X1, api.Mul(row.Sg1, new(big.Int).Sub(two64, two32)))))

		// Comparisons: lt(x, y) xor Neg, x - y + lt*2^W = D1 in [0, 2^W).
		a := api.Add(row.X2, api.Mul(row.Signed, api.Sub(half, sg2Pow)))
		b := api.Add(row.X1, api.Mul(row.Signed, api.Sub(half, sg1Pow)))
		x := api.Add(a, api.Mul(row.Swap, api.Sub(b, a)))
		y := api.Sub(api.Add(a, b), x)
		lt := api.Sub(api.Add(row.R, row.Neg), api.Mul(api.Mul(row.Neg, row.R), 2))
		pa.zero(S[ClassCmp], api.Sub(api.Add(api.Sub(x, y), api.Mul(lt, pow)), row.D1))

		// Range checks shared by the families: result, high part /
		// difference / return pc, low parts / caller FP and stack base.
		// Sign-extension rows take the scale from their entry: 256*Imm
		// for the split of a narrow load or extend_n_s.
		// memory.fill's entry has W64 (scale 1): 2^56 keeps its R, the
		// byte it writes, below 256.
		rScale := api.Sub(scale, api.Mul(api.Add(S[ClassExtendS], ret), new(big.Int).Sub(two32, big.NewInt(1))))
		rScale = api.Add(rScale, api.Mul(mFill, new(big.Int).Sub(pow2(56), big.NewInt(1))))
		extSplit := S[ClassExtSplit]
		scaleM := api.Add(scale, api.Mul(api.Add(memPush, extSplit), api.Sub(api.Mul(row.Imm, 256), scale)))
		rc.Check(api.Mul(row.R, rScale), 64)
		rc.Check(api.Mul(row.D1, scaleM), 64)
		rc.Check(api.Mul(row.L1, api.Mul(scaleM, 2)), 64)
		rc.Check(api.Mul(row.L2, api.Mul(scaleM, 2)), 64)
		// The same four cells unscaled. A scaled check x*2^k < 2^64 holds
		// for x = y/2^k (mod p) for every y < 2^64, a field element that
		// is no integer; it bounds x only once x is an integer below
		// 2^64, which these checks make it (then x*2^k < 2^(64+k) < p,
		// and x < 2^(64-k)). Without them a family whose equations leave
		// a cell free up to such a fraction computed wrong values:
		// i32.mul, shl, wrap, ctz, comparisons, div/rem, shift counts,
		// extend_n_s, stores, memory.fill and return all had forgeries
		// (scaled_test.go, docs/CIRCUITS.md "Scaled range checks").
		rc.Check(row.R, 64)
		rc.Check(row.D1, 64)
		rc.Check(row.L1, 64)
		rc.Check(row.L2, 64)

		// Loads and stores: bounds (D1 = memory bytes - EA - width >= 0);
		// the memory table reads or writes the bytes.
		ea := api.Add(row.Imm, api.Add(api.Mul(load, row.X1), api.Mul(store, row.X2)))
		// Cy = 1: out of bounds, D1 = EA + width - memory bytes - 1 >= 0, trap.
		// Host I/O shares the bound: input_read writes R bytes at X3,
		// output_write reads R (= X1) bytes at X2.
		io := api.Add(inRead, outWrite)
		ioR, inX3, outX2 := api.Mul(io, row.R), api.Mul(inRead, row.X3), api.Mul(outWrite, row.X2)
		memOp := api.Add(load, store, io, mCopy, mFill)
		// memory.copy's direction: Sg2 = 1 iff dst X3 > src X2, with
		// L2 = X2 - X3 >= 0 or X3 - X2 - 1 >= 0 (the input_read split
		// below, on uArg = X2 - X3); its end is max(src, dst) + n, that
		// of memory.fill dst + n.
		avail := api.Mul(api.Sub(1, row.Sg1), api.Sub(c.InLen, row.X2))
		uArg := api.Sub(avail, row.X1)
		uArg = api.Add(uArg, api.Mul(mCopy, api.Sub(api.Sub(row.X2, row.X3), uArg)))
		sg2U := api.Mul(row.Sg2, uArg)
		bulkN := api.Mul(api.Add(mCopy, mFill), row.X1) // n, also handed to the moves in Acc
		fillDst := api.Mul(mFill, row.X3)
		bulkEnd := api.Add(bulkN, fillDst, api.Mul(mCopy, api.Sub(row.X2, sg2U))) // src - Sg2*(src - dst) = max(src, dst)
		inBounds := api.Sub(memBytes, api.Add(ea, row.Height, ioR, inX3, outX2, bulkEnd))
		pa.zero(memOp, api.Sub(row.D1, api.Add(inBounds, api.Mul(row.Cy, api.Sub(api.Mul(inBounds, -2), 1)))))
		oob := api.Mul(memOp, row.Cy)
		// In bounds, (EA, T, w + 16 store, R, L1) is a row of the memory
		// table, T this row's timestamp base: a load's R is the w bytes
		// read; a store's R = X1 (below) is the w bytes written plus
		// 2^(8w) L1, L1 an integer below 2^63 (its range checks), so the
		// bytes are X1 mod 2^(8w). A signed load hands R to its
		// sign-extension row in Acc.
		ldst := api.Add(load, store)
		memOK := api.Sub(ldst, api.Mul(ldst, row.Cy))
		lu.add(memOK, tagMemOp, ea, tsStride*(r+1), api.Add(row.Height, api.Mul(store, 16)), row.R, row.L1)
		accAfter = api.Mul(loadS, row.R)
		eaAfter = frontend.Variable(0)
		// The sign split of Acc (a signed load's value, extend_n_s's low
		// part): Acc = Sg1 * 2^(n-1) + L1, L1 < 2^(n-1) (Height = 2^(n-1)).
		pa.zero(memPush, api.Sub(row.Acc, api.Add(api.Mul(row.Sg1, row.Height), row.L1)))
		pa.zero(memPush, api.Sub(row.R, api.Add(row.Acc, api.Mul(row.Sg1, api.Sub(pow, api.Mul(row.Height, 2))))))
		pa.zero(S[ClassMemSize], api.Sub(row.R, row.Pages))
		// memory.grow by X1 pages: Cy = 0 and D1 = max - pages - X1 >= 0
		// (grows, pushes the old size), or Cy = 1 and D1 = pages + X1 - max
		// - 1 >= 0 (pushes 2^32 - 1).
		grow := S[ClassMemGrow]
		room := api.Sub(c.MaxPages, api.Add(row.Pages, row.X1))
		pa.zero(grow, api.Sub(row.D1, api.Add(room, api.Mul(row.Cy, api.Sub(api.Mul(room, -2), 1)))))
		pa.zero(grow, api.Sub(row.R, api.Add(row.Pages, api.Mul(row.Cy, api.Sub(two32.Int64()-1, row.Pages)))))
		growOK := api.Mul(grow, api.Sub(1, row.Cy))
		pagesAfter = api.Add(row.Pages, api.Mul(growOK, row.X1))

		// Shifts and rotations: X1 = K + W*T (rotr: -K + W*T), T = L2 <
		// 2^(W-1), (W, K, P = 2^K) from the power table.
		clz := S[ClassClz]
		clzNZ := api.Mul(clz, api.Sub(1, row.E)) // clz/ctz of a nonzero operand
		sh := api.Add(shl, shrU, rotl, shrSPush)
		width := api.Add(32, api.Mul(row.W64, 32))
		lu.add(api.Neg(api.Add(sh, clzNZ)), tagPow, width, row.K, row.P)
		// clz: P <= X1 < 2P (D1 = X1 - P, L1 = 2P - 1 - X1 as sign/low), R = W-1-K.
		// ctz: X1 = P*(2*D1+1), R = K. Zero: R = W.
		clzOnly := api.Sub(clzNZ, api.Mul(clzNZ, row.Swap))
		ctzOnly := api.Sub(clzNZ, clzOnly)
		pa.zero(clzOnly, api.Sub(row.D1, api.Sub(row.X1, row.P)))
		pa.zero(clzOnly, api.Sub(api.Sub(api.Mul(row.P, 2), api.Add(row.X1, 1)), api.Add(sg1Half, row.L1)))
		pa.zero(clzOnly, api.Sub(row.R, api.Sub(api.Sub(width, 1), row.K)))
		pa.zero(ctzOnly, api.Sub(row.X1, api.Mul(row.P, api.Add(api.Mul(row.D1, 2), 1))))
		pa.zero(ctzOnly, api.Sub(row.R, row.K))
		pa.zero(api.Sub(clz, clzNZ), api.Sub(row.R, width))
		count := api.Add(row.X1, api.Mul(shrSPush, api.Sub(row.Src, row.X1))) // shr_s: the count waits in Src
		pa.zero(sh, api.Sub(count, api.Add(api.Sub(row.K, api.Mul(api.Mul(row.Swap, row.K), 2)), api.Mul(width, row.L2))))
		x2P := api.Mul(row.X2, row.P)
		pa.zero(shl, api.Sub(x2P, api.Add(d1Pow, row.R)))
		pa.zero(shrU, api.Sub(row.X2, api.Add(rP, row.D1)))
		pa.zero(api.Add(shrU, shrSPush), api.Sub(api.Sub(row.P, api.Add(row.D1, 1)), api.Add(sg1Half, row.L1)))
		// shr_s: the first row splits off x's sign; the second divides
		// the signed value floor-wise: x - s*2^W = (R - s*2^W)*P + D1.
		pa.zero(shrS, api.Sub(row.X2, api.Add(sg1Half, row.L1)))
		pa.zero(shrSPush, api.Sub(row.Acc, api.Add(rP, row.D1,
			api.Mul(api.Mul(row.EA, pow), api.Sub(1, row.P)))))
		pa.zero(rotl, api.Sub(x2P, api.Add(d1Pow, sg1Half, row.L1)))
		pa.zero(rotl, api.Sub(row.R, api.Add(sg1Half, row.L1, row.D1)))

		// Unsigned division: (q, rem) = (R, D1), or (D1, R) for rem_u;
		// X1 = 0 traps (E = 1).
		divOK := api.Mul(divU, api.Sub(1, row.E))
		divTrap := api.Sub(divU, divOK)
		// Signed division, first row: b = X1 = 0 traps; else hand |a|, |b|
		// and the signs to the push row.
		divSOK := api.Mul(divS, api.Sub(1, row.E))
		divSTrap := api.Sub(divS, divSOK)
		absA := api.Add(row.X2, api.Mul(row.Sg2, api.Sub(pow, api.Mul(row.X2, 2))))
		absB := api.Add(row.X1, api.Mul(row.Sg1, api.Sub(pow, api.Mul(row.X1, 2))))
		accAfter = api.Add(accAfter, api.Mul(divSOK, absA))
		eaAfter = api.Add(eaAfter, api.Mul(divSOK, absB))
		srcAfter = api.Add(srcAfter, api.Mul(divSOK, api.Add(row.Sg1, api.Mul(row.Sg2, 2))))
		// Push row: Acc = q*EA + r with r = L2 < EA (EA - r - 1 = Sg1*half +
		// L1), signs sa = Sg2, sb = Src - 2*Sg2; q = D1.
		sb := api.Sub(row.Src, api.Mul(row.Sg2, 2))
		pa.zero(divSPush, api.Mul(sb, api.Sub(1, sb)))
		pa.zero(divSPush, api.Sub(row.Acc, api.Add(api.Mul(row.D1, row.EA), row.L2)))
		pa.zero(divSPush, api.Sub(api.Sub(row.EA, api.Add(row.L2, 1)), api.Add(sg1Half, row.L1)))
		xs := api.Sub(api.Add(row.Sg2, sb), api.Mul(api.Mul(row.Sg2, sb), 2)) // signs differ
		signedQ := api.Mul(api.Sub(1, api.Mul(xs, 2)), row.D1)
		signedR := api.Mul(api.Sub(1, api.Mul(row.Sg2, 2)), row.L2)
		val := api.Add(signedQ, api.Mul(row.Neg, api.Sub(signedR, signedQ)))
		pa.zero(divSPush, api.Sub(row.R, api.Add(val, cyPow)))
		// Overflow: same signs and q = 2^(W-1), for div_s only.
		ovf := api.Mul(api.Mul(divSPush, row.E), api.Mul(api.Sub(1, xs), api.Sub(1, row.Neg)))
		negSwap := api.Mul(row.Neg, api.Sub(row.D1, row.R))
		q, rem := api.Add(row.R, negSwap), api.Sub(row.D1, negSwap)
		pa.zero(divOK, api.Sub(row.X2, api.Add(api.Mul(q, row.X1), rem)))
		pa.zero(divOK, api.Sub(api.Sub(row.X1, api.Add(rem, 1)), api.Add(sg1Half, row.L1)))

		// Host I/O (hostabi's semantics). input_read(dst X3, off X2, len
		// X1) copies R = min(len, max(0, size - off)) bytes: with t =
		// size - off - 1, Sg1 = 0 and L1 = t >= 0 (off < size), or Sg1 =
		// 1 and L1 = -t-1 >= 0 (nothing left); with u = (1-Sg1)(size -
		// off) - len, Sg2 = 0 and L2 = u >= 0 (R = len), or Sg2 = 1 and
		// L2 = -u-1 >= 0 (R = len + u, the rest of the input).
		// output_write(src X2, len X1) copies R = X1 bytes; Sg1 = 0 and
		// L1 = l = limit - OutLen - len >= 0, or Sg1 = 1 and L1 = -l-1 >=
		// 0: past the output limit, which traps unless the memory
		// range already did (Cy: the bound above, checked first). Then
		// one copy row per byte, and one that ends the copy.
		pa.zero(S[ClassInputSize], api.Sub(row.R, c.InLen))
		lim := api.Sub(maxOutput, api.Add(row.OutLen, row.X1))
		sgArg := api.Add(lim, api.Mul(inRead, api.Sub(api.Sub(c.InLen, api.Add(row.X2, 1)), lim)))
		sg1Arg := api.Mul(row.Sg1, sgArg)
		pa.zero(io, api.Sub(row.L1, api.Sub(sgArg, api.Add(api.Mul(sg1Arg, 2), row.Sg1))))
		pa.zero(api.Add(inRead, mCopy), api.Sub(row.L2, api.Sub(uArg, api.Add(api.Mul(sg2U, 2), row.Sg2))))
		pa.zero(inRead, api.Sub(row.R, api.Add(row.X1, sg2U)))
		outIn := api.Mul(outWrite, api.Sub(1, row.Cy)) // inside memory
		limTrap := api.Mul(outIn, row.Sg1)
		outOK := api.Sub(outIn, limTrap)
		busy := api.Mul(copying, api.Sub(1, row.E)) // a copy row that moves a byte
		busyBack := api.Mul(busy, row.Neg)          // a backward memory move
		accAfter = api.Add(accAfter, ioR, api.Mul(copying, api.Sub(api.Add(row.Acc, row.E), 1)))
		eaAfter = api.Add(eaAfter, inX3, api.Mul(outWrite, row.OutLen), api.Mul(busy, api.Add(row.EA, 1)), api.Mul(busyBack, -2))
		srcAfter = api.Add(srcAfter, api.Mul(io, row.X2), api.Mul(busy, api.Add(row.Src, 1)), api.Mul(busyBack, -2))
		// memory.copy hands its moves Acc = n and the addresses: dst, src
		// forward; dst + n, src + n backward, where a move works one byte
		// below them (so that no address goes below 0). memory.fill
		// writes mem[dst] (when n > 0) and hands a forward move from dst
		// to dst + 1 the other n - 1 bytes.
		fillZero := api.Mul(mFill, row.E)
		backLast := api.Mul(row.Sg2, row.X1)
		accAfter = api.Add(accAfter, bulkN, fillZero, api.Neg(mFill))
		eaAfter = api.Add(eaAfter, api.Mul(mCopy, api.Add(row.X3, backLast)), fillDst, mFill)
		srcAfter = api.Add(srcAfter, api.Mul(mCopy, api.Add(row.X2, backLast)), fillDst)
		pa.zero(mFill, api.Sub(row.X2, api.Add(api.Mul(row.L1, 256), row.R)))
		outLenAfter = api.Add(row.OutLen, api.Mul(outOK, row.X1)) // a trapping write outputs nothing

		// br_table: the index waits in Acc while the case rows compare it
		// with their label number (E = 1: taken).
		caseTaken := api.Mul(brCase, row.E)
		caseNot := api.Sub(brCase, caseTaken)
		accAfter = api.Add(accAfter, api.Mul(S[ClassBrTable], row.X1), api.Mul(caseNot, row.Acc), api.Mul(shrS, row.X2))
		eaAfter = api.Add(eaAfter, api.Mul(shrS, row.Sg1))
		srcAfter = api.Add(srcAfter, api.Mul(shrS, row.X1))
		// A padding row is a no-op: it keeps a load/store/copy in progress
		// (it could otherwise be inserted to clear Acc, EA or Src).
		accAfter = api.Add(accAfter, api.Mul(S[ClassPad], row.Acc))
		eaAfter = api.Add(eaAfter, api.Mul(S[ClassPad], row.EA))
		srcAfter = api.Add(srcAfter, api.Mul(S[ClassPad], row.Src))

		// extendN_s: split off the low n bits (2^n = 2^W * 256*Imm / 2^64);
		// the following load.push row sign-extends them.
		twoN := api.Mul(api.Mul(pow, row.Imm), new(big.Int).Mul(big.NewInt(256), new(big.Int).ModInverse(two64, api.Compiler().Field())))
		accAfter = api.Add(accAfter, api.Mul(extSplit, api.Sub(row.X1, api.Mul(row.D1, twoN))))

		// and, or, xor, popcnt: (op + 16 W64 + bitPopWeight popcnt, X1,
		// X2, R) is a row of the bitwise table (popcnt: X2 = 0, not read).
		lu.add(api.Add(bitw, popcnt), tagBit, api.Add(row.Height, api.Mul(row.W64, 16), api.Mul(popcnt, bitPopWeight)), row.X1, row.X2, row.R)

		// call_indirect: Cy = 1, the index is outside the table (D1 =
		// X1 - table size >= 0; no lookup): trap. Cy = 0: (X1, prologue
		// K, params P, locals D1, type T) is a slot of the committed
		// table; it is called when T is the expected type (E = 1), else
		// the row traps: invalid access for a null slot (Sg1 = 1), type
		// mismatch for another function.
		indIn := api.Mul(callInd, api.Sub(1, row.Cy))
		pa.zero(api.Sub(callInd, indIn), api.Sub(row.D1, api.Sub(row.X1, c.NElems)))
		// In the table: L2 = NElems - 1 - X1 >= 0 (L2 < 2^31, the entry
		// is i32). Without it Cy = 0 passed for an index past the table,
		// whose zero entries in the last opened block are valid lookups
		// (type 0 is a real type): an invalid access called pc 0.
		pa.zero(indIn, api.Sub(row.L2, api.Sub(api.Sub(c.NElems, 1), row.X1)))
		lu.add(indIn, tagTab, row.X1, row.K, row.P, row.D1, slotType)
		callOK := api.Mul(indIn, row.E)
		indTrap := api.Sub(callInd, callOK)
		indMismatch := api.Mul(api.Sub(indIn, callOK), api.Sub(1, row.Sg1))

		// Control flow.
		tk := api.Mul(S[ClassBrIf], api.Sub(1, row.E)) // br_if taken
		jump := api.Sub(row.Target, api.Add(row.PC, 1))
		// memory.copy skips the backward move when it copies forward.
		goOn := api.Add(row.PC, 1,
			api.Mul(api.Add(S[ClassBr], S[ClassElse], S[ClassCall], tk, api.Mul(S[ClassIf], row.E), caseTaken), jump),
			api.Mul(callOK, api.Sub(row.K, api.Add(row.PC, 1))),
			api.Mul(ret, api.Sub(row.D1, api.Add(row.PC, 1))),
			mCopy, api.Neg(api.Mul(mCopy, row.Sg2)),
			api.Neg(S[ClassPad]), api.Neg(busy))
		// A trap goes to HaltPC, whatever the row would do otherwise.
		nextPC = api.Add(goOn, api.Mul(api.Add(S[ClassUnreachable], divTrap, divSTrap, ovf, oob, limTrap, indTrap), api.Sub(HaltPC, goOn)))
		delta := api.Sub(api.Add(S[ClassConst], S[ClassLocalGet], S[ClassGlobalGet], memPush, loadU, S[ClassMemSize], S[ClassInputSize]),
			api.Add(S[ClassLocalSet], S[ClassGlobalSet], S[ClassDrop], api.Mul(S[ClassSelect], 2), binop, S[ClassBrIf], S[ClassIf],
				load, api.Mul(api.Add(store, inRead, outWrite, shrS, divS), 2), api.Mul(api.Add(mCopy, mFill), 3), S[ClassBrTable], unopNoPush, api.Neg(shrSPush), api.Neg(divSPush),
				S[ClassCallInd]))
		target := api.Add(row.Base, row.Height, row.Arity)
		spAfter = api.Add(row.SP, delta,
			api.Mul(api.Add(S[ClassBr], caseTaken), api.Sub(target, row.SP)),
			api.Mul(tk, api.Add(api.Sub(target, row.SP), 1)),
			api.Mul(ret, api.Sub(target, row.SP))) // a return's height: 0, or k for k > 1 values (multivalue.go)
		// Calls: the callee's locals start at LTop, its stack base is below
		// its Height (= params) arguments, which its prologue pops. Returns
		// restore the caller's FP and stack base from the frame word.
		// call_indirect takes the callee (prologue K, params P, locals D1)
		// from the function table, looked up by the popped index with the
		// instruction's expected type.
		call := api.Add(S[ClassCall], callOK) // a trapping call_indirect changes no frame state
		fpAfter = api.Add(row.FP, api.Mul(call, api.Sub(row.LTop, row.FP)), api.Mul(ret, api.Sub(row.L1, row.FP)))
		baseAfter = api.Add(row.Base, api.Mul(S[ClassCall], api.Sub(api.Sub(row.SP, row.Height), row.Base)),
			api.Mul(callOK, api.Sub(api.Sub(row.SP, api.Add(row.P, 1)), row.Base)), api.Mul(ret, api.Sub(row.L2, row.Base)))
		ltopAfter = api.Add(row.LTop, api.Mul(S[ClassCall], row.Imm), api.Mul(callOK, row.D1), api.Mul(ret, api.Sub(row.FP, row.LTop)))
		depthAfter = api.Sub(api.Add(row.Depth, call), ret)

		brRetA := api.Mul(api.Add(S[ClassBr], caseTaken, ret), row.Arity) // br, a taken case, return: moving a value
		tkA := api.Mul(tk, row.Arity)
		// R = X1: local.tee, extend_u, output_write's count, a store's
		// value, and a br, taken case or return moving a value (one
		// constraint for all).
		pa.zero(api.Add(S[ClassLocalTee], S[ClassExtendU], outWrite, brRetA, store), api.Sub(row.R, row.X1))
		pa.zero(tkA, api.Sub(row.R, row.X2))

		// Halting: a return to HaltPC, or a trap.
		retHalt := api.Mul(ret, row.E)
		traps := api.Add(S[ClassUnreachable], divTrap, divSTrap, ovf, oob, limTrap, indTrap)
		halted = api.Add(halted, retHalt, traps)
		status = api.Add(status, api.Mul(retHalt, int(claim.StatusReturned)), api.Mul(traps, int(claim.StatusTrapped)))
		trapKind = api.Add(trapKind, api.Mul(S[ClassUnreachable], int(claim.TrapUnreachable)), api.Mul(api.Add(divTrap, divSTrap), int(claim.TrapIntegerDivideByZero)),
			api.Mul(ovf, int(claim.TrapIntegerOverflow)), api.Mul(oob, int(claim.TrapOutOfBounds)), api.Mul(limTrap, int(claim.TrapOutputLimit)),
			api.Mul(indTrap, int(claim.TrapInvalidTableAccess)), api.Mul(indMismatch, int(claim.TrapIndirectCallType)-int(claim.TrapInvalidTableAccess)))

		// Memory ports.
		isLocal := api.Add(S[ClassLocalGet], S[ClassLocalSet], S[ClassLocalTee], S[ClassLocalZero])
		isGlobal := api.Add(S[ClassGlobalGet], S[ClassGlobalSet])
		isWrite := api.Add(S[ClassLocalSet], S[ClassLocalTee], S[ClassGlobalSet])
		used := [nbPorts]frontend.Variable{
			api.Add(binop, unop, S[ClassLocalSet], S[ClassLocalTee], S[ClassGlobalSet], S[ClassSelect], S[ClassBrIf], S[ClassIf], brRetA, load, store,
				inRead, outWrite, S[ClassBrTable], unopNoPush, shrS, divS, S[ClassCallInd], mCopy, mFill),
			api.Add(binop, S[ClassSelect], tkA, store, inRead, outWrite, shrS, divS, mCopy, mFill),
			api.Add(S[ClassSelect], inRead, busy, mCopy, mFill),
			api.Add(isLocal, isGlobal, call, ret, busy, mFill, api.Neg(fillZero)),
			api.Add(S[ClassConst], S[ClassLocalGet], S[ClassLocalTee], S[ClassGlobalGet], binop, unop, S[ClassSelect], brRetA, tkA,
				memPush, loadU, S[ClassMemSize], S[ClassInputSize], inRead, api.Neg(divTrap), shrSPush, divSPush, api.Neg(ovf)),
		}
		stackKey := api.Add(new(big.Int).Lsh(big.NewInt(keyStack), 32), row.SP)
		keys := [nbPorts]frontend.Variable{
			api.Sub(stackKey, 1), api.Sub(stackKey, 2),
			// the third port reads the copied byte during a copy
			api.Add(api.Sub(stackKey, 3), api.Mul(inCopy, api.Sub(api.Add(new(big.Int).Lsh(big.NewInt(keyIn), 32), row.Src), api.Sub(stackKey, 3))),
				api.Mul(api.Add(outCopy, mMove), api.Sub(api.Add(new(big.Int).Lsh(big.NewInt(keyMem), 32), row.Src), api.Sub(stackKey, 3))),
				api.Neg(busyBack)),
			api.Add(api.Mul(isLocal, api.Add(new(big.Int).Lsh(big.NewInt(keyLocal), 32), row.FP)),
				api.Mul(isGlobal, new(big.Int).Lsh(big.NewInt(keyGlobal), 32)),
				api.Mul(api.Add(isLocal, isGlobal), row.Imm),
				api.Mul(api.Add(call, ret), api.Add(frameKey, row.Depth)), call,
				api.Mul(copying, row.EA), api.Mul(inCopy, new(big.Int).Lsh(big.NewInt(keyMem), 32)),
				api.Mul(outCopy, new(big.Int).Lsh(big.NewInt(keyOut), 32)),
				api.Mul(api.Add(mMove, mFill), new(big.Int).Lsh(big.NewInt(keyMem), 32)), fillDst, api.Neg(busyBack)),
			api.Add(new(big.Int).Lsh(big.NewInt(keyStack), 32), spAfter, -1),
		}
		// The frame word a call writes and a return reads.
		frameWord := api.Add(api.Add(row.PC, 1), api.Mul(row.FP, two32), api.Mul(row.Base, two64))
		pa.zero(ret, api.Sub(row.V, api.Add(row.D1, api.Mul(row.L1, two32), api.Mul(row.L2, two64))))
		varNew := api.Add(row.V, api.Mul(isWrite, api.Sub(row.X1, row.V)), api.Neg(api.Mul(S[ClassLocalZero], row.V)),
			api.Mul(call, api.Sub(frameWord, row.V)), api.Mul(busy, api.Sub(row.X3, row.V)),
			api.Mul(mFill, api.Sub(row.R, row.V)))
		olds := [nbPorts]frontend.Variable{row.X1, row.X2, row.X3, row.V, row.O}
		news := [nbPorts]frontend.Variable{row.X1, row.X2, row.X3, varNew, row.R}
		for k := 0; k < nbPorts; k++ {
			ts := tsStride*(r+1) + k
			rc.Check(api.Sub(ts-1, row.PrevTS[k]), c.shape.tsBits())
			lu.add(api.Neg(used[k]), tagMem, keys[k], olds[k], row.PrevTS[k])
			lu.add(used[k], tagMem, keys[k], news[k], ts)
		}

		commit(row.PC, row.SP, row.FP, row.Base, row.LTop, row.Depth, row.Acc, row.EA, row.Src, row.OutLen, row.Pages, row.Imm, row.Target, row.Height,
			row.W64, row.Swap, row.Neg, row.Signed, row.Arity, row.Pseudo,
			row.X1, row.X2, row.X3, row.R, row.V, row.O, row.K, row.P,
			// determined by the above through the constraints, committed
			// anyway since they enter lookup tuples and multiplicities
			row.D1, row.L1, row.L2, row.Cy, row.E, row.Sg1, row.Sg2)
		commit(row.S[:]...)
		commit(row.PrevTS[:]...)
	}
	api.AssertIsEqual(steps, c.Steps)
	api.AssertIsBoolean(halted)

	// --- The bitwise table. ---
	// A used row takes its operands and result apart into nibbles, each
	// slot j's triple looked up as (Op + 8j IsPop, x_j, y_j, r_j): and/or/
	// xor (IsPop 0) in the shared part of the nibble table, popcount (Op
	// 4, IsPop 1) in slot j's own part, whose r_j = count/16^j makes the
	// place values below sum the counts. The bus carries Op + 16 W64 +
	// bitPopWeight IsPop. With IsPop = 1 only Op = 4 passes all 16 slots
	// (4 + 8j is in the table for j < 16 only): 260 or 276. With IsPop =
	// 0 every slot looks up Op itself, which passes for Op in 1..3 and
	// also for any 4 + 8k, k < 16 (slot k's popcount entries, whose r_j
	// are scaled by 16^-k, not 16^-j): at most 124 + 16, below 260, so
	// no such row reaches a popcnt row, nor an and/or/xor one (1..3,
	// 17..19; 4 + 8k + 16 W64 is 4 mod 8). So a row is the operation
	// the executing row names (TestTamperBitTable forges both). The
	// nibbles are digits (< 16), so the values are unique; an i32 (W64 0)
	// leaves the high 8 unread: its operands are below 2^32.
	for i := range c.Bits {
		b := &c.Bits[i]
		api.AssertIsBoolean(b.Used)
		api.AssertIsBoolean(b.W64)
		api.AssertIsBoolean(b.IsPop)
		var vals [3][2]frontend.Variable // X, Y, R: low and high 8 nibbles at their place values
		for v := range vals {
			vals[v] = [2]frontend.Variable{0, 0}
		}
		for j := range bitNibbles {
			lu.add(api.Neg(b.Used), tagNib, api.Add(b.Op, api.Mul(b.IsPop, 8*j)), b.X[j], b.Y[j], b.R[j])
			place := new(big.Int).Lsh(big.NewInt(1), uint(4*j))
			for v, nib := range [3]frontend.Variable{b.X[j], b.Y[j], b.R[j]} {
				vals[v][j/8] = api.Add(vals[v][j/8], api.Mul(nib, place))
			}
		}
		var full [3]frontend.Variable
		for v := range vals {
			full[v] = api.Add(vals[v][0], api.Mul(b.W64, vals[v][1]))
		}
		lu.add(api.Neg(b.Used), tagBit, api.Add(b.Op, api.Mul(b.W64, 16), api.Mul(b.IsPop, bitPopWeight)), full[0], full[1], full[2])
		commit(b.Used, b.Op, b.W64, b.IsPop)
		commit(b.X[:]...)
		commit(b.Y[:]...)
		commit(b.R[:]...)
	}

	// --- The memory table. ---
	// A used row receives (EA, T, w + 16 store, Value, Rest) from a load
	// or store row. Byte port i (used iff i < w: the width flags are
	// one-hot, so each port's use is linear in them) reads O_i and writes
	// B_i at address EA + i, timestamp T + nbPorts + i, after PrevTS_i:
	// the same offline memory check as the rows' ports, in the same
	// timestamp order. Each B_i is checked to 8 bits (so the value's
	// bytes are unique), unused ones are 0, and a load writes back what
	// it read (B = O). Value = sum B_i 256^i + Rest * 2^(8w) with 2^(8w)
	// counted for stores only, whose row bounds Rest (circuit rows above).
	for i := range c.MemOps {
		m := &c.MemOps[i]
		var used, isStore, width, place frontend.Variable = 0, 0, 0, 0
		for k := range 4 {
			api.AssertIsBoolean(m.Load[k])
			api.AssertIsBoolean(m.Store[k])
			used = api.Add(used, m.Load[k], m.Store[k])
			isStore = api.Add(isStore, m.Store[k])
			width = api.Add(width, api.Mul(api.Add(m.Load[k], m.Store[k]), 1<<k))
			place = api.Add(place, api.Mul(m.Store[k], pow2(8<<k)))
		}
		api.AssertIsBoolean(used)
		wide := func(k int) frontend.Variable { // a load or store of at least 2^k bytes
			var v frontend.Variable = 0
			for j := k; j < 4; j++ {
				v = api.Add(v, m.Load[j], m.Store[j])
			}
			return v
		}
		var value frontend.Variable = 0
		for j := range memPorts {
			u := wide(bits.Len(uint(j)))
			if j > 0 {
				pa.zero(api.Sub(1, u), m.B[j])
			}
			pa.zero(api.Sub(1, isStore), api.Sub(m.B[j], m.O[j]))
			rc.Check(m.B[j], 8)
			ts := api.Add(m.T, nbPorts+j)
			rc.Check(api.Sub(api.Sub(ts, 1), m.PrevTS[j]), c.shape.tsBits())
			key := api.Add(new(big.Int).Lsh(big.NewInt(keyMem), 32), m.EA, j)
			lu.add(api.Neg(u), tagMem, key, m.O[j], m.PrevTS[j])
			lu.add(u, tagMem, key, m.B[j], ts)
			value = api.Add(value, api.Mul(m.B[j], pow2(uint(8*j))))
		}
		pa.assert(m.Rest, place, api.Sub(m.Value, value))
		lu.add(api.Neg(used), tagMemOp, m.EA, m.T, api.Add(width, api.Mul(isStore, 16)), m.Value, m.Rest)
		commit(m.Load[:]...)
		commit(m.Store[:]...)
		commit(m.T, m.EA, m.Value, m.Rest)
		commit(m.B[:]...)
		commit(m.O[:]...)
		commit(m.PrevTS[:]...)
	}

	// --- Boundary states. ---
	api.AssertIsBoolean(c.IsFirst)
	r0 := &c.Rows[0]
	type bstate struct {
		pc, sp, fp, base, ltop, depth, acc, ea, src, outLen, pages frontend.Variable
		stack, locals, globals, frames                             []frontend.Variable
		mem                                                        frontend.Variable // memory root
	}
	// Linear memory: bytes, packed 31 per element for hashing.
	chunks := func(mem []frontend.Variable) []frontend.Variable {
		out := make([]frontend.Variable, chunksOf(len(mem)))
		for j := range out {
			var acc frontend.Variable = 0
			for i := 31 * j; i < min(31*(j+1), len(mem)); i++ {
				rc.Check(mem[i], 8)
				acc = api.Add(acc, api.Mul(mem[i], new(big.Int).Lsh(big.NewInt(1), uint(8*(i-31*j)))))
			}
			out[j] = acc
		}
		return out
	}
	// Memory: each touched block's leaf before and after the segment,
	// checked against and written into the tree in block order. Block
	// indices are below 2^24 (ToBinary) and strictly increasing, so that
	// the memory check below sees every opened address once.
	memAfter := c.MemRoot
	for j := range c.MemBlocks {
		bits := blockBits(h.api, rc, c.MemBlocks, j, MemTreeDepth)
		lo, hi := j*MemBlockBytes, (j+1)*MemBlockBytes
		oldLeaf := h.hashLong(chunks(c.Mem.Before[lo:hi])...)
		newLeaf := h.hashLong(chunks(c.Mem.After[lo:hi])...)
		api.AssertIsEqual(h.merkleRoot(oldLeaf, bits, c.MemPath[j][:]), memAfter)
		memAfter = h.merkleRoot(newLeaf, bits, c.MemPath[j][:])
	}
	// Input bytes are never written (the memory check keeps In.After equal
	// to In.Before), so one hash of them serves both states.
	inChunks := chunks(c.In.Before)
	outBefore, outAfter := chunks(c.Out.Before), chunks(c.Out.After)
	inD := h.hashLong(append([]frontend.Variable{len(c.In.Before)}, inChunks...)...)
	digest := func(s bstate, outChunks []frontend.Variable) (frontend.Variable, frontend.Variable) {
		list := func(cells []frontend.Variable, n frontend.Variable, g []frontend.Variable) frontend.Variable {
			return h.listDigest(claim.ListElements, []frontend.Variable{n}, cells, g)
		}
		stackD := list(s.stack, s.sp, prefixFlags(api, s.sp, len(s.stack)))
		localsD := list(s.locals, s.ltop, prefixFlags(api, s.ltop, len(s.locals)))
		depth1 := api.Add(s.depth, 1)
		framesD := list(s.frames, depth1, prefixFlags(api, depth1, len(s.frames)))
		outD := h.hashLong(append([]frontend.Variable{len(c.Out.Before)}, outChunks...)...)
		return h.hashLong(claim.TagState, s.pc, s.sp, s.fp, s.base, s.ltop, s.depth, s.acc, s.ea, s.src, s.outLen,
			s.pages, c.InLen, stackD, localsD, list(s.globals, c.NG, gGlob), framesD, s.mem, inD, outD), stackD
	}
	beforeState, _ := digest(bstate{r0.PC, r0.SP, r0.FP, r0.Base, r0.LTop, r0.Depth, r0.Acc, r0.EA, r0.Src, r0.OutLen, r0.Pages,
		c.Stack.Before, c.Locals.Before, c.Globals.Before, c.Frames.Before, c.MemRoot}, outBefore)
	afterState, stackAfterD := digest(bstate{nextPC, spAfter, fpAfter, baseAfter, ltopAfter, depthAfter, accAfter, eaAfter, srcAfter, outLenAfter, pagesAfter,
		c.Stack.After, c.Locals.After, c.Globals.After, c.Frames.After, memAfter}, outAfter)
	// bytesDigest is claim.BytesDigest of the first n bytes of a region
	// whose bytes from n on are zero (the chunk holding byte n-1 is
	// hashed whole), given its chunks and nch = ceil(n/31); chunks from
	// nch on are masked.
	bytesDigest := func(ch []frontend.Variable, n, nch frontend.Variable) frontend.Variable {
		rc.Check(api.Sub(api.Mul(nch, 31), n), 5)
		return h.listDigest(claim.ListBytes, []frontend.Variable{claim.TagBytes, n}, ch, prefixFlags(api, nch, len(ch)))
	}

	// First segment: the canonical initial state of the called function.
	entry, params, nLocals, i32Mask := c.Func.Entry, c.Func.Params, c.Func.Locals, c.Func.I32Params
	first := c.IsFirst
	pa.zero(first, api.Sub(r0.PC, entry))
	pa.zero(first, r0.SP)
	pa.zero(first, r0.FP)
	pa.zero(first, r0.Base)
	pa.zero(first, api.Sub(r0.Depth, 1))
	pa.zero(first, r0.Acc)
	pa.zero(first, r0.EA)
	pa.zero(first, r0.Src)
	pa.zero(first, api.Sub(r0.Pages, c.MemPages))
	pa.zero(first, r0.OutLen)
	for _, ch := range outBefore {
		pa.zero(first, ch) // no output yet
	}
	gIn := prefixFlags(api, c.InLen, len(c.In.Before))
	for i, b := range c.In.Before {
		pa.zero(first, api.Mul(api.Sub(1, gIn[i]), b)) // zeros after the input
	}
	pa.zero(first, api.Sub(c.MemRoot, c.MemInit)) // initial memory: the module's image
	pa.zero(first, api.Sub(r0.LTop, nLocals))
	pa.zero(first, c.Frames.Before[0])
	pa.zero(first, api.Sub(c.Frames.Before[1], HaltPC))
	gParams := prefixFlags(api, params, len(c.Locals.Before))
	gLocals := prefixFlags(api, nLocals, len(c.Locals.Before))
	// Arguments are typed: an i32 parameter holds a value below 2^32. The
	// mask covers 64 parameters, so the called function may have no more
	// (else an i32 argument from 64 on would go unchecked: the verifier
	// cannot type the statement's arguments without the module).
	rc.Check(api.Mul(first, api.Sub(64, params)), 7)
	maskBits := api.ToBinary(i32Mask, 64)
	for i := 0; i < len(c.Locals.Before) && i < 64; i++ {
		isI32 := api.Mul(first, maskBits[i])
		rc.Check(api.Mul(c.Locals.Before[i], api.Add(1, api.Mul(isI32, new(big.Int).Sub(two32, big.NewInt(1))))), 64)
	}
	for i, v := range c.Locals.Before {
		// locals past the parameters start at zero
		pa.zero(first, api.Mul(api.Sub(gLocals[i], gParams[i]), v))
	}
	for i, v := range c.Globals.Before {
		pa.zero(first, api.Mul(gGlob[i], api.Sub(v, c.GInit[i])))
	}
	inDigest := h.hash(claim.TagInput, h.listDigest(claim.ListElements, []frontend.Variable{params}, c.Locals.Before, gParams), bytesDigest(inChunks, c.InLen, c.NChIn))
	pa.zero(first, api.Sub(inDigest, c.InDigest))
	initial := h.hash(claim.TagInit, c.Module, c.Function, c.InDigest)
	api.AssertIsEqual(c.Before, api.Select(first, initial, beforeState))

	// Halted in this segment: the canonical final state.
	isTrap := api.Sub(status, api.Mul(halted, int(claim.StatusReturned))) // 1 iff trapped
	emptyValues := claim.ValuesDigest(nil)
	results := api.Select(isTrap, emptyValues, stackAfterD)
	output := h.hash(claim.TagOutput, results, bytesDigest(outAfter, outLenAfter, c.NChOut))
	final := h.hash(claim.TagFinal, status, trapKind, output)
	api.AssertIsEqual(c.After, api.Select(halted, final, afterState))

	// --- Offline memory check: initial and final contents of every cell. ---
	for _, reg := range []struct {
		r     Region
		space int64
	}{{c.Stack, keyStack}, {c.Locals, keyLocal}, {c.Globals, keyGlobal}, {c.Frames, keyFrame},
		{c.In, keyIn}, {c.Out, keyOut}} {
		base := new(big.Int).Lsh(big.NewInt(reg.space), 32)
		for i := range reg.r.Before {
			key := new(big.Int).Add(base, big.NewInt(int64(i)))
			lu.add(1, tagMem, key, reg.r.Before[i], 0)
			lu.add(-1, tagMem, key, reg.r.After[i], reg.r.LastTS[i])
			commit(reg.r.Before[i], reg.r.After[i], reg.r.LastTS[i])
		}
	}

	memBase := new(big.Int).Lsh(big.NewInt(keyMem), 32)
	for i := range c.Mem.Before {
		key := api.Add(memBase, api.Mul(c.MemBlocks[i/MemBlockBytes], MemBlockBytes), i%MemBlockBytes)
		lu.add(1, tagMem, key, c.Mem.Before[i], 0)
		lu.add(-1, tagMem, key, c.Mem.After[i], c.Mem.LastTS[i])
		commit(c.Mem.Before[i], c.Mem.After[i], c.Mem.LastTS[i])
	}
	for j := range c.MemBlocks {
		commit(c.MemBlocks[j])
	}

	// The power table: (W, k, 2^k) for W in {32, 64}, k < W.
	for i := range c.PowMult {
		w, k := 32, i
		if i >= 32 {
			w, k = 64, i-32
		}
		lu.add(c.PowMult[i], tagPow, w, k, new(big.Int).Lsh(big.NewInt(1), uint(k)))
		commit(c.PowMult[i])
	}

	// The nibble table (nibEntry): (op, a, b, a op b) for and (1), or
	// (2), xor (3), and per slot j (4+8j, a, 0, popcount(a)/16^j).
	for i := range c.NibMult {
		op, a, b, r := nibEntry(i)
		lu.add(c.NibMult[i], tagNib, op, a, b, r.BigInt(new(big.Int)))
		commit(c.NibMult[i])
	}

	multicommit.WithCommitment(api, func(api frontend.API, alpha frontend.Variable) error {
		beta := h.compress(alpha, 1)
		pows := []frontend.Variable{1, beta}
		var acc frontend.Variable = 0
		for _, t := range lu.terms {
			for len(pows) < len(t.fields)+1 {
				pows = append(pows, api.Mul(pows[len(pows)-1], beta))
			}
			f := api.Mul(pows[len(t.fields)], t.tag)
			for i, v := range t.fields {
				f = api.Add(f, api.Mul(pows[i], v))
			}
			acc = api.Add(acc, api.DivUnchecked(t.mult, api.Sub(alpha, f)))
		}
		api.AssertIsEqual(acc, 0)
		return nil
	}, committed...)
	return nil
}
