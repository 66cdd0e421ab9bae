package plugins

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/mcpzero/mcpzero/internal/fuel"
	"github.com/mcpzero/mcpzero/internal/hostabi"
)

// Engine selects wazero's execution engine. Both give the same results.
type Engine string

const (
	EngineCompiler    Engine = "compiler"
	EngineInterpreter Engine = "interpreter"
)

// ParseEngine parses an engine name ("" means the compiler).
func ParseEngine(s string) (Engine, error) {
	switch Engine(s) {
	case "", EngineCompiler:
		return EngineCompiler, nil
	case EngineInterpreter:
		return EngineInterpreter, nil
	}
	return "", fmt.Errorf("unknown engine %q (want compiler or interpreter)", s)
}

// WASIModule is the import module of WASI preview 1.
const WASIModule = wasi_snapshot_preview1.ModuleName

// CapabilityWASI is the capability a plugin that imports WASI requests. The
// sandbox's WASI is deterministic: fake clock, seeded randomness, no files,
// no arguments or environment, output discarded.
const CapabilityWASI = "wasi"

var (
	// ErrInvalidModule: the wasm cannot be decoded, validated or compiled, or
	// imports something the host does not provide.
	ErrInvalidModule = errors.New("invalid wasm module")
	// ErrMissingExport: a manifest method is not an exported () -> () function.
	ErrMissingExport = errors.New("missing export")
	// ErrTrap: the call trapped (the error text carries the trap).
	ErrTrap = errors.New("plugin trapped")
	// ErrDeadline: the call ran past its wall-clock deadline.
	ErrDeadline = errors.New("wall-clock deadline exceeded")
	// ErrMemoryLimit: the module needs more memory than its limit allows.
	ErrMemoryLimit = errors.New("memory limit exceeded")
)

// Meter instruments modules for fuel and reads the fuel a call used. The
// resource allocator provides one; without it fuel is not counted.
type Meter interface {
	// Instrument rewrites a module before it is compiled.
	Instrument(wasm []byte) ([]byte, error)
	// Begin gives a fresh instance its fuel budget before the call.
	Begin(mod api.Module, limit uint64) error
	// Used reads the fuel the call used, after it returned or trapped.
	Used(mod api.Module) (uint64, error)
}

// Env gives the kernel-only host functions (log, state_*) their effect for
// one call. Check is consulted before every host call of the kernel's
// functions, with the function's name.
type Env interface {
	Check(fn string) error
	Log(line []byte) error
	StateGet(key []byte) (value []byte, ok bool, err error)
	StateSet(key, value []byte) error
	StateDelete(key []byte) error
}

// Sandbox compiles and runs plugins on wazero with a deterministic
// configuration. One wazero runtime exists per memory limit (wazero sets the
// limit per runtime); compiled modules are cached per runtime by the digest
// of the original wasm, and on disk by wazero's compilation cache. A Sandbox
// is safe for concurrent use.
type Sandbox struct {
	engine Engine
	cache  wazero.CompilationCache
	meter  Meter

	mu       sync.Mutex
	runtimes map[uint32]*runtime
}

type runtime struct {
	r        wazero.Runtime
	mu       sync.Mutex
	modules  map[string]*Module
	wasiOnce sync.Once
	wasiErr  error
}

// SandboxOption configures a Sandbox.
type SandboxOption func(*Sandbox) error

// WithEngine selects the engine (default: compiler).
func WithEngine(e Engine) SandboxOption {
	return func(s *Sandbox) error { s.engine = e; return nil }
}

// WithCacheDir keeps compiled machine code in dir across processes.
func WithCacheDir(dir string) SandboxOption {
	return func(s *Sandbox) error {
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return fmt.Errorf("plugins: compilation cache %s: %w", dir, err)
		}
		s.cache = c
		return nil
	}
}

// WithMeter installs fuel metering.
func WithMeter(m Meter) SandboxOption {
	return func(s *Sandbox) error { s.meter = m; return nil }
}

