package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/auditlog/auditcli"
	"github.com/mcpzero/mcpzero/internal/auditlog/kernellog"
	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/kernel/resource"
	"github.com/mcpzero/mcpzero/kernel/security"
	"github.com/mcpzero/mcpzero/plugins"
	"github.com/mcpzero/mcpzero/verifier"
)

// The operation log (docs/AUDIT.md): `mcpzero audit ...`. Every command
// that opens the kernel's store wraps it with auditStore so that each
// state-changing operation appends its log entry in its own batch.

// auditStore wraps st so that entries staged by the kernel's and the
// security manager's commit hooks are appended, with a new checkpoint
// signed by the kernel key (DATA-DIR/kernel.key, created on first use), in
// the same atomic write as the operation.
func auditStore(dataDir string, st store.Store) (*storelog.Store, error) {
	if dataDir == "" {
		// Never create the kernel's key in whatever the working directory is.
		return nil, errors.New("no data directory: --data-dir is empty")
	}
	signer, _, err := kernellog.LoadOrCreateKey(dataDir)
	if err != nil {
		return nil, fmt.Errorf("kernel checkpoint key: %w", err)
	}
	return storelog.Wrap(st, storelog.New(st, storelog.WithSigner(signer))), nil
}

// auditKernelOption logs every kernel operation (through auditStore).
func auditKernelOption() kernel.Option { return kernel.WithCommitHook(kernellog.Hook()) }

// auditSecurityOption logs every security change (through auditStore).
func auditSecurityOption() security.Option {
	return security.WithCommitHook(kernellog.SecurityHook())
}

// openAudit opens the store and the log in it, and the kernel's own
// verifier (from its key) for checks against the local log.
func openAudit(c *cli.Context) (*storelog.Store, note.Verifier, func(), error) {
	dir := c.String("data-dir")
	if dir == "" {
		return nil, nil, nil, errors.New("no data directory: --data-dir is empty")
	}
	st, err := store.Open(storeDir(dir))
	if err != nil {
		return nil, nil, nil, err
	}
	ws, err := auditStore(dir, st)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	_, vkey, err := kernellog.LoadOrCreateKey(dir)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	v, err := auditlog.ParseVerifierKey([]byte(vkey))
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return ws, v, func() { st.Close() }, nil
}

