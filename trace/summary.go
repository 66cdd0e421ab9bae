package trace

import "sort"

// Family is a group of instructions that one circuit family table proves.
type Family uint8

const (
	FamilyControl  Family = iota // nop, block, loop, if, else, end, br*, return, unreachable
	FamilyCall                   // call, call_indirect (including host calls)
	FamilyConst                  // i32.const, i64.const
	FamilyLocal                  // local.get/set/tee
	FamilyGlobal                 // global.get/set
	FamilyStack                  // drop, select
	FamilyAddSub                 // add, sub
	FamilyMul                    // mul
	FamilyDivRem                 // div_s/u, rem_s/u
	FamilyBitwise                // and, or, xor
	FamilyShift                  // shl, shr_s/u, rotl, rotr
	FamilyCompare                // eqz, eq, ne, lt, gt, le, ge
	FamilyBitCount               // clz, ctz, popcnt
	FamilyConvert                // wrap, extend (incl. sign extension)
	FamilyLoad                   // all integer loads
	FamilyStore                  // all integer stores
	FamilyMemory                 // memory.size, memory.grow, memory.copy, memory.fill
	FamilyOther                  // outside the provable subset
	NumFamilies
)

var familyNames = [...]string{"control", "call", "const", "local", "global", "stack", "add/sub", "mul", "div/rem",
	"bitwise", "shift", "compare", "bitcount", "convert", "load", "store", "memory", "other"}

func (f Family) String() string {
	if int(f) < len(familyNames) {
		return familyNames[f]
	}
	return "family?"
}

var opFamily [256]Family

func init() {
	for i := range opFamily {
		opFamily[i] = FamilyOther
	}
	set := func(f Family, ops ...int) {
		for _, o := range ops {
			opFamily[o] = f
		}
	}
	set(FamilyControl, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F)
	set(FamilyCall, 0x10, 0x11)
	set(FamilyConst, 0x41, 0x42)
	set(FamilyLocal, 0x20, 0x21, 0x22)
	set(FamilyGlobal, 0x23, 0x24)
	set(FamilyStack, 0x1A, 0x1B)
	set(FamilyAddSub, 0x6A, 0x6B, 0x7C, 0x7D)
	set(FamilyMul, 0x6C, 0x7E)
	set(FamilyDivRem, 0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82)
	set(FamilyBitwise, 0x71, 0x72, 0x73, 0x83, 0x84, 0x85)
	set(FamilyShift, 0x74, 0x75, 0x76, 0x77, 0x78, 0x86, 0x87, 0x88, 0x89, 0x8A)
	for o := 0x45; o <= 0x5A; o++ {
		set(FamilyCompare, o)
	}
	set(FamilyBitCount, 0x67, 0x68, 0x69, 0x79, 0x7A, 0x7B)
	set(FamilyConvert, 0xA7, 0xAC, 0xAD, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4)
	for o := 0x28; o <= 0x35; o++ {
		if o != 0x2A && o != 0x2B {
			set(FamilyLoad, o)
		}
	}
	for o := 0x36; o <= 0x3E; o++ {
		if o != 0x38 && o != 0x39 {
			set(FamilyStore, o)
		}
	}
	set(FamilyMemory, 0x3F, 0x40)
}

// FamilyOf returns the instruction family of op.
func FamilyOf(op Op) Family {
	if op < 0x100 {
		return opFamily[op]
	}
	if op == OpMemoryCopy || op == OpMemoryFill {
		return FamilyMemory
	}
	return FamilyOther
}

// Summary condenses a trace for people and scripts.
type Summary struct {
	Steps       uint64            `json:"steps"`
	Accesses    uint64            `json:"accesses"`
	Segments    int               `json:"segments"`
	Families    map[string]uint64 `json:"families"`      // steps per instruction family
	HotFuncs    []FuncSteps       `json:"hot_functions"` // by steps, descending
	IOEvents    int               `json:"io_events"`
	MemChunks   int               `json:"memory_chunks_touched"` // summed over segments
	MaxDepth    uint32            `json:"max_call_depth"`
	MaxStackTop uint32            `json:"max_stack_height"`
}

// FuncSteps is the number of steps executed inside one function.
type FuncSteps struct {
	Func  uint32 `json:"func"`
	Name  string `json:"name,omitempty"`
	Steps uint64 `json:"steps"`
}

// Summarize counts steps by family and by function over the kept segments.
func (t *Trace) Summarize() Summary {
	s := Summary{Steps: t.Steps, Segments: len(t.Segments), Families: map[string]uint64{}}
	var fam [NumFamilies]uint64
	perFunc := make([]uint64, len(t.Program.Funcs))
	for k := range t.Segments {
		seg := &t.Segments[k]
		s.Accesses += uint64(len(seg.Accesses))
		s.IOEvents += len(seg.IO)
		s.MemChunks += len(seg.Chunks)
		for i := range seg.Rows {
			r := &seg.Rows[i]
			fam[FamilyOf(r.Op)]++
			perFunc[t.Program.Code[r.PC].Func]++
			if r.Depth > s.MaxDepth {
				s.MaxDepth = r.Depth
			}
			if r.SP > s.MaxStackTop {
				s.MaxStackTop = r.SP
			}
		}
	}
	for f, n := range fam {
		if n > 0 {
			s.Families[Family(f).String()] = n
		}
	}
	for f, n := range perFunc {
		if n > 0 {
			s.HotFuncs = append(s.HotFuncs, FuncSteps{Func: uint32(f), Name: t.Program.Funcs[f].Name, Steps: n})
		}
	}
	sort.SliceStable(s.HotFuncs, func(i, j int) bool { return s.HotFuncs[i].Steps > s.HotFuncs[j].Steps })
	return s
}
