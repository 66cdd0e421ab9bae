package trace

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/mcpzero/mcpzero/internal/hostabi"
)

const pageSize = 65536

// machine is the interpreter state of one Run.
type machine struct {
	cfg   config
	mod   *Module
	prog  *Program
	canon []uint32

	stack   []uint64
	locals  []uint64
	ltop    uint32 // locals in use
	globals []uint64
	mem     []byte
	pages   uint32
	maxPage uint32
	table   []uint64
	frames  []Frame
	io      hostabi.IO

	// recording
	seg        *Segment
	segs       []Segment
	step       uint64 // steps before the current segment
	ts         uint64 // timestamp of the current segment's first access
	chunkEpoch []uint32
	epoch      uint32
	ioBuf      []byte
}

// memView lets hostabi read and write the interpreter's memory.
type memView struct{ m *machine }

func (v memView) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(v.m.mem)) {
		return nil, false
	}
	return v.m.mem[off : off+n], true
}

func (v memView) Write(off uint32, b []byte) bool {
	if uint64(off)+uint64(len(b)) > uint64(len(v.m.mem)) {
		return false
	}
	copy(v.m.mem[off:], b)
	return true
}

// Run calls the export of mod on a fresh instance with integer args (one
// per parameter; i32 values are taken modulo 2^32) and input bytes, and
// records its trace.
//
// A trap is an outcome, reported in the Trace (Status, Trap), not an error.
// Errors are for bad calls (ErrExport, ErrArgs, *ProvabilityError),
// instantiation failures (ErrInstantiate, ErrMemoryLimit), the step limit
// (ErrStepLimit), the context, or the segment handler.
func Run(ctx context.Context, mod *Module, export string, args []uint64, input []byte, opts ...Option) (*Trace, error) {
	inst, err := NewInstance(mod, opts...)
	if err != nil {
		return nil, err
	}
	tr, err := inst.run(ctx, export, args, input, false, opts)
	return tr, err
}

// Instance is an instantiated module whose memory and globals persist
// across calls, as a wazero module instance's do. The tracer proves one call
// at a time: each Run's trace starts from the instance's state at that
// moment (Trace.InitialMemory, Segments[0].Before.Globals).
type Instance struct {
	mod     *Module
	globals []uint64
	mem     []byte
	pages   uint32
	maxPage uint32
	table   []uint64
}

// NewInstance instantiates mod: globals, memory with its data segments,
// table with its element segments. Only WithMaxMemoryPages matters here.
func NewInstance(mod *Module, opts ...Option) (*Instance, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	inst := &Instance{mod: mod}
	if err := inst.instantiate(cfg); err != nil {
		return nil, err
	}
	return inst, nil
}

// Memory returns the instance's linear memory (nil without one).
func (inst *Instance) Memory() []byte { return inst.mem }

// Globals returns the instance's globals, by index.
func (inst *Instance) Globals() []uint64 { return inst.globals }

// Run calls the export on the instance and records its trace; see the
// function Run. Memory and global changes persist, also after a trap.
func (inst *Instance) Run(ctx context.Context, export string, args []uint64, input []byte, opts ...Option) (*Trace, error) {
	return inst.run(ctx, export, args, input, true, opts)
}

func (inst *Instance) run(ctx context.Context, export string, args []uint64, input []byte, persistent bool, opts []Option) (*Trace, error) {
	mod := inst.mod
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := CheckCallProvable(mod, export); err != nil {
		return nil, err
	}
	f, _ := mod.ExportedFunc(export)
	if mod.hostKinds[f] != 0 || mod.Funcs[f].Import != nil {
		return nil, fmt.Errorf("%w: %q is an imported function", ErrExport, export)
	}
	ft := mod.FuncType(f)
	if len(args) != len(ft.Params) {
		return nil, fmt.Errorf("%w: %s takes %d argument(s) %v, got %d", ErrArgs, export, len(ft.Params), ft.Params, len(args))
	}
	m := &machine{cfg: cfg, mod: mod, prog: mod.Program, canon: mod.canonicalTypes(),
		globals: inst.globals, mem: inst.mem, pages: inst.pages, maxPage: inst.maxPage, table: inst.table}
	m.chunkEpoch = make([]uint32, len(m.mem)/ChunkSize)
	m.io = hostabi.IO{Input: input, MaxOutput: cfg.maxOutput}
	tr := &Trace{Program: mod.Program, Export: export, Func: f, Input: input, Capacity: cfg.segCap}
	tr.Args = make([]uint64, len(args))
	for i, a := range args {
		if ft.Params[i] == I32 {
			a = uint64(uint32(a))
		}
		tr.Args[i] = a
	}
	tr.InitialMemory = append([]byte(nil), m.mem...)
	// The entry frame: part of the initial state, not a step.
	pf := &m.prog.Funcs[f]
	m.frames = append(m.frames, Frame{Func: f, ReturnPC: HaltPC, FP: 0, StackBase: 0})
	if !m.ensureLocals(pf.Locals) || !m.ensureStack(int(pf.MaxHeight)) {
		return nil, fmt.Errorf("%w: the entry function needs more than %d stack slots", ErrLimit, cfg.maxSlots)
	}
	copy(m.locals, tr.Args)
	m.ltop = pf.Locals
	err := m.exec(ctx, tr, pf.Entry)
	// Memory and globals changed in place; memory.grow may have moved it.
	inst.mem, inst.pages = m.mem, m.pages
	if err != nil {
		return nil, err
	}
	tr.Output = m.io.Output
	tr.FinalMemory = m.mem
	if persistent {
		tr.FinalMemory = append([]byte(nil), m.mem...)
	}
	tr.FinalGlobals = append([]uint64(nil), m.globals...)
	if cfg.handler == nil {
		tr.Segments = m.segs
	}
	return tr, nil
}

