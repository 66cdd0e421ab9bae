package main

import "github.com/mcpzero/mcpzero/internal/auditlog/auditcli"

// `mcpzero-verify audit op.audit --key kernel.pub`: the offline check of an
// operation-log export (docs/AUDIT.md). Links auditlog and verifier only.
func init() {
	register(auditcli.Command("audit", "verify an operation-log export (.audit) offline against the kernel's pinned key"))
}
