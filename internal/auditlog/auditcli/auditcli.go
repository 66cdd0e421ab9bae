package auditcli

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/consensys/gnark/logger"
	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/verifier"
	"github.com/mcpzero/mcpzero/verifier/verifycli"
)

// ErrStatementMismatch: the embedded proof bundle proves a run whose input
// or output is not the one the entry records.
var ErrStatementMismatch = errors.New("auditcli: the proof bundle's statement does not match the entry")

// Report is what a successful check established (the --json output).
type Report struct {
	File       string          `json:"file"`
	Valid      bool            `json:"valid"`
	Entry      *auditlog.Entry `json:"entry"`
	LeafHash   string          `json:"leaf_hash"`
	Origin     string          `json:"origin"`
	TreeSize   int64           `json:"tree_size"`
	Root       string          `json:"root"`
	Key        string          `json:"key"`
	Bundle     *BundleReport   `json:"proof_bundle,omitempty"`
	ProofSize  int             `json:"inclusion_proof_hashes"`
	Warnings   []string        `json:"warnings,omitempty"`
	Checkpoint string          `json:"checkpoint"`
}

// BundleReport describes the embedded proof bundle's check.
type BundleReport struct {
	Digest   string `json:"digest"`
	Verified bool   `json:"zk_verified"`
	Pinned   bool   `json:"keys_pinned"`
	Export   string `json:"export"`
	Status   string `json:"status"`
	Segments int    `json:"segments"`
}

// Options of a file check.
type Options struct {
	KeyFile string // the kernel's verifier key (kernel.pub)
	VKFile  string // pinned verifying-key set for the proof bundle, or ""
	// KeptFile is a checkpoint the auditor kept: a consistency file must
	// prove from exactly it.
	KeptFile string
}

// ConsistencyReport is what a successful consistency-file check
// established.
type ConsistencyReport struct {
	File        string `json:"file"`
	Valid       bool   `json:"valid"`
	Origin      string `json:"origin"`
	OldSize     int64  `json:"old_size"`
	OldRoot     string `json:"old_root"`
	NewSize     int64  `json:"new_size"`
	NewRoot     string `json:"new_root"`
	Kept        bool   `json:"matches_kept_checkpoint"`
	ProofHashes int    `json:"proof_hashes"`
	Key         string `json:"key"`
}

// fileFormat is the "format" field of a JSON file, or "".
func fileFormat(raw []byte) string {
	var f struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(raw, &f) != nil {
		return ""
	}
	return f.Format
}

// VerifyConsistencyFile checks a consistency proof file (from `mcpzero
// audit consistency OLD NEW --out FILE`) with the kernel's key, and against
// the kept checkpoint when o.KeptFile is set.
func VerifyConsistencyFile(path string, o Options) (*ConsistencyReport, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := readKey(o.KeyFile)
	if err != nil {
		return nil, err
	}
	f, err := auditlog.ParseConsistencyFile(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var kept []byte
	if o.KeptFile != "" {
		if kept, err = os.ReadFile(o.KeptFile); err != nil {
			return nil, fmt.Errorf("--checkpoint: %w", err)
		}
	}
	old, cur, err := auditlog.VerifyConsistencyFile(f, v, kept)
	if err != nil {
		return nil, fmt.Errorf("%s: NOT VALID: %w", path, err)
	}
	return &ConsistencyReport{File: path, Valid: true, Origin: old.Origin, OldSize: old.Size, OldRoot: old.Root.String(),
		NewSize: cur.Size, NewRoot: cur.Root.String(), Kept: kept != nil, ProofHashes: len(f.Proof),
		Key: fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())}, nil
}

func readKey(path string) (note.Verifier, error) {
	keyText, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	v, err := auditlog.ParseVerifierKey(keyText)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", path, err)
	}
	return v, nil
}

// VerifyFile checks the .audit file at path with the kernel's key alone; see
// auditlog.VerifyExport. An embedded proof bundle is also verified (its
// zero-knowledge proofs, against the pinned key set when given) and its
// statement's input and output must hash to the entry's digests.
func VerifyFile(path string, o Options) (*Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := readKey(o.KeyFile)
	if err != nil {
		return nil, err
	}
	x, err := auditlog.ParseExport(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var keys *verifier.KeySet
	if o.VKFile != "" {
		if keys, err = verifier.ReadKeySetFile(o.VKFile); err != nil {
			return nil, fmt.Errorf("--vk: %w", err)
		}
	}
	var br *BundleReport
	var warnings []string
	checkBundle := func(bundle []byte, e *auditlog.Entry) error {
		var b verifier.Bundle
		if err := b.UnmarshalBinary(bundle); err != nil {
			return err
		}
		logger.Disable() // gnark logs to stdout
		res, err := verifier.Verify(&b, keys)
		if err != nil {
			return err
		}
		if !e.Input.IsZero() && sha256.Sum256(b.Statement.Input) != e.Input {
			return fmt.Errorf("%w: input digest %x, entry records %s", ErrStatementMismatch, sha256.Sum256(b.Statement.Input), e.Input)
		}
		if !e.Output.IsZero() && sha256.Sum256(b.Statement.Output) != e.Output {
			return fmt.Errorf("%w: output digest %x, entry records %s", ErrStatementMismatch, sha256.Sum256(b.Statement.Output), e.Output)
		}
		warnings = append(warnings, res.Warnings...)
		br = &BundleReport{Digest: e.Proof.String(), Verified: true, Pinned: res.Pinned, Export: b.Statement.Export,
			Status: b.Statement.Status.String(), Segments: res.Segments}
		return nil
	}
	got, err := auditlog.VerifyExport(x, v, auditlog.WithBundleVerifier(checkBundle))
	if err != nil {
		return nil, fmt.Errorf("%s: NOT VALID: %w", path, err)
	}
	return &Report{
		File: path, Valid: true, Entry: got.Entry, LeafHash: got.LeafHash.String(),
		Origin: got.Checkpoint.Origin, TreeSize: got.Checkpoint.Size, Root: got.Checkpoint.Root.String(),
		Key: fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash()), Bundle: br, ProofSize: len(x.Inclusion),
		Warnings: warnings, Checkpoint: x.Checkpoint,
	}, nil
}

