package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/verifier/verifycli"
)

// positional returns the command's positional arguments, applying any of the
// command's (or the app's) flags that follow them: urfave/cli v2 stops
// parsing flags at the first positional argument, and the documented usage
// puts flags after it (`mcpzero run FILE.wasm --func add --args 27,3`).
func positional(c *cli.Context) ([]string, error) {
	pos, err := verifycli.Interspersed(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Command.FullName(), err)
	}
	return pos, nil
}

// exactArgs returns the positional arguments, which must be as many as names.
func exactArgs(c *cli.Context, names ...string) ([]string, error) {
	pos, err := positional(c)
	if err != nil {
		return nil, err
	}
	if len(pos) != len(names) {
		return nil, fmt.Errorf("%s: want %s, got %d arguments", c.Command.FullName(), strings.Join(names, " "), len(pos))
	}
	return pos, nil
}

// acceptGlobalFlags lets the kernel's leaf commands take --json and
// --data-dir after the command name too (`mcpzero agent list --json`):
// urfave/cli v2 parses a command's flags only. Each leaf gets hidden copies
// of the two flags; Before reconciles them with the global ones, so that
// c.Bool("json") and c.String("data-dir") (which find the nearest
// definition) see whichever the user set.
func acceptGlobalFlags(cmds ...*cli.Command) {
	for _, cmd := range cmds {
		if len(cmd.Subcommands) > 0 {
			acceptGlobalFlags(cmd.Subcommands...)
			continue
		}
		cmd.Flags = append(cmd.Flags,
			&cli.BoolFlag{Name: "json", Hidden: true},
			&cli.StringFlag{Name: "data-dir", Hidden: true},
		)
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			// The parent's lookups walk up to the app's global flags.
			parent := c.Lineage()[1]
			if !c.IsSet("json") && parent.Bool("json") {
				c.Set("json", "true")
			}
			if !c.IsSet("data-dir") {
				dir := parent.String("data-dir")
				if dir == "" {
					return fmt.Errorf("%s: no data directory (--data-dir)", c.Command.FullName())
				}
				c.Set("data-dir", dir)
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
}