func init() {
	register(&cli.Command{
		Name:  "audit",
		Usage: "the operation log: a signed, Merkle-committed record of every state-changing kernel operation",
		Description: "Every operation appends one entry in the same atomic write as its change; after each write a new\n" +
			"checkpoint (size and RFC 6962 root, signed by the kernel key) is stored. Auditors verify exports\n" +
			"offline with `mcpzero-verify audit FILE --key kernel.pub`. See docs/AUDIT.md.",
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list log entries",
				Flags: []cli.Flag{
					&cli.Int64Flag{Name: "from", Usage: "first `INDEX`"},
					&cli.Int64Flag{Name: "limit", Value: 100, Usage: "at most `N` entries (0: all)"},
				},
				Action: auditList,
			},
			{Name: "show", Usage: "show one entry", ArgsUsage: "INDEX", Flags: []cli.Flag{seqFlag}, Action: auditShow},
			{
				Name: "verify", Usage: "check the whole log, an entry's inclusion, or that the log extends a checkpoint you kept",
				ArgsUsage: "[INDEX]",
				Description: "Without INDEX: re-derive the whole log from its entries and check every stored hash and signed\n" +
					"checkpoint. With INDEX: check the entry's inclusion proof against the latest (or --checkpoint) checkpoint.\n" +
					"With --checkpoint and no INDEX: check that the current log extends that checkpoint (no fork, no rollback).",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "checkpoint", Usage: "a checkpoint `FILE` published earlier"},
					&cli.StringFlag{Name: "key", Usage: "verify checkpoints with this key `FILE` instead of the kernel's own"},
					seqFlag,
				},
				Action: auditVerify,
			},
			{
				Name: "export", Usage: "write one entry, its inclusion proof, the signed checkpoint and any proof bundle to a self-contained file",
				ArgsUsage: "INDEX --out FILE.audit",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `FILE` (.audit)"},
					&cli.Int64Flag{Name: "size", Usage: "prove against the checkpoint of this log `SIZE` (default: latest)"},
					seqFlag,
				},
				Action: auditExport,
			},
			auditcli.Command("verify-file", "verify an .audit export offline, with the kernel's public key only (as mcpzero-verify audit)"),
			{
				Name: "consistency", Usage: "check that checkpoint NEW extends checkpoint OLD (the log was not forked or rolled back)",
				ArgsUsage: "OLD NEW [--out FILE]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Usage: "the kernel's verifier key `FILE` (default: this kernel's)"},
					&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "also write both checkpoints and the proof to `FILE`, for `mcpzero-verify audit FILE --key kernel.pub`"},
				},
				Action: auditConsistency,
			},
			{
				Name: "checkpoint", Usage: "print (or write) the signed checkpoint of the log, signing it now if needed",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "also write it to `FILE`"},
					&cli.Int64Flag{Name: "size", Usage: "the stored checkpoint of this `SIZE` (default: current)"},
				},
				Action: auditCheckpoint,
			},
			{
				Name: "attach-proof", Usage: "store a proof bundle of a logged execute and log it (a proof_stored entry linking the bundle's digest)",
				ArgsUsage: "SEQ FILE.proof",
				Description: "SEQ is the execute's kernel sequence number. The bundle must decode and its statement's input and\n" +
					"output must hash to the execute's logged digests. Exports of the new entry embed the bundle.",
				Action: auditAttachProof,
			},
			{Name: "key", Usage: "print the kernel's verifier key (what auditors pin as kernel.pub)", Action: auditKey},
			{
				Name: "replay", Usage: "re-execute the log from genesis in a fresh in-memory kernel and check every recorded state root",
				Flags: []cli.Flag{kernelEngineFlag, &cli.BoolFlag{
					Name:  "unmetered",
					Usage: "replay without fuel metering (for a log recorded by a kernel without it; fuel is then expected to be 0)",
				}},
				Action: auditReplay,
			},
		},
	})
}

var seqFlag = &cli.BoolFlag{Name: "seq", Usage: "INDEX is a kernel sequence number (logical time), not a log index"}

// entryIndex reads the INDEX argument (or a seq with --seq).
func entryIndex(c *cli.Context, l *storelog.Log, arg string) (int64, error) {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: INDEX %q is not a non-negative integer", c.Command.FullName(), arg)
	}
	if c.Bool("seq") {
		return l.IndexOfSeq(uint64(n))
	}
	return n, nil
}

type entryOut struct {
	*auditlog.Entry
	LeafHash string `json:"leaf_hash"`
}

func auditList(c *cli.Context) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	ws, _, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	l := ws.Log()
	n, err := l.Size()
	if err != nil {
		return err
	}
	var out []entryOut
	for i := c.Int64("from"); i < n && (c.Int64("limit") <= 0 || int64(len(out)) < c.Int64("limit")); i++ {
		e, data, err := l.Entry(i)
		if err != nil {
			return err
		}
		out = append(out, entryOut{e, auditlog.RecordHash(data).String()})
	}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "%-6s %-6s %-14s %-12s %s\n", "INDEX", "SEQ", "KIND", "AGENT", "METHOD")
		for _, e := range out {
			fmt.Fprintf(w, "%-6d %-6d %-14s %-12s %s\n", e.Index, e.Seq, e.Kind, dash(e.Agent), dash(e.Method))
		}
		fmt.Fprintf(w, "%d of %d entries\n", len(out), n)
		return nil
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func auditShow(c *cli.Context) error {
	args, err := exactArgs(c, "INDEX")
	if err != nil {
		return err
	}
	ws, _, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	l := ws.Log()
	i, err := entryIndex(c, l, args[0])
	if err != nil {
		return err
	}
	e, data, err := l.Entry(i)
	if err != nil {
		return err
	}
	out := entryOut{e, auditlog.RecordHash(data).String()}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "entry %d (seq %d, %s)\n", e.Index, e.Seq, e.Kind)
		fmt.Fprintf(w, "  %-11s %s\n", "leaf hash", out.LeafHash)
		auditcli.PrintEntry(w, e)
		return nil
	})
}

