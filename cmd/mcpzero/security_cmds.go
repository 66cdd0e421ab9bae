package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/kernel/resource"
	"github.com/mcpzero/mcpzero/kernel/security"
)

// Commands of the security manager: key registry (added to the `key`
// command defined in key_cmds.go), grant, revoke and agreement.
func init() {
	keySubs := []*cli.Command{
		{Name: "list", Usage: "list the key registry (key IDs, roles) and the key files of DATA-DIR/keys", Action: keyList},
		{
			Name: "import", Usage: "register a public key with roles (operator signs grants, publisher signs plugins, party signs agreements)",
			ArgsUsage: "FILE.pub",
			Flags:     []cli.Flag{&cli.StringSliceFlag{Name: "role", Usage: "operator, publisher or party (repeatable; required)"}},
			Action:    keyImport,
		},
		{
			Name: "export", Usage: "print (or write) the PEM public key of a registered key", ArgsUsage: "KEY-ID",
			Flags:  []cli.Flag{&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write to `FILE` instead of standard output"}},
			Action: keyExport,
		},
	}
	attached := false
	for _, cmd := range commands {
		if cmd.Name == "key" {
			cmd.Subcommands = append(cmd.Subcommands, keySubs...)
			attached = true
		}
	}
	if !attached {
		register(&cli.Command{Name: "key", Usage: "manage ed25519 keys", Subcommands: keySubs})
	}

	grantFlags := []cli.Flag{
		&cli.StringFlag{Name: "agent", Usage: "the agent the statement is about (required)"},
		&cli.StringFlag{Name: "resource", Aliases: []string{"r"}, Usage: "`KIND:NAME`: cap:clock, cap:random, agent:ID, plugin:NAME, net:HOST, fs:DIR (ops read, or write for read-write; made absolute), state:PREFIX (a trailing * matches a prefix)"},
		&cli.StringFlag{Name: "ops", Usage: "comma-separated operations, e.g. read,write (* for all)"},
		&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "operator's private key `FILE` (required)"},
	}
	register(
		&cli.Command{
			Name:   "grant",
			Usage:  "grant an agent operations on a resource, signed by an operator key (deny by default); `grant list` lists grants",
			Flags:  grantFlags,
			Action: func(c *cli.Context) error { return grantOrRevoke(c, security.ActionGrant) },
			Subcommands: []*cli.Command{{
				Name: "list", Usage: "list grants", Action: grantList,
				Flags: []cli.Flag{&cli.StringFlag{Name: "agent", Usage: "only this agent's grants"}},
			}},
		},
		&cli.Command{
			Name:   "revoke",
			Usage:  "revoke operations (all when --ops is omitted) an agent was granted on a resource, signed by an operator key",
			Flags:  grantFlags,
			Action: func(c *cli.Context) error { return grantOrRevoke(c, security.ActionRevoke) },
		},
		&cli.Command{
			Name:  "agreement",
			Usage: "signed usage agreements between a consumer and a provider",
			Subcommands: []*cli.Command{
				{
					Name: "create", Usage: "write the unsigned terms of an agreement to a file",
					Flags: []cli.Flag{
						&cli.StringFlag{Name: "consumer", Usage: "consumer's key ID (role party)"},
						&cli.StringFlag{Name: "provider", Usage: "provider's key ID (role party)"},
						&cli.StringFlag{Name: "resource", Aliases: []string{"r"}, Usage: "`KIND:NAME`, e.g. agent:agent-1"},
						&cli.StringFlag{Name: "ops", Usage: "comma-separated operations (methods) covered"},
						&cli.Uint64Flag{Name: "not-before", Usage: "first kernel logical time (operation sequence number) of validity"},
						&cli.Uint64Flag{Name: "not-after", Usage: "last kernel logical time of validity"},
						&cli.StringSliceFlag{Name: "quota", Usage: "`METRIC=N` with METRIC calls, fuel or state_bytes (repeatable)"},
						&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "agreement `FILE` to write (required)"},
					},
					Action: agreementCreate,
				},
				{
					Name: "sign", Usage: "add the consumer's or provider's signature; once both are present, register it in the data directory",
					ArgsUsage: "FILE",
					Flags: []cli.Flag{
						&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "the party's private key `FILE`"},
						&cli.BoolFlag{Name: "no-register", Usage: "only sign the file"},
					},
					Action: agreementSign,
				},
				{
					Name: "verify", Usage: "check an agreement for one operation now: signatures, revocation, window, scope, quota",
					ArgsUsage: "ID|FILE",
					Flags: []cli.Flag{
						&cli.StringFlag{Name: "resource", Aliases: []string{"r"}, Usage: "resource of the operation (default: the agreement's)"},
						&cli.StringFlag{Name: "op", Usage: "operation (default: the agreement's first)"},
						&cli.Uint64Flag{Name: "fuel", Usage: "estimated fuel of the operation"},
					},
					Action: agreementVerify,
				},
				{Name: "show", Usage: "show an agreement's terms, signatures, usage and revocation", ArgsUsage: "ID|FILE", Action: agreementShow},
				{Name: "list", Usage: "list registered agreements", Action: agreementList},
				{
					Name: "revoke", Usage: "revoke an agreement (signed by a party or an operator)", ArgsUsage: "ID|FILE",
					Flags:  []cli.Flag{&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Usage: "private key `FILE` of a party or an operator"}},
					Action: agreementRevoke,
				},
			},
		},
	)
}

