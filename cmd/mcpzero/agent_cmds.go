package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/kernel/resource"
)

func init() {
	agentFlags := []cli.Flag{kernelEngineFlag}
	cmd := &cli.Command{
		Name:  "agent",
		Usage: "spawn agents, attach plugins, execute methods, snapshot, recover, terminate",
		Subcommands: []*cli.Command{
			{
				Name:  "spawn",
				Usage: "create an agent under resource constraints",
				Flags: append([]cli.Flag{
					&cli.UintFlag{Name: "memory-pages", Usage: "linear memory limit per call, in 64 KiB pages", Value: uint(kernel.DefaultConstraints.MemoryPages)},
					&cli.Int64Flag{Name: "state-bytes", Usage: "limit of the agent's persistent state (keys + values)", Value: kernel.DefaultConstraints.StateBytes},
					&cli.DurationFlag{Name: "deadline", Usage: "wall-clock safety net per call", Value: kernel.DefaultConstraints.Deadline},
					&cli.Uint64Flag{Name: "fuel", Usage: "fuel per call (enforced when fuel metering is installed)", Value: kernel.DefaultConstraints.FuelPerCall},
				}, agentFlags...),
				Action: agentSpawn,
			},
			{Name: "attach", Usage: "attach an installed plugin to an agent", ArgsUsage: "AGENT PLUGIN", Flags: agentFlags, Action: agentAttach},
			{
				Name:      "exec",
				Usage:     "execute a plugin method; its output is printed",
				ArgsUsage: "AGENT METHOD",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "the call's input as text"},
					&cli.StringFlag{Name: "input-hex", Usage: "the call's input in hex"},
					&cli.StringFlag{Name: "input-file", Usage: "read the call's input from `FILE`"},
					&cli.StringFlag{Name: "agreement", Usage: "charge the call to the usage agreement `ID`; it fails unless the agreement allows it (security_cmds.go)"},
				}, agentFlags...),
				Action: agentExec,
			},
			{Name: "snapshot", Usage: "save the agent's state as an immutable snapshot", ArgsUsage: "AGENT", Flags: agentFlags, Action: agentSnapshot},
			{Name: "recover", Usage: "restore one of the agent's snapshots", ArgsUsage: "AGENT SNAPSHOT", Flags: agentFlags, Action: agentRecover},
			{Name: "terminate", Usage: "stop an agent for good and delete its state", ArgsUsage: "AGENT", Flags: agentFlags, Action: agentTerminate},
			{Name: "list", Usage: "list agents", Flags: agentFlags, Action: agentList},
			{
				Name:      "inspect",
				Usage:     "show an agent, its snapshots and recent operations",
				ArgsUsage: "AGENT",
				Flags:     append([]cli.Flag{&cli.IntFlag{Name: "records", Value: 10, Usage: "number of recent operation records"}}, agentFlags...),
				Action:    agentInspect,
			},
			agentProveCommand(agentFlags), // agent_prove_cmds.go
			agentProofsCommand(agentFlags),
		},
	}
	acceptGlobalFlags(cmd)
	register(cmd)
}

var agentSpawn = kernelAction(nil, func(c *cli.Context, k *kernel.Kernel, _ []string) error {
	id, err := k.Spawn(kernel.Constraints{
		MemoryPages: uint32(c.Uint("memory-pages")),
		StateBytes:  c.Int64("state-bytes"),
		Deadline:    c.Duration("deadline"),
		FuelPerCall: c.Uint64("fuel"),
	})
	if err != nil {
		return err
	}
	a, err := k.Inspect(id)
	if err != nil {
		return err
	}
	return emit(c, a, func(w io.Writer) error {
		cs := a.Constraints
		_, err := fmt.Fprintf(w, "spawned %s (memory %d pages, state %d bytes, deadline %s, fuel %d per call)\n", id, cs.MemoryPages, cs.StateBytes, cs.Deadline, cs.FuelPerCall)
		return err
	})
})

