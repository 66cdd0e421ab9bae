// Command mcpzero-verify is the auditor's verifier: it checks proof bundles
// and audit-log exports offline with nothing but the file and a pinned key.
// It imports package verifier and never the kernel, the prover or the store.
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/urfave/cli/v2"
)

var commands []*cli.Command

func register(cmds ...*cli.Command) { commands = append(commands, cmds...) }

func main() {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	app := &cli.App{
		Name:           "mcpzero-verify",
		Usage:          "verify mcpzero proof bundles and audit exports offline",
		Flags:          []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "machine-readable output"}},
		Commands:       commands,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "mcpzero-verify: %v\n", err)
		os.Exit(1)
	}
}
