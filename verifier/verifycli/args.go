package verifycli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// Interspersed lets flags follow positional arguments, as in
// `verify run.proof --vk keys.vks`: urfave/cli v2 stops parsing flags at the
// first positional argument. It applies the flags it finds among c.Args()
// (the command's own or the app's global ones) and returns the positional
// arguments. "--" ends flag parsing; "-" (stdin) and negative numbers such
// as "-5" are positional.
func Interspersed(c *cli.Context) ([]string, error) {
	var pos []string
	args := c.Args().Slice()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' || (a[1] >= '0' && a[1] <= '9') {
			pos = append(pos, a) // "-" (stdin) and negative numbers are positional
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := findFlag(c, name)
		if f == nil {
			return nil, fmt.Errorf("flag provided but not defined: %s", a)
		}
		if _, isBool := f.(*cli.BoolFlag); isBool {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			value = args[i]
		}
		if err := c.Set(name, value); err != nil {
			return nil, fmt.Errorf("flag %s: %v", a, err)
		}
	}
	return pos, nil
}

func findFlag(c *cli.Context, name string) cli.Flag {
	var sets [][]cli.Flag
	if c.Command != nil {
		sets = append(sets, c.Command.Flags)
	}
	if c.App != nil {
		sets = append(sets, c.App.Flags)
	}
	for _, fs := range sets {
		for _, f := range fs {
			for _, n := range f.Names() {
				if n == name {
					return f
				}
			}
		}
	}
	return nil
}
