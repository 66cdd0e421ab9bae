package verifycli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"
	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/verifier"
)

// ModuleInfo is what `--module` learns from a module's bytes: its
// commitment and the function index of an export name.
type ModuleInfo struct {
	Commitment fr.Element
	// Export returns the function index of an export, ok false if absent.
	Export func(name string) (index uint32, ok bool)
}

// Config adapts the commands to the binary they are linked into.
type Config struct {
	// ModuleInfo computes ModuleInfo from module bytes; nil when the binary
	// cannot (then --module is refused with a clear message).
	ModuleInfo func(wasm []byte) (*ModuleInfo, error)
}

// Report is the JSON form of a verification (or, with Valid false and no
// key information, of an inspection).
type Report struct {
	File         string               `json:"file"`
	Valid        bool                 `json:"valid"`
	Error        string               `json:"error,omitempty"`
	Module       string               `json:"module_commitment"`
	ModuleFile   string               `json:"module_file,omitempty"`
	Function     uint32               `json:"function_index"`
	Export       string               `json:"export"`
	ExportCheck  bool                 `json:"export_checked"` // the name was checked against --module; otherwise only the index is proven
	Args         []uint64             `json:"args"`
	Input        []byte               `json:"input,omitempty"`
	Status       string               `json:"status"`
	Trap         string               `json:"trap,omitempty"`
	Results      []uint64             `json:"results"`
	Output       []byte               `json:"output,omitempty"`
	Steps        uint64               `json:"steps"`
	TraceRoot    string               `json:"trace_root"`
	Segments     []SegmentReport      `json:"segments"`
	Backend      string               `json:"backend"`
	Curve        string               `json:"curve"`
	GnarkVersion string               `json:"gnark_version"`
	Setup        string               `json:"setup"`
	KeySet       verifier.Fingerprint `json:"key_set"`
	Pinned       bool                 `json:"key_pinned"`
	KeysEmbedded bool                 `json:"keys_embedded"`
	Size         int                  `json:"bundle_bytes,omitempty"`
	Warnings     []string             `json:"warnings,omitempty"`
}

// SegmentReport describes one segment.
type SegmentReport struct {
	Shape      string               `json:"shape"`
	Key        verifier.Fingerprint `json:"key"`
	Steps      uint64               `json:"steps"` // as its claim says (unverified in inspect)
	ProofBytes int                  `json:"proof_bytes"`
}

func baseReport(path string, b *verifier.Bundle, size int) *Report {
	s := &b.Statement
	r := &Report{
		File: path, Module: verifier.HexFE(&s.Module), Function: s.Function, Export: s.Export,
		Args: nonNil(s.Args), Input: s.Input, Status: s.Status.String(), Results: nonNil(s.Results),
		Output: s.Output, Steps: s.Steps, TraceRoot: verifier.HexFE(&s.TraceRoot),
		Backend: b.Backend.String(), Curve: b.Curve, GnarkVersion: b.GnarkVersion,
		Setup: b.Setup.String(), KeySet: b.KeySet, KeysEmbedded: b.Keys != nil, Size: size,
	}
	if s.Status == verifier.Trapped {
		r.Trap = verifier.TrapName(s.Trap)
	}
	for _, seg := range b.Segments {
		var steps uint64
		if len(seg.Public) == 4 && seg.Public[3].IsUint64() {
			steps = seg.Public[3].Uint64()
		}
		r.Segments = append(r.Segments, SegmentReport{Shape: seg.Shape, Key: seg.Key, Steps: steps, ProofBytes: len(seg.Proof)})
	}
	return r
}

func nonNil(v []uint64) []uint64 {
	if v == nil {
		return []uint64{}
	}
	return v
}