// readCheckpoint opens a signed checkpoint file with v.
func readCheckpoint(path string, v note.Verifier) (auditlog.Checkpoint, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return auditlog.Checkpoint{}, err
	}
	cp, err := auditlog.OpenCheckpoint(msg, v)
	if err != nil {
		return cp, fmt.Errorf("%s: %w", path, err)
	}
	return cp, nil
}

func verifierFor(c *cli.Context, own note.Verifier) (note.Verifier, error) {
	if f := c.String("key"); f != "" {
		return kernellog.ReadVerifierKey(f)
	}
	return own, nil
}

type verifyOut struct {
	OK          bool   `json:"ok"`
	What        string `json:"what"`
	Size        int64  `json:"size"`
	Root        string `json:"root"`
	Checkpoints int    `json:"checkpoints,omitempty"`
	Index       *int64 `json:"index,omitempty"`
	OldSize     *int64 `json:"old_size,omitempty"`
	ProofHashes int    `json:"proof_hashes"`
}

func auditVerify(c *cli.Context) error {
	args, err := positional(c)
	if err != nil {
		return err
	}
	if len(args) > 1 {
		return fmt.Errorf("%s: want at most one INDEX, got %d arguments", c.Command.FullName(), len(args))
	}
	ws, own, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	v, err := verifierFor(c, own)
	if err != nil {
		return err
	}
	l := ws.Log()
	var latest auditlog.Checkpoint
	if len(args) == 1 || c.String("checkpoint") != "" {
		latestMsg, err := l.Latest()
		if err != nil {
			return fmt.Errorf("the log is empty or has no checkpoint: %w", err)
		}
		if latest, err = auditlog.OpenCheckpoint(latestMsg, v); err != nil {
			return fmt.Errorf("latest checkpoint: %w", err)
		}
	}
	var out verifyOut
	switch {
	case len(args) == 1:
		i, err := entryIndex(c, l, args[0])
		if err != nil {
			return err
		}
		cp := latest
		if f := c.String("checkpoint"); f != "" {
			if cp, err = readCheckpoint(f, v); err != nil {
				return err
			}
		}
		_, data, err := l.Entry(i)
		if err != nil {
			return err
		}
		p, err := l.InclusionProof(i, cp.Size)
		if err != nil {
			return err
		}
		if err := auditlog.VerifyInclusion(cp, i, data, p); err != nil {
			return err
		}
		out = verifyOut{OK: true, What: fmt.Sprintf("entry %d is included in the checkpoint of size %d", i, cp.Size), Size: cp.Size, Root: cp.Root.String(), Index: &i, ProofHashes: len(p)}
	case c.String("checkpoint") != "":
		old, err := readCheckpoint(c.String("checkpoint"), v)
		if err != nil {
			return err
		}
		if old.Size > latest.Size {
			return auditlog.VerifyConsistency(old, latest, nil) // reports the rollback
		}
		p, err := l.ConsistencyProof(old.Size, latest.Size)
		if err != nil {
			return err
		}
		if err := auditlog.VerifyConsistency(old, latest, p); err != nil {
			return err
		}
		out = verifyOut{OK: true, What: fmt.Sprintf("the log of size %d extends the checkpoint of size %d", latest.Size, old.Size), Size: latest.Size, Root: latest.Root.String(), OldSize: &old.Size, ProofHashes: len(p)}
	default:
		rep, err := l.Check(v)
		if err != nil {
			return err
		}
		// And the log against the kernel's own records of its operations.
		k, err := kernel.Open(ws, kernel.WithInsecureSkipVerify())
		if err != nil {
			return err
		}
		defer k.Close()
		if err := kernellog.CrossCheck(l, k); err != nil {
			return err
		}
		out = verifyOut{OK: true, What: fmt.Sprintf("every entry, stored hash and signed checkpoint is consistent, and the log records all %d kernel operations", k.Seq()),
			Size: rep.Size, Root: rep.Root.String(), Checkpoints: rep.Checkpoints}
	}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "OK: %s\n  log size %d, root %s\n", out.What, out.Size, out.Root)
		return nil
	})
}

