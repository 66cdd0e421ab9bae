package auditlog

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoForbiddenImports enforces the package's promise: the pure log and
// the offline check the auditor's binary links never depend on the store,
// the kernel or the prover.
func TestNoForbiddenImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	for _, pkg := range []string{".", "./auditcli"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		const mod = "github.com/mcpzero/mcpzero/"
		for _, dep := range strings.Fields(string(out)) {
			for _, bad := range []string{"kernel", "prover", "internal/store", "plugins", "internal/auditlog/storelog", "internal/auditlog/kernellog"} {
				if dep == mod+bad || strings.HasPrefix(dep, mod+bad+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