// VerifyCommand is `verify FILE [--vk FILE] [--module FILE.wasm] [--json]`.
func VerifyCommand(cfg Config) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify a proof bundle offline; exit 0 only when it is valid",
		ArgsUsage: "FILE [--vk FILE] [--module FILE.wasm] [--json]",
		Description: "Checks every segment proof against the pinned verifying-key set (--vk), the chaining of\n" +
			"the segment claims and the trace root, then prints the statement that was verified.\n" +
			"Without --vk the keys embedded in the bundle are used and the output says the key was NOT pinned.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "vk", Usage: "pinned verifying-key set `FILE` (from `mcpzero setup --export-vk`)"},
			&cli.StringFlag{Name: "module", Usage: "also check that the bundle proves a run of this `FILE.wasm`"},
			&cli.BoolFlag{Name: "require-ceremony", Usage: "refuse keys from a single-party dev setup"},
		},
		Action: func(c *cli.Context) error { return runVerify(c, cfg) },
	}
}

func runVerify(c *cli.Context, cfg Config) error {
	args, err := Interspersed(c)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if len(args) != 1 {
		return fmt.Errorf("verify: want exactly one bundle FILE, got %d arguments", len(args))
	}
	path := args[0]
	logger.Disable() // gnark logs to stdout, which would corrupt --json
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var b verifier.Bundle
	if err := b.UnmarshalBinary(raw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var keys *verifier.KeySet
	if c.IsSet("vk") && c.String("vk") == "" {
		// An unset shell variable must not fall back to the bundle's own keys.
		return errors.New("--vk: empty path (leave --vk out to use the bundle's embedded, unpinned keys)")
	}
	if vk := c.String("vk"); vk != "" {
		if keys, err = verifier.ReadKeySetFile(vk); err != nil {
			return fmt.Errorf("--vk: %w", err)
		}
	}
	var opts []verifier.Option
	if c.Bool("require-ceremony") {
		opts = append(opts, verifier.RequireCeremony())
	}
	var mod *ModuleInfo
	if mf := c.String("module"); mf != "" {
		if cfg.ModuleInfo == nil {
			return errors.New("--module: this binary cannot compute module commitments; use `mcpzero verify --module`, or compare the printed module commitment with `mcpzero inspect`")
		}
		wasm, err := os.ReadFile(mf)
		if err != nil {
			return fmt.Errorf("--module: %w", err)
		}
		if mod, err = cfg.ModuleInfo(wasm); err != nil {
			return fmt.Errorf("--module %s: %w", mf, err)
		}
		opts = append(opts, verifier.WithModuleCommitment(mod.Commitment))
	}
	// With --json a failure is also reported on stdout, as a report with
	// valid false, for programs that read it; the exit status is non-zero
	// either way.
	fail := func(err error) error {
		err = fmt.Errorf("%s: NOT VALID: %w", path, err)
		if c.Bool("json") {
			r := baseReport(path, &b, len(raw))
			r.Error = err.Error()
			writeJSON(c.App.Writer, r)
		}
		return err
	}
	res, err := verifier.Verify(&b, keys, opts...)
	if err != nil {
		return fail(err)
	}
	if mod != nil {
		// The proofs bind the function index; the export name is the
		// prover's label until checked against the module.
		idx, ok := mod.Export(b.Statement.Export)
		if !ok || idx != b.Statement.Function {
			return fail(fmt.Errorf("%w: the module's export %q is not function #%d",
				verifier.ErrModuleMismatch, b.Statement.Export, b.Statement.Function))
		}
	}
	r := baseReport(path, &b, len(raw))
	r.Valid, r.Setup, r.KeySet, r.Pinned, r.Warnings = true, res.Setup.String(), res.KeySet, res.Pinned, res.Warnings
	if keys != nil && keys.Fingerprint() != b.KeySet {
		// Every segment's own key matched; the set differs only in other
		// shapes. Worth a note, not a failure.
		r.Warnings = append(r.Warnings, fmt.Sprintf("bundle names key set %s; verified against the pinned set %s, whose keys for these shapes match", b.KeySet, keys.Fingerprint()))
	}
	if c.String("module") != "" {
		r.ModuleFile, r.ExportCheck = c.String("module"), true
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "WARNING: %s\n", w)
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, r)
	}
	printHuman(c.App.Writer, r, true)
	return nil
}

