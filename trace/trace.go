package trace

// This file defines the data the tracer produces and the circuits consume.
// The layout is documented in docs/TRACE.md; change it only additively.
//
// Everything here is flat: a trace is a few slices of small fixed-size
// structs per segment, so that recording costs a handful of stores per step
// and no allocation.

// Op identifies an instruction in a Row and in the program table. One-byte
// WebAssembly opcodes keep their value (0x00..0xFF); 0xFC-prefixed opcodes
// are 0xFC00 | subopcode, so the two never collide.
type Op uint16

// PrefixFC is the high byte of 0xFC-prefixed opcodes in an Op.
const PrefixFC Op = 0xFC00

// The bulk-memory instructions of the provable subset.
const (
	OpMemoryCopy = PrefixFC | 10 // memory.copy: pops dst, src, n (n on top)
	OpMemoryFill = PrefixFC | 11 // memory.fill: pops dst, val, n (n on top)
)

// Space is the address space of a memory access. Every piece of machine state
// lives in exactly one space; an access names the space, an address inside
// it, the value, whether it reads or writes, and a timestamp.
type Space uint8

const (
	// SpaceStack is the value (operand) stack. Address: absolute slot index,
	// 0 at the bottom of the whole run (it does not restart per frame).
	// Values are 64-bit; an i32 occupies the low 32 bits, high bits zero.
	SpaceStack Space = iota
	// SpaceLocal is the locals area. Every frame owns the slots
	// [Row.FP, Row.FP+numLocals); address = FP + local index. Parameters are
	// the first locals. Frames are allocated contiguously, so the area grows
	// and shrinks with the call stack.
	SpaceLocal
	// SpaceGlobal holds the globals. Address: global index.
	SpaceGlobal
	// SpaceMemory is linear memory. Address: byte address of the first byte;
	// Width: 1, 2, 4 or 8 bytes; Value: the bytes little-endian, zero
	// extended (a load's access holds the raw bytes, before sign extension).
	SpaceMemory
	// SpaceFrame holds call frames. Frame at call depth d (1 = entry
	// function) has FrameWords words at addresses d*FrameWords + FrameRet..,
	// written by the call and read back by the return.
	SpaceFrame
	// SpaceInput is the call's input bytes (read-only). Address: byte offset
	// in the input; Width 1.
	SpaceInput
	// SpaceOutput is the call's output (append-only). Address: byte offset
	// in the output; Width 1.
	SpaceOutput
	// SpaceTable is the funcref table (read-only). Address: element index;
	// Value: function index, or NullFunc.
	SpaceTable

	numSpaces
)

// Words of a call frame in SpaceFrame, relative to depth*FrameWords.
const (
	FrameRet       = 0 // pc to continue at after the return (HaltPC for the entry frame)
	FrameCallerFP  = 1 // locals base of the caller
	FrameStackBase = 2 // value-stack height when the callee started (its params already popped)
	FrameFunc      = 3 // function index of the callee
	FrameWords     = 4
)

// BlockTypeIndex is added to a type index in the Imm of block, loop and if
// whose block type is a type index; otherwise Imm is the block type byte
// (0x40 empty, or a value type such as 0x7F for i32).
const BlockTypeIndex = 0x100

// HaltPC is the return pc of the entry frame: returning to it ends the run.
const HaltPC = ^uint32(0)

// NullFunc is the Value of an uninitialised table element.
const NullFunc = ^uint64(0)

func (s Space) String() string {
	switch s {
	case SpaceStack:
		return "stack"
	case SpaceLocal:
		return "local"
	case SpaceGlobal:
		return "global"
	case SpaceMemory:
		return "memory"
	case SpaceFrame:
		return "frame"
	case SpaceInput:
		return "input"
	case SpaceOutput:
		return "output"
	case SpaceTable:
		return "table"
	}
	return "space?"
}

// Access is one read or write of machine state.
//
// TS (timestamp) is a counter over the whole run, strictly increasing in
// record order, so that within one step several accesses to the same address
// are ordered too. Within a row, reads of operands come before writes of
// results. The accesses of a row are Segment.Accesses[Row.Acc : Row.Acc+Row.NAcc].
type Access struct {
	TS    uint64
	Value uint64
	Addr  uint32
	Space Space
	Width uint8 // bytes: 1, 2, 4 or 8 in SpaceMemory; 1 in SpaceInput/SpaceOutput; 8 elsewhere
	Write bool
}

// Row is one executed instruction (one step).
//
// Operand values are duplicated from the accesses so that a family table can
// read them from the row alone: A, B, C are the popped operands in stack
// order (A deepest; for select, A and B are the choices and C the
// condition), R the pushed result (the loaded value after extension for a
// load, the old size for memory.grow/size, the host function's result).
type Row struct {
	PC      uint32 // global pc: index into Program.Code
	Op      Op
	_       uint16
	SP      uint32 // value-stack height before the step
	SPAfter uint32 // value-stack height after the step
	NextPC  uint32 // pc of the next step (HaltPC when the run returns)
	Depth   uint32 // call depth before the step (1 = entry function)
	FP      uint32 // locals base of the current frame
	Acc     uint32 // index of the row's first access in Segment.Accesses
	NAcc    uint32 // number of accesses of the row
	_       uint32
	Imm     uint64 // the instruction's main immediate (Instr.Imm), or for br_table the chosen label's index
	A, B, C uint64
	R       uint64
}

// IOKind says which host function an IOEvent comes from.
type IOKind uint8

