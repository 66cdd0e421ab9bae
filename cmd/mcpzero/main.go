// Command mcpzero is the operator's interface to the mcpzero kernel, the
// tracer, the prover and the verifier.
//
// Subcommands are defined in files of their own (one per area) and added to
// the application with register from an init function, so that each area
// owns its file.
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/urfave/cli/v2"
)

// commands collects the subcommands registered by the files of this package.
var commands []*cli.Command

// register adds top-level subcommands; call it from an init function.
func register(cmds ...*cli.Command) { commands = append(commands, cmds...) }

// Global flags shared by every subcommand.
var (
	flagJSON = &cli.BoolFlag{
		Name:  "json",
		Usage: "print machine-readable JSON instead of human output",
	}
	flagDataDir = &cli.StringFlag{
		Name:    "data-dir",
		Usage:   "kernel data directory (LevelDB store, keys)",
		EnvVars: []string{"MCPZERO_DATA_DIR"},
		Value:   defaultDataDir(),
	}
)

func defaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return d + "/mcpzero"
	}
	return ".mcpzero"
}

func newApp() *cli.App {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	return &cli.App{
		Name:                 "mcpzero",
		Usage:                "a verifiable-computation kernel: run WebAssembly, prove it, verify it offline",
		Flags:                []cli.Flag{flagJSON, flagDataDir},
		Commands:             commands,
		EnableBashCompletion: true,
		// Errors are printed once, by main, as one line.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "mcpzero: %v\n", err)
		code := 1
		if ec, ok := err.(cli.ExitCoder); ok && ec.ExitCode() != 0 {
			code = ec.ExitCode()
		}
		os.Exit(code)
	}
}