// InspectCommand is `inspect FILE [--json]`: the bundle's contents, without
// verifying anything.
func InspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show what a proof bundle claims, without verifying it",
		ArgsUsage: "FILE",
		Action: func(c *cli.Context) error {
			args, err := Interspersed(c)
			if err != nil {
				return fmt.Errorf("inspect: %w", err)
			}
			if len(args) != 1 {
				return fmt.Errorf("inspect: want exactly one bundle FILE, got %d arguments", len(args))
			}
			path := args[0]
			raw, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("inspect: %w", err)
			}
			var b verifier.Bundle
			if err := b.UnmarshalBinary(raw); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			r := baseReport(path, &b, len(raw))
			r.Warnings = append(r.Warnings, "NOT VERIFIED — inspect only decodes the bundle; run `verify`")
			if b.Setup == verifier.DevSetup {
				r.Warnings = append(r.Warnings, verifier.DevSetupWarning)
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, r)
			}
			printHuman(c.App.Writer, r, false)
			return nil
		},
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printHuman(w io.Writer, r *Report, verified bool) {
	if verified {
		fmt.Fprintf(w, "VALID  %s\n", r.File)
	} else {
		fmt.Fprintf(w, "bundle %s (%d bytes, not verified)\n", r.File, r.Size)
	}
	fmt.Fprintf(w, "  module      %s", r.Module)
	if r.ModuleFile != "" {
		fmt.Fprintf(w, "  (= %s)", r.ModuleFile)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  function    #%d %q", r.Function, r.Export)
	if r.ModuleFile == "" {
		// The proofs bind the index; the name is the prover's label.
		fmt.Fprint(w, "  (name unchecked; --module checks it)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  arguments   %s\n", joinU64(r.Args))
	if len(r.Input) > 0 {
		fmt.Fprintf(w, "  input       %s\n", showBytes(r.Input))
	}
	if r.Status == verifier.Trapped.String() {
		fmt.Fprintf(w, "  status      trapped: %s\n", r.Trap)
	} else {
		fmt.Fprintf(w, "  status      returned\n")
		fmt.Fprintf(w, "  results     %s\n", joinU64(r.Results))
	}
	if len(r.Output) > 0 {
		fmt.Fprintf(w, "  output      %s\n", showBytes(r.Output))
	}
	fmt.Fprintf(w, "  steps       %d in %d segment(s)\n", r.Steps, len(r.Segments))
	fmt.Fprintf(w, "  trace root  %s\n", r.TraceRoot)
	fmt.Fprintf(w, "  proof       %s/%s, gnark %s\n", r.Backend, r.Curve, r.GnarkVersion)
	pin := "pinned"
	if !verified {
		pin = "named by the bundle"
	} else if !r.Pinned {
		pin = "NOT PINNED (embedded in the bundle)"
	}
	fmt.Fprintf(w, "  key set     %s (%s)\n", r.KeySet, pin)
	fmt.Fprintf(w, "  setup       %s\n", r.Setup)
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  !!! %s\n", warn)
	}
}

func joinU64(v []uint64) string {
	if len(v) == 0 {
		return "(none)"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// showBytes prints short printable byte strings as text, others as hex.
func showBytes(b []byte) string {
	printable := len(b) <= 200
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\t' || c > 0x7e {
			printable = false
			break
		}
	}
	if printable {
		return fmt.Sprintf("%q (%d bytes)", b, len(b))
	}
	if len(b) > 64 {
		return fmt.Sprintf("%x… (%d bytes)", b[:64], len(b))
	}
	return fmt.Sprintf("%x (%d bytes)", b, len(b))
}