var agentAttach = kernelAction([]string{"AGENT", "PLUGIN"}, func(c *cli.Context, k *kernel.Kernel, args []string) error {
	id := kernel.AgentID(args[0])
	if err := k.AttachPlugin(c.Context, id, args[1]); err != nil {
		return err
	}
	a, err := k.Inspect(id)
	if err != nil {
		return err
	}
	return emit(c, a, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "attached %s to %s\n", args[1], id)
		return err
	})
})

func execInput(c *cli.Context) ([]byte, error) {
	switch {
	case c.IsSet("input-hex"):
		return hex.DecodeString(c.String("input-hex"))
	case c.IsSet("input-file"):
		return os.ReadFile(c.String("input-file"))
	}
	return []byte(c.String("input")), nil
}

type execOut struct {
	Agent      kernel.AgentID `json:"agent"`
	Method     string         `json:"method"`
	Output     string         `json:"output"` // text when valid UTF-8
	OutputHex  string         `json:"output_hex"`
	Log        []string       `json:"log,omitempty"`
	Seq        uint64         `json:"seq"`
	StateRoot  kernel.Digest  `json:"state_root"`
	FuelUsed   uint64         `json:"fuel_used"`
	PluginHash kernel.Digest  `json:"plugin"`
}

func agentExec(c *cli.Context) error {
	args, err := exactArgs(c, "AGENT", "METHOD")
	if err != nil {
		return err
	}
	in, err := execInput(c)
	if err != nil {
		return err
	}
	k, done, err := openKernel(c)
	if err != nil {
		return err
	}
	defer done()
	ctx := c.Context
	if id := c.String("agreement"); id != "" {
		ctx = kernel.WithAgreement(ctx, id)
	}
	r, err := k.ExecuteDetailed(ctx, kernel.AgentID(args[0]), args[1], in)
	if err != nil {
		return err
	}
	out := execOut{Agent: kernel.AgentID(args[0]), Method: args[1], OutputHex: hex.EncodeToString(r.Output), Log: r.Log,
		Seq: r.Record.Seq, StateRoot: r.Record.StateRootAfter, FuelUsed: r.Record.FuelUsed, PluginHash: r.Record.Plugin}
	if utf8.Valid(r.Output) {
		out.Output = string(r.Output)
	}
	return emit(c, out, func(w io.Writer) error {
		shown := out.Output
		if !utf8.Valid(r.Output) {
			shown = "0x" + out.OutputHex
		}
		fmt.Fprintf(w, "%s\n", shown)
		for _, l := range r.Log {
			fmt.Fprintf(w, "  log: %s\n", l)
		}
		fmt.Fprintf(w, "  op #%d, state root %s\n", out.Seq, out.StateRoot)
		return nil
	})
}

var agentSnapshot = kernelAction([]string{"AGENT"}, func(c *cli.Context, k *kernel.Kernel, args []string) error {
	id := kernel.AgentID(args[0])
	sid, err := k.Snapshot(id)
	if err != nil {
		return err
	}
	a, err := k.Inspect(id)
	if err != nil {
		return err
	}
	res := map[string]any{"agent": id, "snapshot": sid, "state_root": a.StateRoot}
	return emit(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "snapshot %s of %s (state root %s)\n", sid, id, a.StateRoot)
		return err
	})
})

var agentRecover = kernelAction([]string{"AGENT", "SNAPSHOT"}, func(c *cli.Context, k *kernel.Kernel, args []string) error {
	id := kernel.AgentID(args[0])
	if err := k.Recover(id, kernel.SnapshotID(args[1])); err != nil {
		return err
	}
	a, err := k.Inspect(id)
	if err != nil {
		return err
	}
	return emit(c, a, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "recovered %s from snapshot %s (state root %s)\n", id, args[1], a.StateRoot)
		return err
	})
})

var agentTerminate = kernelAction([]string{"AGENT"}, func(c *cli.Context, k *kernel.Kernel, args []string) error {
	id := kernel.AgentID(args[0])
	if err := k.Terminate(id); err != nil {
		return err
	}
	a, err := k.Inspect(id)
	if err != nil {
		return err
	}
	return emit(c, a, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "terminated %s\n", id)
		return err
	})
})