func (inst *Instance) instantiate(cfg config) error {
	mod := inst.mod
	inst.globals = make([]uint64, len(mod.Globals))
	for i, g := range mod.Globals {
		inst.globals[i] = g.Init
	}
	if mem := mod.Memory; mem != nil {
		inst.maxPage = cfg.maxPages
		if mem.HasMax && mem.Max < inst.maxPage {
			inst.maxPage = mem.Max
		}
		// Like wazero (WithMemoryLimitPages): a minimum above the limit
		// fails, a maximum above it is lowered to it.
		if mem.Min > cfg.maxPages {
			return &LimitError{Limit: ErrMemoryLimit, Max: uint64(cfg.maxPages), Got: uint64(mem.Min)}
		}
		inst.pages = mem.Min
		inst.mem = make([]byte, int(mem.Min)*pageSize)
	}
	if t := mod.Table; t != nil {
		if t.Min > maxTableLen {
			return fmt.Errorf("%w: table of %d elements is larger than %d", ErrInstantiate, t.Min, maxTableLen)
		}
		inst.table = make([]uint64, t.Min)
		for i := range inst.table {
			inst.table[i] = NullFunc
		}
	}
	// WebAssembly 1.0: check every segment before writing any.
	for _, e := range mod.Elems {
		if uint64(e.Offset)+uint64(len(e.Funcs)) > uint64(len(inst.table)) {
			return fmt.Errorf("%w: element segment at offset %#x does not fit the table (elements [%d, %d) of %d)", ErrInstantiate, e.At, e.Offset, uint64(e.Offset)+uint64(len(e.Funcs)), len(inst.table))
		}
	}
	for _, d := range mod.Datas {
		if d.Passive {
			continue
		}
		if uint64(d.Offset)+uint64(len(d.Bytes)) > uint64(len(inst.mem)) {
			return fmt.Errorf("%w: data segment at offset %#x does not fit memory (bytes [%d, %d) of %d)", ErrInstantiate, d.At, d.Offset, uint64(d.Offset)+uint64(len(d.Bytes)), len(inst.mem))
		}
	}
	for _, e := range mod.Elems {
		for i, f := range e.Funcs {
			inst.table[int(e.Offset)+i] = uint64(f)
		}
	}
	for _, d := range mod.Datas {
		if !d.Passive {
			copy(inst.mem[d.Offset:], d.Bytes)
		}
	}
	return nil
}

func (m *machine) ensureStack(n int) bool {
	if n <= len(m.stack) {
		return true
	}
	if n > m.cfg.maxSlots {
		return false
	}
	c := 2 * len(m.stack)
	if c < n {
		c = n
	}
	if c < 64 {
		c = 64
	}
	if c > m.cfg.maxSlots {
		c = m.cfg.maxSlots
	}
	s := make([]uint64, c)
	copy(s, m.stack)
	m.stack = s
	return true
}

func (m *machine) ensureLocals(n uint32) bool {
	if int(n) <= len(m.locals) {
		return true
	}
	if int(n) > m.cfg.maxSlots {
		return false
	}
	c := 2 * len(m.locals)
	if c < int(n) {
		c = int(n)
	}
	if c < 64 {
		c = 64
	}
	if c > m.cfg.maxSlots {
		c = m.cfg.maxSlots
	}
	s := make([]uint64, c)
	copy(s, m.locals)
	m.locals = s
	return true
}