// openSecurity opens the store, the kernel (for its logical clock) and the
// security manager on them.
func openSecurity(c *cli.Context) (*security.Manager, *kernel.Kernel, func(), error) {
	st, err := store.Open(storeDir(c.String("data-dir")))
	if err != nil {
		return nil, nil, nil, err
	}
	// Operation log (audit_cmds.go): security changes are logged too.
	ws, err := auditStore(c.String("data-dir"), st)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	k, err := kernel.Open(ws, auditKernelOption())
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	m, err := security.Open(ws, security.WithClock(k.Seq), auditSecurityOption())
	if err != nil {
		k.Close()
		st.Close()
		return nil, nil, nil, err
	}
	return m, k, func() { k.Close(); st.Close() }, nil
}

func loadSigner(path string) (string, []byte, error) {
	if path == "" {
		return "", nil, fmt.Errorf("--key FILE is required")
	}
	priv, err := keys.LoadPrivate(path)
	if err != nil {
		return "", nil, err
	}
	return keys.ID(priv.Public().(ed25519.PublicKey)), priv, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type keyListOut struct {
	Registry []security.KeyEntry `json:"registry"`
	Files    []string            `json:"trusted_files"`
}

func keyList(c *cli.Context) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	out := keyListOut{Registry: m.Keys()}
	files, err := keys.LoadPublicDir(keysDir(c.String("data-dir")))
	if err != nil {
		return err
	}
	for id := range files {
		out.Files = append(out.Files, id)
	}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "%-16s  %-24s  %s\n", "KEY ID", "ROLES", "ADDED AT")
		for _, e := range out.Registry {
			roles := make([]string, len(e.Roles))
			for i, r := range e.Roles {
				roles[i] = string(r)
			}
			fmt.Fprintf(w, "%-16s  %-24s  %d\n", e.ID, strings.Join(roles, ","), e.Added)
		}
		if len(out.Files) > 0 {
			fmt.Fprintf(w, "trusted plugin keys in %s: %s\n", keysDir(c.String("data-dir")), strings.Join(out.Files, ", "))
		}
		return nil
	})
}

func keyImport(c *cli.Context) error {
	args, err := exactArgs(c, "FILE.pub")
	if err != nil {
		return err
	}
	var roles []security.Role
	for _, r := range c.StringSlice("role") {
		for _, s := range splitList(r) {
			role, err := security.ParseRole(s)
			if err != nil {
				return err
			}
			roles = append(roles, role)
		}
	}
	if len(roles) == 0 {
		return fmt.Errorf("key import: --role operator|publisher|party is required")
	}
	pub, err := keys.LoadPublic(args[0])
	if err != nil {
		return err
	}
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	e, err := m.AddKey(pub, roles...)
	if err != nil {
		return err
	}
	return emit(c, e, func(w io.Writer) error {
		fmt.Fprintf(w, "registered key %s with roles %v\n", e.ID, e.Roles)
		return nil
	})
}