// NewSandbox returns a sandbox.
func NewSandbox(opts ...SandboxOption) (*Sandbox, error) {
	s := &Sandbox{engine: EngineCompiler, runtimes: map[uint32]*runtime{}}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.cache == nil {
		s.cache = wazero.NewCompilationCache()
	}
	return s, nil
}

// Engine is the sandbox's engine.
func (s *Sandbox) Engine() Engine { return s.engine }

// Close releases every runtime and compiled module.
func (s *Sandbox) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, rt := range s.runtimes {
		errs = append(errs, rt.r.Close(ctx))
	}
	s.runtimes = map[uint32]*runtime{}
	errs = append(errs, s.cache.Close(ctx))
	return errors.Join(errs...)
}

// MaxPages is wazero's (and WebAssembly 1.0's) limit: 4 GiB.
const MaxPages = 65536

func (s *Sandbox) runtime(ctx context.Context, pages uint32) (*runtime, error) {
	if pages == 0 || pages > MaxPages {
		pages = MaxPages
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.runtimes[pages]; ok {
		return rt, nil
	}
	var cfg wazero.RuntimeConfig
	if s.engine == EngineInterpreter {
		cfg = wazero.NewRuntimeConfigInterpreter()
	} else {
		cfg = wazero.NewRuntimeConfigCompiler()
	}
	// A Meter with host functions (fuel checkpoints) checks the deadline at
	// its checkpoints, also in loop-free recursion; wazero's own check costs
	// up to 28x on tight loops (BenchmarkKernelConfig in internal/fuel), so
	// it is used only without one.
	_, checkpoints := s.meter.(interface {
		DefineHost(context.Context, wazero.Runtime) error
	})
	cfg = cfg.WithCompilationCache(s.cache).
		WithMemoryLimitPages(pages).
		WithCloseOnContextDone(!checkpoints).
		WithCoreFeatures(api.CoreFeaturesV2)
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	b := hostabi.DefineIO(r.NewHostModuleBuilder(hostabi.Module))
	defineKernel(b)
	defineCapabilities(b) // capabilities.go
	if _, err := b.Instantiate(ctx); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("plugins: host module: %w", err)
	}
	// A Meter may need host functions of its own (fuel checkpoints).
	if h, ok := s.meter.(interface {
		DefineHost(context.Context, wazero.Runtime) error
	}); ok {
		if err := h.DefineHost(ctx, r); err != nil {
			r.Close(ctx)
			return nil, fmt.Errorf("plugins: meter host module: %w", err)
		}
	}
	rt := &runtime{r: r, modules: map[string]*Module{}}
	s.runtimes[pages] = rt
	return rt, nil
}

// Module is a compiled plugin module in one runtime.
type Module struct {
	Digest   string // hex SHA-256 of the original wasm
	rt       *runtime
	compiled wazero.CompiledModule
	imports  []string // "module.name"
	wasi     bool
	sb       *Sandbox
	pages    uint32
}

