package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/consensys/gnark/logger"
	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/mcpzero/mcpzero/prover"
	"github.com/mcpzero/mcpzero/verifier"
	"github.com/mcpzero/mcpzero/verifier/verifycli"
)

func init() {
	register(
		proveCommand(),
		verifycli.VerifyCommand(verifycli.Config{ModuleInfo: moduleInfo}),
		verifycli.InspectCommand(),
		setupCommand(),
	)
}

var (
	flagKeysDir = &cli.StringFlag{Name: "keys-dir", Usage: "key cache `DIR`", EnvVars: []string{"MCPZERO_KEYS_DIR"}, Value: prover.DefaultKeysDir()}
	flagBackend = &cli.StringFlag{Name: "backend", Usage: "proof system: groth16 or plonk", Value: "groth16"}
	// flagMaxMemory bounds the estimated peak memory of proving: shapes
	// that would need more are not used (prover.WithMemoryBudget).
	flagMaxMemory = &cli.StringFlag{Name: "max-memory", Usage: "estimated peak memory `SIZE` proving may use, e.g. 4GiB, 512MiB; 0 for unlimited",
		EnvVars: []string{"MCPZERO_MAX_MEMORY"}, Value: "4GiB"}
)

// memoryBudgetOption reads --max-memory.
func memoryBudgetOption(c *cli.Context) (prover.Option, error) {
	n, err := prover.ParseBytes(c.String("max-memory"))
	if err != nil {
		return nil, fmt.Errorf("--max-memory: %w", err)
	}
	return prover.WithMemoryBudget(n), nil
}

func proveCommand() *cli.Command {
	return &cli.Command{
		Name:      "prove",
		Usage:     "run a WebAssembly function with the tracer and prove the run",
		ArgsUsage: "FILE.wasm --func NAME [--args 27,3] [--input FILE] [--out run.proof]",
		Description: "Replays the call deterministically, splits the trace into segments, proves each segment\n" +
			"and writes one bundle that anyone verifies offline with `mcpzero verify`.\n" +
			"Modules outside the provable subset are refused before any proving; a trap is proven as a trap.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "func", Aliases: []string{"f"}, Usage: "exported function `NAME` (required)"},
			&cli.StringFlag{Name: "args", Usage: "comma-separated integer arguments, e.g. 27,3 (decimal or 0x hex; negative allowed)"},
			&cli.StringFlag{Name: "input", Usage: "input bytes from `FILE` (for plugins using the I/O ABI; - for stdin)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "bundle `FILE` to write", Value: "run.proof"},
			flagBackend, flagKeysDir, flagMaxMemory,
			&cli.BoolFlag{Name: "no-setup", Usage: "fail instead of running a dev setup when keys are missing"},
			&cli.BoolFlag{Name: "require-ceremony", Usage: "refuse keys from a single-party dev setup"},
			&cli.BoolFlag{Name: "no-embed-vk", Usage: "do not embed the verifying keys in the bundle"},
			&cli.Uint64Flag{Name: "max-steps", Usage: "stop the replay after `N` steps (0: the tracer's default)"},
		},
		Action: runProve,
	}
}

// proveReport is the JSON form of `mcpzero prove`.
type proveReport struct {
	Out                string               `json:"out"`
	Export             string               `json:"export"`
	Status             string               `json:"status"`
	Trap               string               `json:"trap,omitempty"`
	Results            []uint64             `json:"results"`
	Output             []byte               `json:"output,omitempty"`
	Steps              uint64               `json:"steps"`
	Segments           int                  `json:"segments"`
	Shapes             []string             `json:"shapes"`
	Constraints        int                  `json:"constraints"`
	ConstraintsPerStep float64              `json:"constraints_per_step"`
	Backend            string               `json:"backend"`
	Setup              string               `json:"setup"`
	KeySet             verifier.Fingerprint `json:"key_set"`
	KeysCreated        bool                 `json:"keys_created"`
	TraceSeconds       float64              `json:"trace_s"`
	CompileSeconds     float64              `json:"compile_s"`
	KeysSeconds        float64              `json:"keys_s"`
	ProveSeconds       float64              `json:"prove_s"`
	TotalSeconds       float64              `json:"total_s"`
	StepsPerSecond     float64              `json:"steps_per_s"`
	BundleBytes        int                  `json:"bundle_bytes"`
	Warnings           []string             `json:"warnings,omitempty"`
}

