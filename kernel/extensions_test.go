package kernel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// allowAll grants every host call (the capability functions included).
type allowAll struct{ DefaultAuthorizer }

func (allowAll) AuthorizeAttach(*AttachRequest) error                       { return nil }
func (allowAll) AuthorizeHostCall(AgentID, *plugins.Manifest, string) error { return nil }

type fixedCaps struct{}

func (fixedCaps) Now() int64 { return 1234567890 }
func (fixedCaps) RandomStream(agent AgentID, n uint64, method string) io.Reader {
	return bytes.NewReader([]byte{byte(n), 2, 3, 4, 5, 6})
}

// TestHostCapabilities: clock_now and random_get get their values from the
// HostCapabilities hook, and the values are kept in the ExecRecord for
// replay; without the hook the calls trap.
func TestHostCapabilities(t *testing.T) {
	s, w := fixture(t, "caps", "caps", 1, "both")
	k := newKernel(t, store.OpenMemory(), WithAuthorizer(allowAll{}), WithHostCapabilities(fixedCaps{}))
	install(t, k, s, w)
	id, _ := k.Spawn(Constraints{})
	if err := k.AttachPlugin(ctx, id, "caps"); err != nil {
		t.Fatal(err)
	}
	r, err := k.ExecuteDetailed(ctx, id, "both", nil)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint64(r.Output) != 1234567890 || !bytes.Equal(r.Output[8:], []byte{1, 2, 3, 4}) {
		t.Fatalf("output %x", r.Output)
	}
	x, err := k.ExecRecord(r.Record.Seq)
	if err != nil || len(x.Host) != 2 || x.Host[0].Fn != plugins.FnClockNow || !bytes.Equal(x.Host[1].Value, []byte{1, 2, 3, 4}) {
		t.Fatalf("exec record host values %+v %v", x, err)
	}
	// Without the hook, and under the default authorizer.
	k2 := newKernel(t, store.OpenMemory(), WithAuthorizer(allowAll{}))
	install(t, k2, s, w)
	id2, _ := k2.Spawn(Constraints{})
	k2.AttachPlugin(ctx, id2, "caps")
	if _, err := k2.Execute(ctx, id2, "both", nil); !errors.Is(err, plugins.ErrNoEnv) {
		t.Fatalf("no hook: %v", err)
	}
	k3 := newKernel(t, store.OpenMemory(), WithHostCapabilities(fixedCaps{}))
	install(t, k3, s, w)
	id3, _ := k3.Spawn(Constraints{})
	k3.AttachPlugin(ctx, id3, "caps")
	if _, err := k3.Execute(ctx, id3, "both", nil); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("default authorizer: %v", err)
	}
}

// TestHostCapabilitiesRandomOnly covers random_get without the clock and an
// exhausted random stream.
func TestRandomStreamExhausted(t *testing.T) {
	s, w := fixture(t, "caps", "caps", 1, "both")
	k := newKernel(t, store.OpenMemory(), WithAuthorizer(allowAll{}), WithHostCapabilities(shortCaps{}))
	install(t, k, s, w)
	id, _ := k.Spawn(Constraints{})
	k.AttachPlugin(ctx, id, "caps")
	if _, err := k.Execute(ctx, id, "both", nil); !errors.Is(err, ErrPluginFailed) {
		t.Fatalf("short stream: %v", err)
	}
}

type shortCaps struct{ fixedCaps }

func (shortCaps) RandomStream(AgentID, uint64, string) io.Reader { return bytes.NewReader([]byte{1}) }

type admission struct {
	refuse   bool
	released []error
	fuel     []uint64
}

func (a *admission) Admit(_ context.Context, _ AgentID, _ string, _ Constraints) (func(uint64, error), error) {
	if a.refuse {
		return nil, errors.New("worker pool full")
	}
	return func(f uint64, err error) { a.fuel = append(a.fuel, f); a.released = append(a.released, err) }, nil
}

func TestAdmissionAndAgreement(t *testing.T) {
	adm := &admission{}
	k, id := counterAgent(t, store.OpenMemory(), WithAdmission(adm))
	r, err := k.ExecuteDetailed(WithAgreement(ctx, "agr-1"), id, "increment", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Record.Agreement != "agr-1" || AgreementFrom(ctx) != "" {
		t.Fatalf("agreement %q", r.Record.Agreement)
	}
	if _, err := k.Execute(ctx, id, "increment", []byte("x")); !errors.Is(err, ErrPluginFailed) {
		t.Fatal(err)
	}
	if len(adm.released) != 2 || adm.released[0] != nil || adm.released[1] == nil {
		t.Fatalf("release calls %v", adm.released)
	}
	adm.refuse = true
	if _, err := k.Execute(ctx, id, "increment", nil); !errors.Is(err, ErrResourceExceeded) {
		t.Fatalf("refused admission: %v", err)
	}
}
