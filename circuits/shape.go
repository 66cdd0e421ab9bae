package circuits

import (
	"fmt"
)

// Shape is a capacity class of the segment circuit. Every field is a
// capacity: a segment fits a shape when its steps, program, stack, locals,
// globals and functions fit. One proving/verifying key exists per shape.
type Shape struct {
	Rows    int // steps per segment (padding fills the rest)
	Prog    int // program-table entries a segment opens, in blocks of ProgBlockEntries (rounded up)
	Funcs   int // unused since functions are a Merkle tree (memtree.go); kept in the id, by which users cache keys
	Stack   int // value-stack slots
	Locals  int // locals-area slots
	Globals int // globals
	Depth   int // call depth
	Mem     int // bytes of linear memory a segment may open, in blocks of MemBlockBytes (rounded up)
	In, Out int // input and output bytes
	Table   int // funcref table slots a segment opens, in blocks of ProgBlockEntries (rounded up)
}

// ID is the shape's stable name, used to key and cache its circuit keys.
func (s Shape) ID() string {
	return fmt.Sprintf("seg-r%d-p%d-f%d-s%d-l%d-g%d-d%d-m%d-i%d-o%d-t%d", s.Rows, s.Prog, s.Funcs, s.Stack, s.Locals, s.Globals, s.Depth, s.Mem, s.In, s.Out, s.Table)
}

func (s Shape) String() string { return s.ID() }

// Shapes lists the standard capacity classes. New shapes are only ever
// appended: users cache keys per shape. The prover picks the cheapest one
// a run fits within its memory budget; Fit picks the first in this order.
func Shapes() []Shape {
	return []Shape{
		{Rows: 64, Prog: 64, Funcs: 4, Stack: 16, Locals: 16, Globals: 4, Depth: 4, Mem: 0, In: 0, Out: 0, Table: 0},
		{Rows: 1024, Prog: 512, Funcs: 16, Stack: 64, Locals: 64, Globals: 16, Depth: 16, Mem: 1024, In: 256, Out: 256, Table: 16},
		// long runs of small programs (100,000-step loops)
		{Rows: 8192, Prog: 512, Funcs: 32, Stack: 128, Locals: 128, Globals: 16, Depth: 32, Mem: 4096, In: 1024, Out: 1024, Table: 32},
		// larger programs and memories
		{Rows: 4096, Prog: 2048, Funcs: 64, Stack: 256, Locals: 256, Globals: 32, Depth: 64, Mem: 16384, In: 4096, Out: 4096, Table: 256},
		// long runs of small programs within a 4 GiB proving budget: the
		// 8192-row shape's program and stack capacities with half its
		// memory and 3840 rows, which keeps it under 2^21 constraints
		// (with 4096 rows it compiles to 2.13 M) so that its FFT domain
		// is half the 8192-row shape's (docs/PERFORMANCE.md, "Memory")
		{Rows: 3840, Prog: 512, Funcs: 32, Stack: 128, Locals: 128, Globals: 16, Depth: 32, Mem: 2048, In: 512, Out: 512, Table: 32},
		// larger programs and memories within a 4 GiB proving budget: the
		// 4096-row large shape's capacities with 1024 rows (its fixed
		// tables are most of it; short runs also waste fewer padding rows)
		{Rows: 1024, Prog: 2048, Funcs: 64, Stack: 256, Locals: 256, Globals: 32, Depth: 64, Mem: 16384, In: 4096, Out: 4096, Table: 256},
		// the same opening 8 KiB of memory and 1,536 program entries
		// per segment instead of 16 KiB and 2,048: since memory and the
		// program are Merkle trees (memtree.go), the shape above compiles
		// to 2.59 M constraints, past 2^21
		{Rows: 1024, Prog: 1536, Funcs: 64, Stack: 256, Locals: 256, Globals: 32, Depth: 64, Mem: 8192, In: 4096, Out: 4096, Table: 256},
		// the 3,840-row shape opening 12 program blocks per segment
		// instead of 16: with the program tree, 16 took it to 2.13 M,
		// past 2^21
		{Rows: 3840, Prog: 384, Funcs: 32, Stack: 128, Locals: 128, Globals: 16, Depth: 32, Mem: 2048, In: 512, Out: 512, Table: 32},
		// the 1,024-row shape opening twice the program blocks: compiled
		// code spreads a segment over many functions (the Zig fixture's
		// greeting takes 4 segments of it instead of 7 of the 1,024-row
		// shape, 32% less proving work)
		{Rows: 1024, Prog: 1024, Funcs: 16, Stack: 64, Locals: 64, Globals: 16, Depth: 16, Mem: 1024, In: 256, Out: 256, Table: 16},
		// deep recursion: 512 frames and 1,024 value-stack and locals
		// slots (the others hold at most 64 frames and 256 slots, which
		// the boundary state commits densely, ~470 constraints a slot),
		// with 512 rows to stay under 2^21 constraints for the 4 GiB
		// budget
		{Rows: 512, Prog: 512, Funcs: 16, Stack: 1024, Locals: 1024, Globals: 16, Depth: 512, Mem: 1024, In: 256, Out: 256, Table: 16},
		// the tracer's whole call depth (2,000 frames, trace.
		// DefaultMaxCallDepth) with two value-stack and locals slots a
		// frame: affordable since the boundary lists are hashed with the
		// wide sponge (~120 constraints a slot instead of ~470), 1.75 M
		// constraints, under 2^21
		{Rows: 1024, Prog: 512, Funcs: 16, Stack: 4096, Locals: 4096, Globals: 16, Depth: 2048, Mem: 1024, In: 256, Out: 256, Table: 16},
	}
}

