package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

func init() {
	signedFlag := &cli.StringFlag{Name: "manifest", Aliases: []string{"m"}, Usage: "signed manifest `FILE` (default: FILE.wasm's name with .signed.json)"}
	cmd := &cli.Command{
		Name:  "plugin",
		Usage: "sign, verify, install, list and remove plugins",
		Subcommands: []*cli.Command{
			{
				Name:      "sign",
				Usage:     "sign a plugin: fill the manifest's wasm_sha256 and write the signed manifest",
				ArgsUsage: "FILE.wasm",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "private key `FILE` (required)"},
					&cli.StringFlag{Name: "manifest", Aliases: []string{"m"}, Usage: "manifest `FILE` (default: manifest.json beside the wasm)"},
					&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "signed manifest `FILE` to write (default: FILE.wasm's name with .signed.json)"},
				},
				Action: pluginSign,
			},
			{
				Name:      "verify",
				Usage:     "check a plugin's signature against the trusted keys",
				ArgsUsage: "FILE.wasm",
				Flags:     []cli.Flag{signedFlag, trustKeyFlag},
				Action:    pluginVerify,
			},
			{
				Name:      "install",
				Usage:     "verify and install a plugin into the kernel",
				ArgsUsage: "FILE.wasm",
				Flags:     []cli.Flag{signedFlag, trustKeyFlag, insecureSkipVerifyFlag},
				Action:    pluginInstall,
			},
			{
				Name:   "list",
				Usage:  "list installed plugins",
				Action: pluginList,
			},
			{
				Name:      "remove",
				Usage:     "uninstall a plugin no running agent uses",
				ArgsUsage: "NAME|NAME@VERSION|DIGEST",
				Action:    pluginRemove,
			},
		},
	}
	acceptGlobalFlags(cmd)
	register(cmd)
}

func pluginOneArg(c *cli.Context, what string) (string, error) {
	pos, err := exactArgs(c, what)
	if err != nil {
		return "", err
	}
	return pos[0], nil
}

func signedPath(c *cli.Context, wasmPath string) string {
	if m := c.String("manifest"); m != "" {
		return m
	}
	return strings.TrimSuffix(wasmPath, ".wasm") + ".signed.json"
}

func readPlugin(c *cli.Context) (string, *plugins.Signed, []byte, error) {
	wasmPath, err := pluginOneArg(c, "FILE.wasm")
	if err != nil {
		return "", nil, nil, err
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return "", nil, nil, err
	}
	mpath := signedPath(c, wasmPath)
	data, err := os.ReadFile(mpath)
	if err != nil {
		return "", nil, nil, err
	}
	s, err := plugins.ParseSigned(data)
	if err != nil {
		return "", nil, nil, fmt.Errorf("%s: %w", mpath, err)
	}
	return wasmPath, s, wasm, nil
}

func pluginSign(c *cli.Context) error {
	wasmPath, err := pluginOneArg(c, "FILE.wasm")
	if err != nil {
		return err
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return err
	}
	mpath := c.String("manifest")
	if mpath == "" {
		mpath = filepath.Join(filepath.Dir(wasmPath), "manifest.json")
	}
	data, err := os.ReadFile(mpath)
	if err != nil {
		return err
	}
	m, err := plugins.ParseManifest(data)
	if err != nil {
		return fmt.Errorf("%s: %w", mpath, err)
	}
	if c.String("key") == "" {
		return fmt.Errorf("plugin sign: --key FILE is required")
	}
	priv, err := keys.LoadPrivate(c.String("key"))
	if err != nil {
		return err
	}
	s, err := plugins.Sign(*m, wasm, priv)
	if err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		out = strings.TrimSuffix(wasmPath, ".wasm") + ".signed.json"
	}
	if err := os.WriteFile(out, s.Marshal(), 0o644); err != nil {
		return err
	}
	res := map[string]any{"plugin": s.Manifest.ID(), "wasm_sha256": s.Manifest.WasmSHA256, "key_id": s.Signature.KeyID, "signed_manifest": out}
	return emit(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "signed %s (wasm sha256 %s) with key %s\n  wrote %s\n", s.Manifest.ID(), s.Manifest.WasmSHA256[:16], s.Signature.KeyID, out)
		return err
	})
}

func pluginVerify(c *cli.Context) error {
	_, s, wasm, err := readPlugin(c)
	if err != nil {
		return err
	}
	ks, err := trustedKeys(c)
	if err != nil {
		return err
	}
	if err := plugins.Verify(s, wasm, ks); err != nil {
		return err
	}
	res := map[string]any{"plugin": s.Manifest.ID(), "valid": true, "key_id": s.Signature.KeyID, "wasm_sha256": s.Manifest.WasmSHA256}
	return emit(c, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s: signature OK (key %s, wasm sha256 %s)\n", s.Manifest.ID(), s.Signature.KeyID, s.Manifest.WasmSHA256[:16])
		return err
	})
}

func pluginInstall(c *cli.Context) error {
	_, s, wasm, err := readPlugin(c)
	if err != nil {
		return err
	}
	k, done, err := openKernel(c)
	if err != nil {
		return err
	}
	defer done()
	p, err := k.InstallPlugin(c.Context, s, wasm)
	if err != nil {
		return err
	}
	return emit(c, p, func(w io.Writer) error {
		signer := "key " + p.KeyID
		if p.Unsigned {
			signer = "UNVERIFIED"
		}
		_, err := fmt.Fprintf(w, "installed %s@%s (%s, %s)\n  digest %s\n  methods: %s\n", p.Name, p.Version, signer, pluginByteSize(p.Size), p.Digest, strings.Join(p.Methods, ", "))
		return err
	})
}

func pluginByteSize(n int) string {
	if n < 10*1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}

var pluginList = kernelAction(nil, func(c *cli.Context, k *kernel.Kernel, _ []string) error {
	list, err := k.ListPlugins()
	if err != nil {
		return err
	}
	if list == nil {
		list = []kernel.PluginInfo{}
	}
	return emit(c, list, func(w io.Writer) error {
		if len(list) == 0 {
			fmt.Fprintln(w, "no plugins installed")
		}
		for _, p := range list {
			fmt.Fprintf(w, "%-24s %s  %-9s methods: %s\n", p.Name+"@"+p.Version, p.Digest.String()[:16], pluginByteSize(p.Size), strings.Join(p.Methods, ", "))
		}
		return nil
	})
})

func pluginRemove(c *cli.Context) error {
	ref, err := pluginOneArg(c, "PLUGIN")
	if err != nil {
		return err
	}
	k, done, err := openKernel(c)
	if err != nil {
		return err
	}
	defer done()
	p, err := k.RemovePlugin(ref)
	if err != nil {
		return err
	}
	return emit(c, p, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "removed %s@%s (%s)\n", p.Name, p.Version, p.Digest)
		return err
	})
}