// Compile compiles wasm for a runtime with the given memory limit in pages
// (0: no limit beyond 4 GiB), or returns the cached module. The Meter, if
// any, instruments the wasm first.
func (s *Sandbox) Compile(ctx context.Context, wasm []byte, pages uint32) (*Module, error) {
	rt, err := s.runtime(ctx, pages)
	if err != nil {
		return nil, err
	}
	digest := WasmDigest(wasm)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if m, ok := rt.modules[digest]; ok {
		return m, nil
	}
	code := wasm
	if s.meter != nil {
		if code, err = s.meter.Instrument(wasm); err != nil {
			return nil, fmt.Errorf("%w: fuel instrumentation: %v", ErrInvalidModule, err)
		}
	}
	cm, err := rt.r.CompileModule(ctx, code)
	if err != nil {
		if pages > 0 && strings.Contains(err.Error(), "over limit of") {
			// wazero refuses a memory minimum above the runtime's limit
			// when it compiles.
			return nil, fmt.Errorf("%w: %w: %v", ErrInvalidModule, ErrMemoryLimit, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidModule, err)
	}
	m := &Module{Digest: digest, rt: rt, compiled: cm, sb: s, pages: pages}
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		m.imports = append(m.imports, mod+"."+name)
		if mod == fuel.CheckpointModule && s.meter != nil {
			continue // added by the Meter's instrumentation, not the plugin's
		}
		switch mod {
		case hostabi.Module:
		case WASIModule:
			m.wasi = true
		default:
			cm.Close(ctx)
			return nil, fmt.Errorf("%w: imports %s.%s; the host provides only %q (and %q with the wasi capability)",
				ErrInvalidModule, mod, name, hostabi.Module, WASIModule)
		}
	}
	if m.wasi {
		rt.wasiOnce.Do(func() { _, rt.wasiErr = wasi_snapshot_preview1.Instantiate(ctx, rt.r) })
		if rt.wasiErr != nil {
			return nil, fmt.Errorf("plugins: wasi: %w", rt.wasiErr)
		}
	}
	rt.modules[digest] = m
	return m, nil
}

// Evict closes and forgets the compiled module of the wasm with the given
// hex SHA-256 in every runtime (a plugin was unloaded). Instances running
// now finish first: wazero keeps a compiled module alive while it is used.
func (s *Sandbox) Evict(ctx context.Context, digest string) {
	s.mu.Lock()
	rts := make([]*runtime, 0, len(s.runtimes))
	for _, rt := range s.runtimes {
		rts = append(rts, rt)
	}
	s.mu.Unlock()
	for _, rt := range rts {
		rt.mu.Lock()
		if m, ok := rt.modules[digest]; ok {
			delete(rt.modules, digest)
			m.compiled.Close(ctx)
		}
		rt.mu.Unlock()
	}
}

// Cached reports whether the wasm with the given hex SHA-256 is compiled in
// some runtime.
func (s *Sandbox) Cached(digest string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.runtimes {
		rt.mu.Lock()
		_, ok := rt.modules[digest]
		rt.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// Imports lists the functions the module imports, as "module.name".
func (m *Module) Imports() []string { return append([]string(nil), m.imports...) }

// UsesWASI reports whether the module imports WASI.
func (m *Module) UsesWASI() bool { return m.wasi }

// CheckMethods fails with ErrMissingExport unless every method is an
// exported function of type () -> ().
func (m *Module) CheckMethods(methods []string) error {
	exports := m.compiled.ExportedFunctions()
	for _, name := range methods {
		def, ok := exports[name]
		if !ok {
			return fmt.Errorf("%w: no exported function %q", ErrMissingExport, name)
		}
		if len(def.ParamTypes()) != 0 || len(def.ResultTypes()) != 0 {
			return fmt.Errorf("%w: %q has type %v -> %v, want () -> ()", ErrMissingExport, name, def.ParamTypes(), def.ResultTypes())
		}
	}
	return nil
}

// Call is one call of a method: its I/O, its kernel environment and limits.
type Call struct {
	IO       hostabi.IO
	Env      Env           // nil: the kernel-only functions trap
	Deadline time.Duration // 0: none
	Fuel     uint64        // the budget handed to the Meter
	FuelUsed uint64        // set by Run when a Meter is installed
	// FS is the call's WASI file system (directories the agent was
	// granted); nil: none.
	FS wazero.FSConfig
}

type envKey struct{}

// Run instantiates a fresh instance of the module, calls method (a () -> ()
// export) and closes the instance, so that no memory survives from one call
// to the next.
func (m *Module) Run(ctx context.Context, method string, call *Call) error {
	_, err := m.Invoke(ctx, method, nil, call)
	return err
}

// FunctionType returns the parameter and result types of an exported
// function.
func (m *Module) FunctionType(name string) (params, results []api.ValueType, ok bool) {
	def, ok := m.compiled.ExportedFunctions()[name]
	if !ok {
		return nil, nil, false
	}
	return def.ParamTypes(), def.ResultTypes(), true
}

// Invoke instantiates a fresh instance of the module, calls the exported
// function fn with args, and closes the instance. Results are masked to
// their type's width (the compiler engine may leave junk in the high bits of
// an i32).
func (m *Module) Invoke(ctx context.Context, fn string, args []uint64, call *Call) ([]uint64, error) {
	if call.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, call.Deadline)
		defer cancel()
	}
	ctx = hostabi.WithIO(ctx, &call.IO)
	ctx = context.WithValue(ctx, envKey{}, call.Env)
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	if call.FS != nil {
		cfg = cfg.WithFSConfig(call.FS)
	}
	if m.wasi {
		// Go's wasip1 c-shared modules initialise their runtime here.
		cfg = cfg.WithStartFunctions("_initialize")
	}
	inst, err := m.rt.r.InstantiateModule(ctx, m.compiled, cfg)
	if err != nil {
		return nil, m.classify(ctx, nil, fmt.Errorf("instantiate: %w", err))
	}
	defer inst.Close(ctx)
	f := inst.ExportedFunction(fn)
	if f == nil {
		return nil, fmt.Errorf("%w: no exported function %q", ErrMissingExport, fn)
	}
	if n := len(f.Definition().ParamTypes()); n != len(args) {
		return nil, fmt.Errorf("%w: %s takes %d arguments, got %d", ErrHostArgs, fn, n, len(args))
	}
	meter := m.sb.meter
	if meter != nil {
		if err := meter.Begin(inst, call.Fuel); err != nil {
			return nil, fmt.Errorf("plugins: fuel: %w", err)
		}
	}
	res, callErr := f.Call(ctx, args...)
	if meter != nil {
		used, err := meter.Used(inst)
		call.FuelUsed = used
		if errors.Is(err, fuel.ErrExhausted) {
			return nil, fmt.Errorf("%w: %w", ErrTrap, err)
		}
	}
	if callErr != nil {
		return nil, m.classify(ctx, inst, callErr)
	}
	for i, t := range f.Definition().ResultTypes() {
		if t == api.ValueTypeI32 || t == api.ValueTypeF32 {
			res[i] = uint64(uint32(res[i]))
		}
	}
	return res, nil
}