func keyExport(c *cli.Context) error {
	args, err := exactArgs(c, "KEY-ID")
	if err != nil {
		return err
	}
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	e, err := m.Key(args[0])
	if err != nil {
		return err
	}
	pem := keys.EncodePublic(e.PublicKey)
	if out := c.String("out"); out != "" {
		if err := keys.SavePublic(out, e.PublicKey); err != nil {
			return err
		}
		return emit(c, map[string]string{"key_id": e.ID, "file": out}, func(w io.Writer) error {
			fmt.Fprintf(w, "wrote %s\n", out)
			return nil
		})
	}
	return emit(c, map[string]string{"key_id": e.ID, "public_key_pem": string(pem)}, func(w io.Writer) error {
		_, err := w.Write(pem)
		return err
	})
}

func grantOrRevoke(c *cli.Context, action string) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	keyID, priv, err := loadSigner(c.String("key"))
	if err != nil {
		return err
	}
	resource := c.String("resource")
	if dir, ok := strings.CutPrefix(resource, security.KindFS+":"); ok && dir != "" && !strings.HasSuffix(dir, "*") {
		// A directory is granted by its absolute path (the kernel mounts
		// it there).
		if abs, err := filepath.Abs(dir); err == nil {
			resource = security.KindFS + ":" + abs
		}
	}
	st := security.GrantStatement{
		Version: 1, Action: action, Agent: c.String("agent"), Resource: resource,
		Ops: splitList(c.String("ops")), Nonce: security.NewNonce(),
	}
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	g, err := m.Apply(security.SignStatement(st, keyID, priv))
	if err != nil {
		return err
	}
	return emit(c, g, func(w io.Writer) error {
		if len(g.Ops) == 0 {
			fmt.Fprintf(w, "%s now has no grant on %s\n", g.Agent, g.Resource)
		} else {
			fmt.Fprintf(w, "%s may now %s on %s (signed by %s)\n", g.Agent, strings.Join(g.Ops, ","), g.Resource, keyID)
		}
		return nil
	})
}

func grantList(c *cli.Context) error {
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	gs := m.Grants(c.String("agent"))
	return emit(c, gs, func(w io.Writer) error {
		fmt.Fprintf(w, "%-16s  %-32s  %-20s  %s\n", "AGENT", "RESOURCE", "OPS", "SIGNER")
		for _, g := range gs {
			fmt.Fprintf(w, "%-16s  %-32s  %-20s  %s\n", g.Agent, g.Resource, strings.Join(g.Ops, ","), g.Signed.Signer)
		}
		return nil
	})
}

func agreementCreate(c *cli.Context) error {
	if _, err := exactArgs(c); err != nil {
		return err
	}
	if c.String("out") == "" {
		return fmt.Errorf("agreement create: --out FILE is required")
	}
	quotas := map[string]uint64{}
	for _, q := range c.StringSlice("quota") {
		k, v, ok := strings.Cut(q, "=")
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("--quota %q: want METRIC=N", q)
		}
		quotas[strings.TrimSpace(k)] = n
	}
	a, err := security.NewAgreement(security.Terms{
		Consumer: c.String("consumer"), Provider: c.String("provider"), Resource: c.String("resource"),
		Operations: splitList(c.String("ops")), NotBefore: c.Uint64("not-before"), NotAfter: c.Uint64("not-after"),
		Quotas: quotas,
	})
	if err != nil {
		return err
	}
	if err := writeAgreement(c.String("out"), a, false); err != nil {
		return err
	}
	return emit(c, a, func(w io.Writer) error {
		fmt.Fprintf(w, "agreement %s written to %s; both parties sign it with `mcpzero agreement sign`\n", a.ID, c.String("out"))
		return nil
	})
}