var agentList = kernelAction(nil, func(c *cli.Context, k *kernel.Kernel, _ []string) error {
	list, err := k.ListAgents()
	if err != nil {
		return err
	}
	if list == nil {
		list = []kernel.AgentInfo{}
	}
	return emit(c, list, func(w io.Writer) error {
		if len(list) == 0 {
			fmt.Fprintln(w, "no agents")
		}
		for _, a := range list {
			fmt.Fprintf(w, "%-12s %-10s plugins %d  executes %-6d state %d keys, %d bytes, root %s\n",
				a.ID, a.Status, len(a.Plugins), a.Executes, a.StateKeys, a.StateBytes, a.StateRoot.String()[:16])
		}
		return nil
	})
})

type inspectOut struct {
	kernel.AgentInfo
	Snapshots []kernel.SnapshotInfo `json:"snapshots"`
	Records   []kernel.OpRecord     `json:"records"`
	Usage     *resource.Usage       `json:"usage,omitempty"` // security_cmds.go
}

var agentInspect = kernelAction([]string{"AGENT"}, func(c *cli.Context, k *kernel.Kernel, args []string) error {
	id := kernel.AgentID(args[0])
	a, err := k.Inspect(id)
	if err != nil {
		return err
	}
	snaps, err := k.Snapshots(id)
	if err != nil {
		return err
	}
	recs, err := k.Records(id, c.Int("records"))
	if err != nil {
		return err
	}
	out := inspectOut{AgentInfo: *a, Snapshots: snaps, Records: recs, Usage: agentUsage(string(id))}
	if out.Snapshots == nil {
		out.Snapshots = []kernel.SnapshotInfo{}
	}
	return emit(c, out, func(w io.Writer) error {
		cs := a.Constraints
		fmt.Fprintf(w, "%s (%s)\n  constraints: memory %d pages, state %d bytes, deadline %s, fuel %d per call\n", a.ID, a.Status, cs.MemoryPages, cs.StateBytes, cs.Deadline, cs.FuelPerCall)
		fmt.Fprintf(w, "  state: %d keys, %d bytes, root %s\n  executes: %d\n", a.StateKeys, a.StateBytes, a.StateRoot, a.Executes)
		if u := out.Usage; u != nil {
			fmt.Fprintf(w, "  usage: %d calls, %d fuel, %d failed (%d out of fuel)\n", u.Calls, u.Fuel, u.Failed, u.Exhausted)
		}
		for _, d := range a.Plugins {
			name := d.String()
			for _, p := range mustPlugins(k) {
				if p.Digest == d {
					name = p.Name + "@" + p.Version + " " + d.String()[:16]
				}
			}
			fmt.Fprintf(w, "  plugin: %s\n", name)
		}
		for _, s := range snaps {
			fmt.Fprintf(w, "  snapshot: %s (op #%d, root %s)\n", s.ID, s.Seq, s.StateRoot.String()[:16])
		}
		fmt.Fprintf(w, "  recent operations:\n")
		for _, r := range recs {
			fmt.Fprintf(w, "    #%-5d %-9s", r.Seq, r.Kind)
			if r.Method != "" {
				fmt.Fprintf(w, " %s", r.Method)
			}
			if r.Snapshot != "" {
				fmt.Fprintf(w, " snapshot %s", string(r.Snapshot)[:16])
			}
			if !r.StateRootAfter.IsZero() {
				fmt.Fprintf(w, " root %s", r.StateRootAfter.String()[:16])
			}
			if r.FuelUsed > 0 {
				fmt.Fprintf(w, " fuel %d", r.FuelUsed)
			}
			fmt.Fprintln(w)
		}
		return nil
	})
})

func mustPlugins(k *kernel.Kernel) []kernel.PluginInfo {
	l, _ := k.ListPlugins()
	return l
}