// progBlocks is the number of program blocks a segment opens.
func (s Shape) progBlocks() int { return (s.Prog + ProgBlockEntries - 1) / ProgBlockEntries }

// tableBlocks is the number of funcref table blocks a segment opens.
func (s Shape) tableBlocks() int { return (s.Table + ProgBlockEntries - 1) / ProgBlockEntries }

// memBlocks is the number of memory blocks a segment opens.
func (s Shape) memBlocks() int { return (s.Mem + MemBlockBytes - 1) / MemBlockBytes }

func chunksOf(n int) int { return (n + 30) / 31 }

// EstimatedConstraints estimates the shape's R1CS constraint count without
// compiling it (compiling the largest standard shape takes tens of seconds
// and gigabytes), so that the prover can compare shapes it has never built.
// The coefficients were fitted by weighted least squares over the compiled
// standard shapes, the per-row one refitted by hand to within 2.5%
// (TestEstimatedConstraints keeps them within 15%): about 410 per row (the
// bitwise and memory tables' shares and the unscaled range checks
// included), 4,700 per
// program block opened (32 entries, their sponge hash and a Merkle path), 120 per
// stack/local/global/frame slot, 11 per input/output byte, 12,700 per
// memory block opened (two Merkle paths, two leaf hashes, 256 bytes),
// 8,500 per funcref table block opened, plus the called function's path
// and the fixed tables.
func (s Shape) EstimatedConstraints() int {
	return 410*s.Rows + 4700*s.progBlocks() + 120*(s.Stack+s.Locals+s.Globals+s.Depth) +
		11*(s.In+s.Out) + 12700*s.memBlocks() + 8500*s.tableBlocks() + 14900
}

// bitRows is the number of rows of the bitwise table: one per and, or,
// xor or popcnt a segment executes. An eighth of the rows holds the
// benchmark programs' densest mix (sha256: 9% of its rows once each
// operation takes one row) without cutting segments early.
func (s Shape) bitRows() int { return (s.Rows + 7) / 8 }

// memRows is the number of rows of the memory table: one per load or
// store a segment executes in bounds. A sixth of the rows holds the
// benchmark programs' densest stretches (insertion sort: 12% of its rows
// once each load and store takes one row) without cutting segments early.
func (s Shape) memRows() int { return (s.Rows + 5) / 6 }
