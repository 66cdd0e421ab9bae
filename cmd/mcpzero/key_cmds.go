package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/internal/keys"
)

func init() {
	cmd := &cli.Command{
		Name:  "key",
		Usage: "manage ed25519 signing keys",
		Subcommands: []*cli.Command{{
			Name:  "generate",
			Usage: "generate a key pair: NAME.key (private, mode 0600) and NAME.pub; the public key is trusted by this data directory",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "name", Value: "operator", Usage: "file name of the key pair"},
				&cli.StringFlag{Name: "out", Usage: "write the pair to `DIR` instead of DATA-DIR/keys (then it is not trusted automatically)"},
			},
			Action: keyGenerate,
		}},
	}
	acceptGlobalFlags(cmd)
	register(cmd)
}

type keyOut struct {
	KeyID   string `json:"key_id"`
	Private string `json:"private_key_file"`
	Public  string `json:"public_key_file"`
	Trusted bool   `json:"trusted"`
}

func keyGenerate(c *cli.Context) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	dir := c.String("out")
	trusted := dir == ""
	if trusted {
		dir = keysDir(c.String("data-dir"))
	}
	pub, priv, err := keys.Generate(nil)
	if err != nil {
		return err
	}
	out := keyOut{
		KeyID:   keys.ID(pub),
		Private: filepath.Join(dir, c.String("name")+".key"),
		Public:  filepath.Join(dir, c.String("name")+".pub"),
		Trusted: trusted,
	}
	if err := keys.SavePrivate(out.Private, priv); err != nil {
		return err
	}
	if err := keys.SavePublic(out.Public, pub); err != nil {
		return err
	}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "generated key %s\n  private: %s (mode 0600, keep it secret)\n  public:  %s\n", out.KeyID, out.Private, out.Public)
		if trusted {
			fmt.Fprintf(w, "  plugins signed with it are trusted by %s\n", c.String("data-dir"))
		}
		return nil
	})
}
