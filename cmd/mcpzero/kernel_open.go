package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// Layout of the data directory.
func storeDir(dataDir string) string { return filepath.Join(dataDir, "store") }
func cacheDir(dataDir string) string { return filepath.Join(dataDir, "cache") }
func keysDir(dataDir string) string  { return filepath.Join(dataDir, "keys") }

var (
	kernelEngineFlag = &cli.StringFlag{
		Name:  "engine",
		Usage: "wazero engine: compiler or interpreter (results are identical)",
		Value: "compiler",
	}
	trustKeyFlag = &cli.StringSliceFlag{
		Name:  "trust",
		Usage: "also trust the public key in this `FILE.pub` (repeatable); keys in DATA-DIR/keys are always trusted",
	}
	insecureSkipVerifyFlag = &cli.BoolFlag{
		Name:  "insecure-skip-verify",
		Usage: "DANGEROUS: install plugins without checking their signature",
	}
)

// trustedKeys are the public keys in DATA-DIR/keys plus --trust files.
func trustedKeys(c *cli.Context) (plugins.KeySet, error) {
	set, err := keys.LoadPublicDir(keysDir(c.String("data-dir")))
	if err != nil {
		return nil, err
	}
	for _, f := range c.StringSlice("trust") {
		pub, err := keys.LoadPublic(f)
		if err != nil {
			return nil, err
		}
		set[keys.ID(pub)] = pub
	}
	return plugins.KeySet(set), nil
}

// openKernel opens the store in the data directory and a kernel on it. The
// returned function closes both.
func openKernel(c *cli.Context) (*kernel.Kernel, func(), error) {
	dir := c.String("data-dir")
	engine, err := plugins.ParseEngine(c.String("engine"))
	if err != nil {
		return nil, nil, err
	}
	ks, err := trustedKeys(c)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(storeDir(dir))
	if err != nil {
		return nil, nil, err
	}
	// Operation log (audit_cmds.go): each operation's entry and checkpoint
	// are written in the operation's own batch.
	ws, err := auditStore(dir, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	opts := []kernel.Option{
		auditKernelOption(),
		kernel.WithEngine(engine),
		kernel.WithCompilationCache(cacheDir(dir)),
		kernel.WithTrustedKeys(ks),
	}
	if c.Bool("insecure-skip-verify") {
		fmt.Fprintln(os.Stderr, "WARNING: --insecure-skip-verify: plugin signatures are NOT checked; never use this in production")
		opts = append(opts, kernel.WithInsecureSkipVerify())
	}
	// Security manager and resource allocator (security_cmds.go).
	sec, secOpts, err := openKernelSecurity(ws)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	opts = append(opts, secOpts...)
	k, err := kernel.Open(ws, opts...)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	sec.k = k
	return k, func() { k.Close(); st.Close() }, nil
}

// kernelAction is the action of a command that works on the kernel: it
// checks the positional arguments (named by names, for the usage error),
// opens the kernel and closes it when fn returns.
func kernelAction(names []string, fn func(c *cli.Context, k *kernel.Kernel, args []string) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		args, err := exactArgs(c, names...)
		if err != nil {
			return err
		}
		k, done, err := openKernel(c)
		if err != nil {
			return err
		}
		defer done()
		return fn(c, k, args)
	}
}
