package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/consensys/gnark/logger"
	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/prover"
	"github.com/mcpzero/mcpzero/verifier"
)

// agentProveCommand is `mcpzero agent prove SEQ|AGENT`: the kernel proves
// a logged execute by replay and stores and links the bundle
// (kernel.GenerateProof, docs/KERNEL.md "Proofs").
func agentProveCommand(agentFlags []cli.Flag) *cli.Command {
	return &cli.Command{
		Name:  "prove",
		Usage: "prove a logged execute (by its seq, or an agent's latest execute); the bundle is stored, linked to the operation and logged",
		Description: "Only executes of plugins that use the provable ABI (input_size, input_read, output_write) and the provable\n" +
			"instructions can be proven: the proof's input is the execute's params, its output the method's output.\n" +
			"An execute that used agent state is refused. Verify the bundle with `mcpzero verify FILE --vk keys.vks`.",
		ArgsUsage: "SEQ|AGENT",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "also write the bundle to `FILE`"},
			flagKeysDir, flagBackend, flagMaxMemory,
			&cli.BoolFlag{Name: "no-setup", Usage: "fail instead of running a dev setup when keys are missing"},
			&cli.BoolFlag{Name: "require-ceremony", Usage: "refuse keys from a single-party dev setup"},
		}, agentFlags...),
		Action: agentProve,
	}
}

// agentProofsCommand is `mcpzero agent proofs AGENT [--out-dir DIR]`.
func agentProofsCommand(agentFlags []cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      "proofs",
		Usage:     "list the stored proofs of an agent's executes",
		ArgsUsage: "AGENT",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out-dir", Usage: "also write each bundle to `DIR`/DIGEST.proof"},
		}, agentFlags...),
		Action: agentProofs,
	}
}

type agentProveReport struct {
	Proves   uint64          `json:"proves"`
	Record   kernel.OpRecord `json:"record"`
	Proof    string          `json:"proof"` // bundle SHA-256
	Out      string          `json:"out,omitempty"`
	Output   []byte          `json:"output"`
	Steps    uint64          `json:"steps"`
	Segments int             `json:"segments"`
	Shapes   []string        `json:"shapes"`
	Bytes    int             `json:"bundle_bytes"`
	Setup    string          `json:"setup"`
	KeySet   string          `json:"key_set"`
	Seconds  float64         `json:"total_seconds"`
	Warnings []string        `json:"warnings,omitempty"`
}

func agentProve(c *cli.Context) error {
	logger.Disable() // gnark logs to stdout, which would corrupt --json
	args, err := exactArgs(c, "SEQ|AGENT")
	if err != nil {
		return err
	}
	backend, err := verifier.ParseBackend(c.String("backend"))
	if err != nil {
		return err
	}
	k, done, err := openKernel(c)
	if err != nil {
		return err
	}
	defer done()
	seq, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		if seq, err = latestExecute(k, kernel.AgentID(args[0])); err != nil {
			return err
		}
	}
	budget, err := memoryBudgetOption(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt)
	defer stop()
	ui := newProgressUI(c.App.ErrWriter)
	opts := []prover.Option{prover.WithBackend(backend), prover.WithKeysDir(c.String("keys-dir")), prover.WithProgress(ui.update), budget}
	if c.Bool("no-setup") {
		opts = append(opts, prover.WithoutSetup())
	}
	if c.Bool("require-ceremony") {
		opts = append(opts, prover.RequireCeremony())
	}
	res, err := k.GenerateProof(ctx, seq, opts...)
	ui.close()
	if err != nil {
		return err
	}
	var b verifier.Bundle
	if err := b.UnmarshalBinary(res.Bundle); err != nil {
		return err
	}
	r := agentProveReport{Proves: seq, Record: res.Record, Proof: res.Digest.String(), Out: c.String("out"),
		Output: b.Statement.Output, Steps: res.Stats.Steps, Segments: res.Stats.Segments, Shapes: res.Stats.Shapes,
		Bytes: len(res.Bundle), Setup: b.Setup.String(), KeySet: b.KeySet.String(), Seconds: res.Stats.Total.Seconds()}
	if r.Output == nil {
		r.Output = []byte{}
	}
	if r.Out != "" {
		if err := os.WriteFile(r.Out, res.Bundle, 0o644); err != nil {
			return err
		}
	}
	if b.Setup == verifier.DevSetup {
		r.Warnings = append(r.Warnings, verifier.DevSetupWarning)
		fmt.Fprintf(c.App.ErrWriter, "WARNING: %s\n", verifier.DevSetupWarning)
	}
	return emit(c, r, func(w io.Writer) error {
		fmt.Fprintf(w, "proved       execute #%d (%s %s), output %q\n", seq, res.Record.Agent, res.Record.Method, r.Output)
		fmt.Fprintf(w, "steps        %d in %d segments (shapes %s)\n", r.Steps, r.Segments, strings.Join(r.Shapes, ", "))
		fmt.Fprintf(w, "time         %s (keys %s, prove %s)\n", round(res.Stats.Total), round(res.Stats.SetupTime), round(res.Stats.ProveTime))
		fmt.Fprintf(w, "proof        %s, %d bytes, key set %s, setup %s\n", r.Proof, r.Bytes, r.KeySet, r.Setup)
		fmt.Fprintf(w, "stored       as operation #%d (proof of #%d)\n", res.Record.Seq, seq)
		if r.Out != "" {
			fmt.Fprintf(w, "wrote        %s\n", r.Out)
		}
		return nil
	})
}

// latestExecute is the seq of the agent's most recent execute.
func latestExecute(k *kernel.Kernel, id kernel.AgentID) (uint64, error) {
	if _, err := k.Inspect(id); err != nil {
		return 0, fmt.Errorf("%q is neither a sequence number nor an agent: %w", id, err)
	}
	recs, err := k.Records(id, 0)
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		if r.Kind == kernel.OpExecute {
			return r.Seq, nil
		}
	}
	return 0, fmt.Errorf("%w: agent %s has no execute to prove", kernel.ErrNotFound, id)
}

var agentProofs = kernelAction([]string{"AGENT"}, func(c *cli.Context, k *kernel.Kernel, args []string) error {
	recs, err := k.Proofs(kernel.AgentID(args[0]))
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []kernel.OpRecord{}
	}
	if dir := c.String("out-dir"); dir != "" {
		for _, r := range recs {
			d, err := kernel.ParseDigest(r.ProofLink)
			if err != nil {
				return err
			}
			b, err := k.Proof(d)
			if err != nil {
				return err
			}
			if err := os.WriteFile(fmt.Sprintf("%s/%s.proof", dir, d), b, 0o644); err != nil {
				return err
			}
		}
	}
	return emit(c, recs, func(w io.Writer) error {
		if len(recs) == 0 {
			fmt.Fprintf(w, "no proofs of %s\n", args[0])
		}
		for _, r := range recs {
			fmt.Fprintf(w, "#%-5d proves #%-5d %-12s proof %s\n", r.Seq, r.Proves, r.Method, r.ProofLink)
		}
		return nil
	})
})