// PrintHuman writes the report for a person.
func PrintHuman(w io.Writer, r *Report) {
	e := r.Entry
	fmt.Fprintf(w, "VALID: entry %d (seq %d, %s) is in log %s\n", e.Index, e.Seq, e.Kind, r.Origin)
	fmt.Fprintf(w, "  checkpoint  size %d, root %s, signed by %s\n", r.TreeSize, r.Root, r.Key)
	fmt.Fprintf(w, "  inclusion   %d hashes, leaf %s\n", r.ProofSize, r.LeafHash)
	PrintEntry(w, e)
	if b := r.Bundle; b != nil {
		pinned := "keys pinned"
		if !b.Pinned {
			pinned = "keys NOT pinned (the bundle's own keys: pass --vk)"
		}
		fmt.Fprintf(w, "  proof       bundle %s verified: %s, %s, %d segments; %s\n", b.Digest, b.Export, b.Status, b.Segments, pinned)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", wn)
	}
}

// PrintEntry writes an entry's fields, one per line.
func PrintEntry(w io.Writer, e *auditlog.Entry) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-11s %s\n", k, v)
		}
	}
	dig := func(d auditlog.Digest) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	line("agent", e.Agent)
	line("plugin", dig(e.Plugin))
	line("method", e.Method)
	line("input", dig(e.Input))
	line("output", dig(e.Output))
	if !e.StateBefore.IsZero() || !e.StateAfter.IsZero() {
		line("state", fmt.Sprintf("%s -> %s", e.StateBefore, e.StateAfter))
	}
	if e.Fuel != 0 {
		line("fuel", fmt.Sprint(e.Fuel))
	}
	line("proof", dig(e.Proof))
	if e.Ref != 0 {
		line("ref", fmt.Sprintf("seq %d", e.Ref))
	}
	line("detail", e.Detail)
}

// Command is the file check as a CLI command named name.
func Command(name, usage string) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "FILE --key kernel.pub [--vk FILE] [--checkpoint KEPT] [--json]",
		Description: "FILE is an entry export (.audit) or a consistency proof file; both are checked with no database.\n" +
			"Export: the checkpoint's signature by the pinned kernel key, the entry's canonical encoding and\n" +
			"index, its inclusion proof against the checkpoint, and, when the entry links a proof bundle,\n" +
			"that the embedded bundle has the linked digest, that its proofs verify (against --vk when\n" +
			"given) and that its input and output hash to the entry's digests.\n" +
			"Consistency file: both checkpoints' signatures and that the newer log extends the older one\n" +
			"(with --checkpoint: that the older one is exactly the checkpoint you kept).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "the kernel's verifier key `FILE` (kernel.pub: a note verifier key, or a PEM public key)"},
			&cli.StringFlag{Name: "vk", Usage: "pinned verifying-key set `FILE` for an embedded proof bundle"},
			&cli.StringFlag{Name: "checkpoint", Usage: "a checkpoint `FILE` you kept, that a consistency file must start from"},
		},
		Action: func(c *cli.Context) error {
			args, err := verifycli.Interspersed(c)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return fmt.Errorf("%s: want exactly one FILE.audit, got %d arguments", name, len(args))
			}
			if c.String("key") == "" {
				return fmt.Errorf("%s: --key kernel.pub is required: the check means nothing without a pinned key", name)
			}
			o := Options{KeyFile: c.String("key"), VKFile: c.String("vk"), KeptFile: c.String("checkpoint")}
			var out any
			var human func(w io.Writer)
			if raw, err := os.ReadFile(args[0]); err == nil && fileFormat(raw) == auditlog.ConsistencyFormat {
				r, err := VerifyConsistencyFile(args[0], o)
				if err != nil {
					return err
				}
				out, human = r, func(w io.Writer) {
					fmt.Fprintf(w, "VALID: log %s at size %d (root %s) extends size %d (root %s); %d-hash proof, signed by %s\n",
						r.Origin, r.NewSize, r.NewRoot, r.OldSize, r.OldRoot, r.ProofHashes, r.Key)
					if r.Kept {
						fmt.Fprintln(w, "  the older checkpoint is the one you kept")
					}
				}
			} else {
				if o.KeptFile != "" {
					return fmt.Errorf("%s: --checkpoint applies to consistency files only", name)
				}
				r, err := VerifyFile(args[0], o)
				if err != nil {
					return err
				}
				out, human = r, func(w io.Writer) { PrintHuman(w, r) }
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			human(c.App.Writer)
			return nil
		},
	}
}