func auditExport(c *cli.Context) error {
	args, err := exactArgs(c, "INDEX")
	if err != nil {
		return err
	}
	if c.String("out") == "" {
		return fmt.Errorf("%s: --out FILE.audit is required", c.Command.FullName())
	}
	ws, v, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	l := ws.Log()
	i, err := entryIndex(c, l, args[0])
	if err != nil {
		return err
	}
	x, err := l.Export(i, c.Int64("size"), func(d auditlog.Digest) ([]byte, error) {
		if b, err := l.Bundle(d); err == nil {
			return b, nil
		}
		// A proof made by the kernel (`agent prove`) is kept under the
		// kernel's own key (docs/KERNEL.md, storage layout).
		return ws.Get(store.Key([]byte("proof"), []byte(d.String())))
	})
	if err != nil {
		return err
	}
	// Never hand out a file that does not verify.
	got, err := auditlog.VerifyExport(x, v)
	if err != nil {
		return fmt.Errorf("the export does not verify against the kernel's own key: %w", err)
	}
	raw, err := x.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.String("out"), raw, 0o644); err != nil {
		return err
	}
	out := map[string]any{"file": c.String("out"), "index": i, "tree_size": got.Checkpoint.Size, "bytes": len(raw), "proof_bundle": len(x.ProofBundle) > 0}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "wrote %s: entry %d (seq %d, %s) against the checkpoint of size %d (%d bytes)\n",
			c.String("out"), i, got.Entry.Seq, got.Entry.Kind, got.Checkpoint.Size, len(raw))
		return nil
	})
}

func auditConsistency(c *cli.Context) error {
	args, err := exactArgs(c, "OLD", "NEW")
	if err != nil {
		return err
	}
	ws, own, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	v, err := verifierFor(c, own)
	if err != nil {
		return err
	}
	old, err := readCheckpoint(args[0], v)
	if err != nil {
		return err
	}
	cur, err := readCheckpoint(args[1], v)
	if err != nil {
		return err
	}
	proof, err := ws.Log().ConsistencyProof(min(old.Size, cur.Size), cur.Size)
	if err != nil {
		return err
	}
	if err := auditlog.VerifyConsistency(old, cur, proof); err != nil {
		return err
	}
	if f := c.String("out"); f != "" {
		oldText, _ := os.ReadFile(args[0])
		newText, _ := os.ReadFile(args[1])
		raw, err := (&auditlog.ConsistencyFile{Format: auditlog.ConsistencyFormat, Old: string(oldText), New: string(newText), Proof: proof}).Marshal()
		if err != nil {
			return err
		}
		if err := os.WriteFile(f, raw, 0o644); err != nil {
			return err
		}
	}
	out := map[string]any{"ok": true, "old_size": old.Size, "new_size": cur.Size, "proof_hashes": len(proof)}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "OK: the checkpoint of size %d extends the checkpoint of size %d (%d-hash proof)\n", cur.Size, old.Size, len(proof))
		return nil
	})
}

func auditCheckpoint(c *cli.Context) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	ws, _, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	var msg []byte
	if n := c.Int64("size"); n > 0 {
		msg, err = ws.Log().Checkpoint(n)
	} else {
		// On demand: sign the current tree (the same bytes as the stored
		// one when nothing changed: signing is deterministic).
		b := ws.NewBatch()
		if msg, err = ws.Log().SignCheckpoint(b); err == nil {
			err = ws.Write(b)
		}
	}
	if err != nil {
		return err
	}
	if f := c.String("out"); f != "" {
		if err := os.WriteFile(f, msg, 0o644); err != nil {
			return err
		}
	}
	return emit(c, map[string]string{"checkpoint": string(msg)}, func(w io.Writer) error {
		_, err := w.Write(msg)
		return err
	})
}