// state snapshots the machine at a segment boundary.
func (m *machine) state(step, ts uint64, pc uint32, sp uint32) State {
	return State{
		Step:      step,
		TS:        ts,
		PC:        pc,
		Frames:    append([]Frame(nil), m.frames...),
		Stack:     append([]uint64(nil), m.stack[:sp]...),
		Locals:    append([]uint64(nil), m.locals[:m.ltop]...),
		Globals:   append([]uint64(nil), m.globals...),
		MemPages:  m.pages,
		OutputLen: uint32(len(m.io.Output)),
	}
}

// beginSegment starts a segment at the given state.
func (m *machine) beginSegment(before State) {
	cap := m.cfg.segCap
	if m.seg != nil && m.cfg.handler != nil {
		// Reuse the buffers of the previous segment (handler mode).
		s := m.seg
		*s = Segment{Index: s.Index + 1, Rows: s.Rows[:0], Accesses: s.Accesses[:0], IO: s.IO[:0], IOData: s.IOData[:0],
			Chunks: s.Chunks[:0], ChunksBefore: s.ChunksBefore[:0], ChunksAfter: s.ChunksAfter[:0]}
	} else {
		idx := 0
		if m.seg != nil {
			idx = m.seg.Index + 1
		}
		rowCap := cap
		if rowCap > 1<<16 {
			rowCap = 1 << 16 // grows by append beyond; avoids huge upfront allocations
		}
		m.seg = &Segment{Index: idx, Rows: make([]Row, 0, rowCap), Accesses: make([]Access, 0, 3*rowCap)}
	}
	m.seg.FirstStep = before.Step
	m.seg.Before = before
	m.epoch++
}

// endSegment closes the current segment at the given state.
func (m *machine) endSegment(after State) error {
	s := m.seg
	s.After = after
	// Sort the touched chunks and lay out their contents in that order.
	n := len(s.Chunks)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return s.Chunks[order[a]] < s.Chunks[order[b]] })
	chunks := make([]uint32, n)
	before := make([]byte, n*ChunkSize)
	after2 := s.ChunksAfter[:0]
	for i, o := range order {
		c := s.Chunks[o]
		chunks[i] = c
		copy(before[i*ChunkSize:], s.ChunksBefore[o*ChunkSize:(o+1)*ChunkSize])
		after2 = append(after2, m.mem[c*ChunkSize:(c+1)*ChunkSize]...)
	}
	s.Chunks, s.ChunksBefore, s.ChunksAfter = chunks, before, after2
	if m.cfg.handler != nil {
		return m.cfg.handler(s)
	}
	m.segs = append(m.segs, *s)
	return nil
}

// touch records the chunks of [addr, addr+n) as used by the current
// segment, saving their contents before the first use. The range is in
// bounds.
func (m *machine) touch(addr uint64, n uint64) {
	if n == 0 {
		return
	}
	for c := addr / ChunkSize; c <= (addr+n-1)/ChunkSize; c++ {
		if m.chunkEpoch[c] != m.epoch {
			m.chunkEpoch[c] = m.epoch
			m.seg.Chunks = append(m.seg.Chunks, uint32(c))
			m.seg.ChunksBefore = append(m.seg.ChunksBefore, m.mem[c*ChunkSize:(c+1)*ChunkSize]...)
		}
	}
}

// MemoryAt reconstructs linear memory at the start of segment k from the
// initial memory and the chunks of the segments before it (only for traces
// that kept their segments).
func (t *Trace) MemoryAt(k int) []byte {
	mem := append([]byte(nil), t.InitialMemory...)
	for i := 0; i < k && i < len(t.Segments); i++ {
		s := &t.Segments[i]
		if need := int(s.After.MemPages) * pageSize; need > len(mem) {
			mem = append(mem, make([]byte, need-len(mem))...)
		}
		for j, c := range s.Chunks {
			copy(mem[int(c)*ChunkSize:], s.ChunksAfter[j*ChunkSize:(j+1)*ChunkSize])
		}
	}
	if k < len(t.Segments) {
		if need := int(t.Segments[k].Before.MemPages) * pageSize; need > len(mem) {
			mem = append(mem, make([]byte, need-len(mem))...)
		}
	}
	return mem
}

// Err returns the trap as a *TrapError, or nil when the run returned.
func (t *Trace) Err() error {
	if t.Status != Trapped {
		return nil
	}
	return &TrapError{Kind: t.Trap, PC: t.TrapPC, Func: t.Program.Code[t.TrapPC].Func}
}

// ErrStackOverflow matches (errors.Is) the error of a run that exceeded the
// call depth or the stack slots.
var ErrStackOverflow = &TrapError{Kind: TrapStackOverflow}

func hostTrap(err error) TrapKind {
	if errors.Is(err, hostabi.ErrOutputLimit) {
		return TrapOutputLimit
	}
	return TrapOutOfBoundsMemory
}