func runProve(c *cli.Context) error {
	logger.Disable() // gnark logs to stdout, which would corrupt --json
	args, err := verifycli.Interspersed(c)
	if err != nil {
		return fmt.Errorf("prove: %w", err)
	}
	if len(args) != 1 {
		return fmt.Errorf("prove: want exactly one FILE.wasm, got %d arguments", len(args))
	}
	if c.String("func") == "" {
		return fmt.Errorf("prove: --func NAME is required")
	}
	wasm, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("prove: %w", err)
	}
	backend, err := verifier.ParseBackend(c.String("backend"))
	if err != nil {
		return err
	}
	var input []byte
	switch f := c.String("input"); f {
	case "":
	case "-":
		if input, err = io.ReadAll(os.Stdin); err != nil {
			return fmt.Errorf("--input: %w", err)
		}
	default:
		if input, err = os.ReadFile(f); err != nil {
			return fmt.Errorf("--input: %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt)
	defer stop()

	budget, err := memoryBudgetOption(c)
	if err != nil {
		return err
	}
	ui := newProgressUI(c.App.ErrWriter)
	opts := []prover.Option{
		prover.WithBackend(backend), prover.WithKeysDir(c.String("keys-dir")),
		prover.WithProgress(ui.update), prover.WithEmbeddedKeys(!c.Bool("no-embed-vk")), budget,
	}
	if c.Bool("no-setup") {
		opts = append(opts, prover.WithoutSetup())
	}
	if c.Bool("require-ceremony") {
		opts = append(opts, prover.RequireCeremony())
	}
	if n := c.Uint64("max-steps"); n > 0 {
		opts = append(opts, prover.WithMaxSteps(n))
	}
	res, err := prover.ProveCall(ctx, wasm, c.String("func"), c.String("args"), input, opts...)
	ui.close()
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := res.Bundle.WriteFile(out); err != nil {
		return fmt.Errorf("prove: %w", err)
	}
	b, st := res.Bundle, res.Stats
	r := proveReport{
		Out: out, Export: b.Statement.Export, Status: b.Statement.Status.String(),
		Results: b.Statement.Results, Output: b.Statement.Output, Steps: st.Steps, Segments: st.Segments,
		Shapes: st.Shapes, Constraints: st.Constraints, ConstraintsPerStep: st.ConstraintsPerStep,
		Backend: b.Backend.String(), Setup: b.Setup.String(), KeySet: b.KeySet, KeysCreated: st.KeysCreated,
		TraceSeconds: st.TraceTime.Seconds(), CompileSeconds: st.CompileTime.Seconds(), KeysSeconds: st.SetupTime.Seconds(),
		ProveSeconds: st.ProveTime.Seconds(), TotalSeconds: st.Total.Seconds(), StepsPerSecond: st.StepsPerSecond(),
		BundleBytes: st.BundleBytes,
	}
	if r.Results == nil {
		r.Results = []uint64{}
	}
	if b.Statement.Status == verifier.Trapped {
		r.Trap = verifier.TrapName(b.Statement.Trap)
	}
	if b.Setup == verifier.DevSetup {
		r.Warnings = append(r.Warnings, verifier.DevSetupWarning)
		fmt.Fprintf(c.App.ErrWriter, "WARNING: %s\n", verifier.DevSetupWarning)
	}
	return emit(c, r, func(w io.Writer) error {
		if r.Trap != "" {
			fmt.Fprintf(w, "result       trapped: %s\n", r.Trap)
		} else {
			fmt.Fprintf(w, "result       %s\n", joinU64(r.Results))
		}
		if len(r.Output) > 0 {
			fmt.Fprintf(w, "output       %q\n", r.Output)
		}
		fmt.Fprintf(w, "steps        %d\n", r.Steps)
		fmt.Fprintf(w, "segments     %d (shapes %s)\n", r.Segments, strings.Join(r.Shapes, ", "))
		fmt.Fprintf(w, "constraints  %d (%.1f per step)\n", r.Constraints, r.ConstraintsPerStep)
		fmt.Fprintf(w, "time         %s total: trace %s, compile %s, keys %s, prove %s (%.0f steps/s)\n",
			round(st.Total), round(st.TraceTime), round(st.CompileTime), round(st.SetupTime), round(st.ProveTime), r.StepsPerSecond)
		fmt.Fprintf(w, "proof        %s/%s, key set %s, setup %s\n", r.Backend, verifier.Curve, r.KeySet, r.Setup)
		fmt.Fprintf(w, "wrote        %s (%d bytes)\n", out, r.BundleBytes)
		return nil
	})
}

func round(d time.Duration) time.Duration {
	switch {
	case d > 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}

func joinU64(v []uint64) string {
	if len(v) == 0 {
		return "(no results)"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// progressUI shows prover progress on w: a bar with ETA on a terminal once
// the job has run (or is expected to run) more than two seconds, plain
// lines at phase changes otherwise, nothing for quick jobs.
type progressUI struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	bar    *progressbar.ProgressBar
	last   string        // last plain line's phase/segment key
	lastAt time.Duration // elapsed time of the last plain line
	closed bool
}

const (
	showAfter = 2 * time.Second
	heartbeat = 30 * time.Second
)

func newProgressUI(w io.Writer) *progressUI {
	ui := &progressUI{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ui.tty = true
	}
	return ui
}

func (ui *progressUI) update(p prover.Progress) {
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if ui.closed || p.Phase == prover.PhaseDone {
		return
	}
	if p.Elapsed < showAfter && p.Elapsed+p.ETA < showAfter {
		return
	}
	desc := string(p.Phase)
	if p.Phase == prover.PhaseProve {
		desc = fmt.Sprintf("prove %d/%d", p.Segment, p.Segments)
	}
	if p.Shape != "" {
		desc += " [" + p.Shape + "]"
	}
	if !ui.tty {
		// A line at each phase change, and a heartbeat during long phases
		// (a dev setup of a large shape is minutes of silence otherwise).
		if desc != ui.last || p.Elapsed-ui.lastAt >= heartbeat {
			ui.last, ui.lastAt = desc, p.Elapsed
			fmt.Fprintf(ui.w, "mcpzero: %-24s %3.0f%%  elapsed %s  ETA %s\n", desc, 100*p.Fraction,
				p.Elapsed.Round(time.Second), p.ETA.Round(time.Second))
		}
		return
	}
	if ui.bar == nil {
		ui.bar = progressbar.NewOptions(1000,
			progressbar.OptionSetWriter(ui.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	ui.bar.Describe(fmt.Sprintf("%-24s ETA %-6s", desc, p.ETA.Round(time.Second)))
	ui.bar.Set(int(1000 * p.Fraction))
}

func (ui *progressUI) close() {
	ui.mu.Lock()
	defer ui.mu.Unlock()
	ui.closed = true
	if ui.bar != nil {
		ui.bar.Finish()
		fmt.Fprintln(ui.w)
	}
}

func setupCommand() *cli.Command {
	return &cli.Command{
		Name:  "setup",
		Usage: "make (or show) the proving and verifying keys of every circuit shape",
		Description: "Keys are cached in --keys-dir, keyed by a digest of the constraint system. A setup run here\n" +
			"is a single-party DEV setup: whoever ran it can forge proofs. --import-pk/--import-vk store a Groth16\n" +
			"key pair from a multi-party ceremony (gnark mpcsetup) instead. --export-vk writes the verifying-key\n" +
			"set that auditors pin with `mcpzero verify --vk`.",
		Flags: []cli.Flag{
			flagBackend, flagKeysDir,
			&cli.StringSliceFlag{Name: "shape", Usage: "only these shape `ID`s (default: all)"},
			&cli.BoolFlag{Name: "show", Usage: "only show cached keys; never run a setup"},
			&cli.StringFlag{Name: "export-vk", Usage: "write the verifying-key set to `FILE`"},
			&cli.StringFlag{Name: "import-pk", Usage: "store a ceremony's Groth16 proving key `FILE` (gnark encoding) for the one --shape"},
			&cli.StringFlag{Name: "import-vk", Usage: "the ceremony's verifying key `FILE` that goes with --import-pk"},
		},
		Action: runSetup,
	}
}

type setupReport struct {
	KeysDir string                `json:"keys_dir"`
	Backend string                `json:"backend"`
	Shapes  []prover.ShapeKeyInfo `json:"shapes"`
	KeySet  *verifier.Fingerprint `json:"key_set,omitempty"`
	Setup   string                `json:"setup,omitempty"`
	VKFile  string                `json:"vk_file,omitempty"`
}

func runSetup(c *cli.Context) error {
	logger.Disable()
	if args, err := verifycli.Interspersed(c); err != nil {
		return fmt.Errorf("setup: %w", err)
	} else if len(args) != 0 {
		return fmt.Errorf("setup: unexpected arguments %v", args)
	}
	backend, err := verifier.ParseBackend(c.String("backend"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt)
	defer stop()
	req := prover.SetupRequest{
		Backend: backend, KeysDir: c.String("keys-dir"), Shapes: c.StringSlice("shape"),
		ShowOnly: c.Bool("show"),
	}
	for flag, dst := range map[string]*[]byte{"import-pk": &req.ImportPK, "import-vk": &req.ImportVK} {
		if f := c.String(flag); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("--%s: %w", flag, err)
			}
			*dst = b
		}
	}
	ui := newProgressUI(c.App.ErrWriter)
	req.Progress = ui.update
	infos, set, err := prover.SetupShapes(ctx, req)
	ui.close()
	if err != nil {
		return err
	}
	r := setupReport{KeysDir: c.String("keys-dir"), Backend: backend.String(), Shapes: infos}
	if set != nil && len(set.Keys) > 0 {
		fp := set.Fingerprint()
		r.KeySet, r.Setup = &fp, set.Setup.String()
		if f := c.String("export-vk"); f != "" {
			if err := set.WriteFile(f); err != nil {
				return fmt.Errorf("--export-vk: %w", err)
			}
			r.VKFile = f
		}
		if set.Setup == verifier.DevSetup {
			fmt.Fprintf(c.App.ErrWriter, "WARNING: %s\n", verifier.DevSetupWarning)
		}
	} else if c.String("export-vk") != "" {
		return fmt.Errorf("--export-vk: no keys to export (run `mcpzero setup` without --show)")
	}
	return emit(c, r, func(w io.Writer) error {
		fmt.Fprintf(w, "keys in %s (%s/%s, gnark %s)\n", r.KeysDir, r.Backend, verifier.Curve, verifier.GnarkVersion)
		width := 0
		for _, s := range infos {
			width = max(width, len(s.Shape))
		}
		for _, s := range infos {
			state := "cached"
			switch {
			case s.Created:
				state = "created (" + round(s.Time).String() + ")"
			case !s.Present:
				state = "missing"
			}
			fp := "-"
			if s.Present {
				fp = s.Key.String()
			}
			fmt.Fprintf(w, "  %-*s %9d constraints  vk %-19s  %-8s %s\n", width, s.Shape, s.Constraints, fp, s.Setup, state)
		}
		if r.KeySet != nil {
			fmt.Fprintf(w, "key set      %s (setup %s)\n", r.KeySet, r.Setup)
		}
		if r.VKFile != "" {
			fmt.Fprintf(w, "wrote        %s: pin it with `mcpzero verify --vk %s`\n", r.VKFile, r.VKFile)
		}
		return nil
	})
}

// moduleInfo computes what `verify --module` checks: the module's
// commitment and its exports.
func moduleInfo(wasm []byte) (*verifycli.ModuleInfo, error) {
	mod, commitment, err := prover.CommitModule(wasm)
	if err != nil {
		return nil, err
	}
	return &verifycli.ModuleInfo{Commitment: commitment, Export: mod.ExportedFunc}, nil
}