func writeAgreement(path string, a *security.Agreement, overwrite bool) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !overwrite {
		flag |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readAgreementFile(path string) (*security.Agreement, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a security.Agreement
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("%s: not an agreement file: %w", path, err)
	}
	if a.ID != a.Terms.ID() {
		return nil, fmt.Errorf("%s: %w: its id %s does not match its terms (%s)", path, security.ErrInvalidArgument, a.ID, a.Terms.ID())
	}
	return &a, nil
}

// agreementRef resolves ID|FILE to an agreement ID.
func agreementRef(ref string) (string, error) {
	if _, err := os.Stat(ref); err == nil {
		a, err := readAgreementFile(ref)
		if err != nil {
			return "", err
		}
		return a.ID, nil
	}
	return ref, nil
}

func agreementSign(c *cli.Context) error {
	args, err := exactArgs(c, "FILE")
	if err != nil {
		return err
	}
	a, err := readAgreementFile(args[0])
	if err != nil {
		return err
	}
	keyID, priv, err := loadSigner(c.String("key"))
	if err != nil {
		return err
	}
	if err := a.Sign(keyID, priv); err != nil {
		return err
	}
	if err := writeAgreement(args[0], a, true); err != nil {
		return err
	}
	complete := len(a.ConsumerSignature) > 0 && len(a.ProviderSignature) > 0
	registered := false
	if complete && !c.Bool("no-register") {
		m, _, done, err := openSecurity(c)
		if err != nil {
			return err
		}
		defer done()
		if err := m.RegisterAgreement(a); err != nil {
			return err
		}
		registered = true
	}
	out := map[string]any{"id": a.ID, "signed_by": keyID, "complete": complete, "registered": registered}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "signed agreement %s with key %s\n", a.ID, keyID)
		if registered {
			fmt.Fprintln(w, "both parties have signed: registered in the data directory")
		}
		return nil
	})
}

func agreementVerify(c *cli.Context) error {
	args, err := exactArgs(c, "ID|FILE")
	if err != nil {
		return err
	}
	id, err := agreementRef(args[0])
	if err != nil {
		return err
	}
	m, k, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	a, _, _, err := m.Agreement(id)
	if err != nil {
		return err
	}
	res, op := c.String("resource"), c.String("op")
	if res == "" {
		res = a.Terms.Resource
	}
	if op == "" && len(a.Terms.Operations) > 0 {
		op = a.Terms.Operations[0]
	}
	if err := m.VerifyAgreement(id, res, op, security.Usage{Calls: 1, Fuel: c.Uint64("fuel")}); err != nil {
		return err
	}
	out := map[string]any{"id": id, "valid": true, "resource": res, "op": op, "time": k.Seq()}
	return emit(c, out, func(w io.Writer) error {
		fmt.Fprintf(w, "agreement %s allows %s on %s at kernel time %d\n", id, op, res, k.Seq())
		return nil
	})
}

type agreementShowOut struct {
	Agreement  *security.Agreement           `json:"agreement"`
	Usage      security.Usage                `json:"usage"`
	Revocation *security.AgreementRevocation `json:"revocation,omitempty"`
	Registered bool                          `json:"registered"`
}

func agreementShow(c *cli.Context) error {
	args, err := exactArgs(c, "ID|FILE")
	if err != nil {
		return err
	}
	var out agreementShowOut
	if _, statErr := os.Stat(args[0]); statErr == nil {
		if out.Agreement, err = readAgreementFile(args[0]); err != nil {
			return err
		}
	}
	id := args[0]
	if out.Agreement != nil {
		id = out.Agreement.ID
	}
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	a, rev, u, err := m.Agreement(id)
	switch {
	case err == nil:
		out.Agreement, out.Revocation, out.Usage, out.Registered = a, rev, u, true
	case errors.Is(err, security.ErrNotFound) && out.Agreement != nil:
	default:
		return err
	}
	return emit(c, out, func(w io.Writer) error {
		t := out.Agreement.Terms
		fmt.Fprintf(w, "agreement %s\n  consumer %s  provider %s\n  resource %s  operations %s\n  valid at kernel times [%d, %d]\n  quotas %v\n",
			out.Agreement.ID, t.Consumer, t.Provider, t.Resource, strings.Join(t.Operations, ","), t.NotBefore, t.NotAfter, t.Quotas)
		fmt.Fprintf(w, "  signed by consumer: %v, provider: %v; registered: %v\n", len(out.Agreement.ConsumerSignature) > 0, len(out.Agreement.ProviderSignature) > 0, out.Registered)
		fmt.Fprintf(w, "  usage: %d calls, %d fuel, %d state bytes\n", out.Usage.Calls, out.Usage.Fuel, out.Usage.StateBytes)
		if out.Revocation != nil {
			fmt.Fprintf(w, "  REVOKED by %s at kernel time %d\n", out.Revocation.Signer, out.Revocation.Time)
		}
		return nil
	})
}

