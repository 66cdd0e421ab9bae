package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// emit prints v as indented JSON when --json is set, and otherwise calls
// human to write the human-readable form. Every subcommand reports through
// it so that the two forms never drift apart.
func emit(c *cli.Context, v any, human func(w io.Writer) error) error {
	w := c.App.Writer
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return human(w)
}

// printf writes to the app's writer, ignoring write errors on the terminal.
func printf(c *cli.Context, format string, args ...any) {
	fmt.Fprintf(c.App.Writer, format, args...)
}