const (
	IOInputSize IOKind = iota + 1
	IOInputRead
	IOOutputWrite
)

func (k IOKind) String() string {
	switch k {
	case IOInputSize:
		return "input_size"
	case IOInputRead:
		return "input_read"
	case IOOutputWrite:
		return "output_write"
	}
	return "io?"
}

// IOEvent is one host I/O call. Its bytes are Segment.IOData[Data:Data+Len].
//
// input_read: Ptr = destination in memory, Offset = input offset, Len = bytes
// copied (the host result). output_write: Ptr = source in memory, Offset =
// output length before the write, Len = bytes appended. input_size: Len =
// input size. Every byte is also an Access (SpaceInput read + SpaceMemory
// write, or SpaceMemory read + SpaceOutput write), in byte order.
type IOEvent struct {
	Step   uint64 // global step index of the call instruction
	Kind   IOKind
	Ptr    uint32
	Offset uint32
	Len    uint32
	Data   uint32
}

// Frame is one call frame of a boundary State.
type Frame struct {
	Func      uint32 // function index
	ReturnPC  uint32 // HaltPC for the entry frame
	FP        uint32 // this frame's locals base
	StackBase uint32 // value-stack height at the frame's start
}

// State is the complete machine state at a segment boundary, except linear
// memory contents (see Segment.Chunks and Trace.MemoryAt). The next segment
// continues from exactly this state.
type State struct {
	Step      uint64   // steps executed before this state
	TS        uint64   // next access timestamp
	PC        uint32   // next instruction (HaltPC after the run returned)
	Frames    []Frame  // call stack, entry frame first
	Stack     []uint64 // value stack, bottom first (len = stack height)
	Locals    []uint64 // locals area, len = locals in use
	Globals   []uint64 // all globals, by index
	MemPages  uint32   // linear memory size in 64 KiB pages
	OutputLen uint32   // bytes of output written so far
}

// ChunkSize is the granularity in bytes at which segments report the linear
// memory they touch, so that a segment pays only for the chunks it uses.
const ChunkSize = 1024

// Segment is a slice of the run of at most the configured capacity steps,
// with the state before and after it and the memory chunks it touched.
type Segment struct {
	Index     int
	FirstStep uint64 // global index of Rows[0]
	Before    State
	After     State
	Rows      []Row
	Accesses  []Access
	IO        []IOEvent
	IOData    []byte
	// Chunks lists, ascending, the ChunkSize-byte chunks of linear memory
	// the segment read or wrote (chunk c covers [c*ChunkSize, (c+1)*ChunkSize)).
	// ChunksBefore and ChunksAfter hold their contents at the start and end
	// of the segment, ChunkSize bytes per chunk in the order of Chunks; a
	// chunk beyond the memory size at that moment reads as zeros.
	Chunks       []uint32
	ChunksBefore []byte
	ChunksAfter  []byte
}

// Status is how a run ended.
type Status uint8

const (
	Returned Status = iota + 1
	Trapped
)

func (s Status) String() string {
	switch s {
	case Returned:
		return "returned"
	case Trapped:
		return "trapped"
	}
	return "status?"
}

// Trace is the result of Run: the outcome of the call and its trace.
type Trace struct {
	Program  *Program
	Export   string
	Func     uint32   // function index of the export
	Args     []uint64 // as passed, i32 args masked to 32 bits
	Input    []byte
	Status   Status
	Trap     TrapKind // TrapNone unless Status == Trapped
	TrapPC   uint32   // pc of the trapping instruction
	Results  []uint64 // i32 results have zero high bits
	Output   []byte
	Steps    uint64
	Capacity int // the segment capacity the trace was recorded with (Verify checks it)
	Segments []Segment
	// InitialMemory is linear memory after instantiation (data segments
	// applied); FinalMemory at the end of the run. Globals are in the first
	// segment's Before and the last segment's After states.
	InitialMemory []byte
	FinalMemory   []byte
	FinalGlobals  []uint64
}

// Instr is one entry of the program table.
type Instr struct {
	Op     Op
	Func   uint32 // function index (imports first, as in the module)
	Offset uint32 // byte offset of the opcode in the module binary
	Imm    uint64 // main immediate, see docs/TRACE.md
	// Control-flow and memory details; zero when unused.
	Target uint32 // branch target pc / else target / callee function / alignment
	Arity  uint32 // values carried by a branch (label arity)
	Height uint32 // value-stack height, relative to the frame's StackBase, a branch unwinds to
	Table  uint32 // br_table: index of the first BrEntry in Program.BrTable; count = Imm+1 (default last)
}

// BrEntry is one label of a br_table: where it jumps and how it unwinds.
type BrEntry struct {
	Target uint32
	Arity  uint32
	Height uint32
}

// Program is the flattened program table of a module: every instruction of
// every function body, in function order, indexed by global pc. The circuits
// bind it to the module commitment.
type Program struct {
	Code    []Instr
	BrTable []BrEntry
	Funcs   []FuncInfo // by function index, imports included
}

// FuncInfo locates a function in the program table.
type FuncInfo struct {
	Name      string // export or name-section name, when known
	Import    string // "module.name" for an imported function
	Type      uint32
	Params    uint32
	Results   uint32
	Locals    uint32 // locals including params
	Entry     uint32 // pc of the first instruction (imports: HaltPC)
	End       uint32 // pc one past the last instruction
	MaxHeight uint32 // maximum operand-stack height above StackBase
}
