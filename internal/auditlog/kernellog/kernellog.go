package kernellog

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/kernel/security"
)

// FromOp is the log entry of a kernel operation record.
func FromOp(rec *kernel.OpRecord) auditlog.Entry {
	e := auditlog.Entry{
		Seq: rec.Seq, Kind: auditlog.Kind(rec.Kind), Agent: string(rec.Agent),
		Plugin: auditlog.Digest(rec.Plugin), Method: rec.Method,
		Input: auditlog.Digest(rec.Input), Output: auditlog.Digest(rec.Output),
		StateBefore: auditlog.Digest(rec.StateRootBefore), StateAfter: auditlog.Digest(rec.StateRootAfter),
		Fuel: rec.FuelUsed, Ref: rec.Proves,
	}
	var detail []string
	if rec.Snapshot != "" {
		detail = append(detail, "snapshot="+string(rec.Snapshot))
	}
	if rec.ProofLink != "" {
		if d, err := auditlog.ParseDigest(rec.ProofLink); err == nil {
			e.Proof = d
		} else {
			detail = append(detail, "proof_link="+rec.ProofLink)
		}
	}
	e.Detail = strings.Join(detail, " ")
	return e
}

// Hook is the kernel commit hook that stages each operation's entry, and
// for an execute charged to a usage agreement (kernel.WithAgreement) the
// agreement-usage entry after it, in the same batch: the usage the security
// manager records there is logged atomically with the execute it paid for.
// The operation's entry is staged first, so it is the one its sequence
// number indexes.
func Hook() kernel.CommitHook {
	return kernel.CommitHookFunc(func(b *store.Batch, rec *kernel.OpRecord) error {
		if err := storelog.Stage(b, FromOp(rec)); err != nil {
			return err
		}
		if rec.Kind == kernel.OpExecute && rec.Agreement != "" {
			return StageAgreementUse(b, rec, rec.Agreement, security.KindAgent+":"+string(rec.Agent), rec.Method, rec.FuelUsed)
		}
		return nil
	})
}

// FromChange is the log entry of a security change: its kind, the kernel
// logical time it happened at, the agent and resource (as the method), the
// SHA-256 of the change's JSON as the input digest (an auditor holding the
// signed grant or agreement can match it), and its non-secret fields as
// detail. The randomness seed is never logged, only that it was created.
func FromChange(c *security.Change) (auditlog.Entry, error) {
	j, err := json.Marshal(c)
	if err != nil {
		return auditlog.Entry{}, err
	}
	e := auditlog.Entry{Seq: c.Time, Kind: auditlog.Kind(c.Kind), Agent: c.Agent, Method: c.Resource, Input: auditlog.SHA256(j)}
	switch c.Kind {
	case security.ChangeGrant:
		e.Kind = auditlog.KindGrant
	case security.ChangeRevoke:
		e.Kind = auditlog.KindRevoke
	}
	var detail []string
	add := func(k, v string) {
		if v != "" {
			detail = append(detail, k+"="+v)
		}
	}
	add("key", c.Key)
	add("agreement", c.Agreement)
	add("ops", strings.Join(c.Ops, ","))
	var roles []string
	for _, r := range c.Roles {
		roles = append(roles, string(r))
	}
	add("roles", strings.Join(roles, ","))
	add("signer", c.Signer)
	e.Detail = strings.Join(detail, " ")
	return e, nil
}

// SecurityHook is the security manager's commit hook that stages each
// change's entry.
func SecurityHook() security.CommitHook {
	return func(b *store.Batch, c *security.Change) error {
		e, err := FromChange(c)
		if err != nil {
			return err
		}
		return storelog.Stage(b, e)
	}
}

// StageAgreementUse stages the entry of one agreement's usage by an
// execute, in that execute's batch (the security manager's RecordUsage
// writes the usage into the same batch).
func StageAgreementUse(b *store.Batch, rec *kernel.OpRecord, agreement, resource, operation string, fuel uint64) error {
	return storelog.Stage(b, auditlog.Entry{
		Seq: rec.Seq, Kind: auditlog.KindAgreementUse, Agent: string(rec.Agent), Plugin: auditlog.Digest(rec.Plugin),
		Method: resource, Fuel: fuel, Ref: rec.Seq, Detail: "agreement=" + agreement + " op=" + operation,
	})
}

// Key files of the kernel's checkpoint key in the data directory.
const (
	// PrivateKeyFile is the kernel's ed25519 signing key (internal/keys
	// format, mode 0600).
	PrivateKeyFile = "kernel.key"
	// PublicKeyFile is the key auditors pin: the note verifier key text.
	PublicKeyFile = "kernel.pub"
)

// LoadOrCreateKey loads the kernel's checkpoint key from dir, creating it
// (and the verifier key file beside it) the first time.
func LoadOrCreateKey(dir string) (note.Signer, string, error) {
	path := filepath.Join(dir, PrivateKeyFile)
	priv, err := keys.LoadPrivate(path)
	if errors.Is(err, os.ErrNotExist) {
		_, p, gerr := keys.Generate(nil)
		if gerr != nil {
			return nil, "", gerr
		}
		if err := keys.SavePrivate(path, p); err != nil && !errors.Is(err, keys.ErrExists) {
			return nil, "", err
		}
		priv, err = keys.LoadPrivate(path)
	}
	if err != nil {
		return nil, "", err
	}
	pub := priv.Public().(ed25519.PublicKey)
	origin := auditlog.Origin(pub)
	signer, err := auditlog.NewSigner(origin, priv)
	if err != nil {
		return nil, "", err
	}
	vkey, err := auditlog.VerifierKey(origin, pub)
	if err != nil {
		return nil, "", err
	}
	pubPath := filepath.Join(dir, PublicKeyFile)
	have, err := os.ReadFile(pubPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.WriteFile(pubPath, []byte(vkey+"\n"), 0o644); err != nil {
			return nil, "", fmt.Errorf("kernellog: write %s: %w", pubPath, err)
		}
	case err != nil:
		return nil, "", fmt.Errorf("kernellog: %w", err)
	case strings.TrimSpace(string(have)) != vkey:
		// Auditors pin this file: never let it and the signing key drift
		// apart silently.
		return nil, "", fmt.Errorf("%w: %s is not the verifier key of %s (it names %q, the key is %q); restore the matching key, or remove %s to publish the new one",
			auditlog.ErrBadKey, pubPath, path, strings.TrimSpace(string(have)), vkey, pubPath)
	}
	return signer, vkey, nil
}

// ReadVerifierKey reads an auditor's key file (see auditlog.ParseVerifierKey).
func ReadVerifierKey(path string) (note.Verifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := auditlog.ParseVerifierKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