// firstLine keeps wazero's error chain but shows only its first line: the
// wasm stack trace that follows is for debugging, not for a one-line error.
type firstLine struct{ err error }

func (f firstLine) Error() string {
	s := f.err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, " (recovered by wazero)")
}

func (f firstLine) Unwrap() error { return f.err }

func (m *Module) classify(ctx context.Context, inst api.Module, err error) error {
	err = firstLine{err}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return fmt.Errorf("%w: %w", ErrDeadline, err)
		case sys.ExitCodeContextCanceled:
			return fmt.Errorf("%w: %w", context.Canceled, err)
		}
	}
	if inst == nil {
		// Instantiation failed: a memory minimum over the limit is the
		// common case.
		if m.pages > 0 {
			for _, def := range m.compiled.ExportedMemories() {
				if def.Min() > m.pages {
					return fmt.Errorf("%w: the module needs %d pages, the limit is %d", ErrMemoryLimit, def.Min(), m.pages)
				}
			}
		}
		return fmt.Errorf("%w: %w", ErrTrap, err)
	}
	if mem := inst.Memory(); mem != nil && m.pages > 0 && mem.Size()/65536 >= m.pages {
		return fmt.Errorf("%w: %w: memory at its limit of %d pages: %w", ErrTrap, ErrMemoryLimit, m.pages, err)
	}
	return fmt.Errorf("%w: %w", ErrTrap, err)
}

// MinMemoryPages is the minimum size of the module's memory (defined or
// imported), in pages.
func (m *Module) MinMemoryPages() uint32 {
	var n uint32
	for _, def := range m.compiled.ExportedMemories() {
		n = max(n, def.Min())
	}
	for _, def := range m.compiled.ImportedMemories() {
		n = max(n, def.Min())
	}
	return n
}