func agreementList(c *cli.Context) error {
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	list, err := m.Agreements()
	if err != nil {
		return err
	}
	return emit(c, list, func(w io.Writer) error {
		for _, a := range list {
			fmt.Fprintf(w, "%s  %s  %s -> %s  [%d, %d]\n", a.ID, a.Terms.Resource, a.Terms.Consumer, a.Terms.Provider, a.Terms.NotBefore, a.Terms.NotAfter)
		}
		return nil
	})
}

func agreementRevoke(c *cli.Context) error {
	args, err := exactArgs(c, "ID|FILE")
	if err != nil {
		return err
	}
	id, err := agreementRef(args[0])
	if err != nil {
		return err
	}
	keyID, priv, err := loadSigner(c.String("key"))
	if err != nil {
		return err
	}
	m, _, done, err := openSecurity(c)
	if err != nil {
		return err
	}
	defer done()
	rev := &security.AgreementRevocation{ID: id, Signer: keyID, Signature: signBytes(priv, security.RevocationBytes(id))}
	if err := m.RevokeAgreement(rev); err != nil {
		return err
	}
	return emit(c, rev, func(w io.Writer) error {
		fmt.Fprintf(w, "revoked agreement %s (signed by %s)\n", id, keyID)
		return nil
	})
}

func signBytes(priv []byte, msg []byte) []byte { return ed25519.Sign(ed25519.PrivateKey(priv), msg) }

// kernelSecurity is the security manager and resource allocator of the
// kernel openKernel opens (one per CLI process).
type kernelSecurity struct {
	sec   *security.Manager
	alloc *resource.Allocator
	k     *kernel.Kernel
}

// openedSecurity is set by openKernelSecurity for the kernel the command
// opened (agent inspect reads usage from it).
var openedSecurity *kernelSecurity

// openKernelSecurity opens the security manager and the allocator on the
// kernel's store and returns the kernel options that install them: the
// capability Authorizer, fuel metering with checkpoints, usage recorded in
// each execute's batch, agreements charged in it, the clock and random host
// capabilities, and the registry's publisher keys as trusted plugin keys. Set ks.k once the kernel is open: it is the logical clock.
func openKernelSecurity(st store.Store) (*kernelSecurity, []kernel.Option, error) {
	ks := &kernelSecurity{}
	sec, err := security.Open(st, security.WithClock(func() uint64 {
		if ks.k == nil {
			return 0
		}
		return ks.k.Seq()
	}), auditSecurityOption())
	if err != nil {
		return nil, nil, err
	}
	ks.sec = sec
	ks.alloc = resource.New(resource.WithStore(st))
	openedSecurity = ks
	return ks, []kernel.Option{
		kernel.WithAuthorizer(&security.Authorizer{M: sec}),
		kernel.WithMeter(resource.NewMeter(kernel.DefaultConstraints.FuelPerCall)),
		kernel.WithCommitHook(ks.alloc.CommitHook()),
		kernel.WithAdmission(sec.Admission(ks.alloc.Admission())),
		kernel.WithCommitHook(sec.CommitHook()),
		kernel.WithHostCapabilities(&security.HostCaps{M: sec}),
		kernel.WithTrustedKeys(sec.PublisherKeys()),
	}, nil
}

// agentUsage is the allocator's usage of agent in the opened kernel.
func agentUsage(agent string) *resource.Usage {
	if openedSecurity == nil {
		return nil
	}
	u, err := openedSecurity.alloc.Usage(agent)
	if err != nil {
		return nil
	}
	return &u
}