func auditKey(c *cli.Context) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	if c.String("data-dir") == "" {
		return errors.New("no data directory: --data-dir is empty")
	}
	_, vkey, err := kernellog.LoadOrCreateKey(c.String("data-dir"))
	if err != nil {
		return err
	}
	return emit(c, map[string]string{"verifier_key": vkey}, func(w io.Writer) error {
		fmt.Fprintln(w, vkey)
		return nil
	})
}

func auditReplay(c *cli.Context) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	engine, err := plugins.ParseEngine(c.String("engine"))
	if err != nil {
		return err
	}
	ws, _, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	// The original kernel supplies wasm, params and constraints; it is
	// only read.
	src, err := kernel.Open(ws, kernel.WithEngine(engine), kernel.WithInsecureSkipVerify())
	if err != nil {
		return err
	}
	defer src.Close()
	// The replay kernel meters fuel as the operator's kernel does
	// (openKernelSecurity), so that the fuel of every execute is compared.
	opts := []kernel.Option{kernel.WithEngine(engine)}
	if !c.Bool("unmetered") {
		opts = append(opts, kernel.WithMeter(resource.NewMeter(kernel.DefaultConstraints.FuelPerCall)))
	}
	rep, err := kernellog.Replay(context.Background(), ws.Log(), src, ws, opts...)
	if err != nil {
		return err
	}
	return emit(c, rep, func(w io.Writer) error {
		fmt.Fprintf(w, "OK: replayed %d kernel operations of %d entries; every recorded state root, output and fuel matches\n", rep.Replayed, rep.Entries)
		if len(rep.Skipped) > 0 {
			var parts []string
			for k, n := range rep.Skipped {
				parts = append(parts, fmt.Sprintf("%s %d", k, n))
			}
			sort.Strings(parts)
			fmt.Fprintf(w, "  not re-executed (no agent state): %s\n", strings.Join(parts, ", "))
		}
		return nil
	})
}

func auditAttachProof(c *cli.Context) error {
	args, err := exactArgs(c, "SEQ", "FILE.proof")
	if err != nil {
		return err
	}
	seq, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%s: SEQ %q is not a sequence number", c.Command.FullName(), args[0])
	}
	bundle, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	var b verifier.Bundle
	if err := b.UnmarshalBinary(bundle); err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	ws, _, done, err := openAudit(c)
	if err != nil {
		return err
	}
	defer done()
	l := ws.Log()
	i, err := l.IndexOfSeq(seq)
	if err != nil {
		return err
	}
	e, _, err := l.Entry(i)
	if err != nil {
		return err
	}
	if e.Kind != auditlog.KindExecute {
		return fmt.Errorf("operation %d is a %s, not an execute", seq, e.Kind)
	}
	// Bind the bundle to the execute: the run it proves read the execute's
	// params and wrote its output.
	if auditlog.SHA256(b.Statement.Input) != e.Input || auditlog.SHA256(b.Statement.Output) != e.Output {
		return fmt.Errorf("%s: %w: the bundle's input/output digests %s / %s are not execute %d's %s / %s", args[1],
			auditcli.ErrStatementMismatch, auditlog.SHA256(b.Statement.Input), auditlog.SHA256(b.Statement.Output), seq, e.Input, e.Output)
	}
	n, err := l.Size()
	if err != nil {
		return err
	}
	last, _, err := l.Entry(n - 1)
	if err != nil {
		return err
	}
	batch := ws.NewBatch()
	d, err := storelog.StageProof(batch, max(last.Seq, seq), e, bundle)
	if err != nil {
		return err
	}
	if err := ws.Write(batch); err != nil {
		return err
	}
	out := map[string]any{"index": n, "proof": d.String(), "ref": seq}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "logged proof %s of execute %d as entry %d\n", d, seq, n)
		return nil
	})
}
