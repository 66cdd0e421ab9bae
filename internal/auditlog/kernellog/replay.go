package kernellog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// ErrCannotReplay: the source store lacks something a replay needs (a
// plugin's wasm or manifest, an execute's params). It is not a divergence.
var ErrCannotReplay = errors.New("kernellog: cannot replay")

// ReplayReport summarises a replay that found no divergence.
type ReplayReport struct {
	Entries  int64          `json:"entries"`
	Replayed int            `json:"replayed"`
	Skipped  map[string]int `json:"skipped,omitempty"` // by kind: entries that change no agent state
}

// allowAll authorises everything: the replay re-checks computation, not
// permissions, which the original run checked and the log records.
type allowAll struct{}

func (allowAll) AuthorizeAttach(*kernel.AttachRequest) error                       { return nil }
func (allowAll) AuthorizeExecute(kernel.AgentID, *plugins.Manifest, string) error  { return nil }
func (allowAll) AuthorizeHostCall(kernel.AgentID, *plugins.Manifest, string) error { return nil }

// Replay re-executes every kernel operation of log, from genesis and in log
// order, on a fresh kernel over an in-memory store, and compares what each
// produces with its entry: sequence number, agent, plugin, method, input and
// output digests, fuel, and the state roots before and after. The first
// difference is returned as an *auditlog.DivergenceError. src is the
// original kernel (for plugin wasm, execute params and agent constraints)
// and srcStore its store (for plugin manifests). opts configure the replay
// kernel and must match the original's fuel metering.
//
// Values of capability host functions (clock, random bytes, HTTP
// responses) are played back from each execute's record. Security changes,
// agreement usage and proof links change no agent state and are counted as
// skipped.
func Replay(ctx context.Context, log *storelog.Log, src *kernel.Kernel, srcStore store.Reader, opts ...kernel.Option) (*ReplayReport, error) {
	mem := store.OpenMemory()
	defer mem.Close()
	host := &playback{}
	k, err := kernel.Open(mem, append([]kernel.Option{kernel.WithInsecureSkipVerify(), kernel.WithAuthorizer(allowAll{}),
		kernel.WithHostCapabilities(host)}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	n, err := log.Size()
	if err != nil {
		return nil, err
	}
	rep := &ReplayReport{Entries: n, Skipped: map[string]int{}}
	names := map[auditlog.Digest]string{}
	for i := int64(0); i < n; i++ {
		e, _, err := log.Entry(i)
		if err != nil {
			return nil, err
		}
		done, err := replayOne(ctx, k, src, srcStore, e, names, host)
		if err != nil {
			return nil, err
		}
		if !done {
			rep.Skipped[string(e.Kind)]++
			continue
		}
		rep.Replayed++
		got, err := k.Record(k.Seq())
		if err != nil {
			return nil, err
		}
		if err := compare(e, FromOp(got)); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func diverged(e *auditlog.Entry, field, logged, replay string) error {
	return &auditlog.DivergenceError{Index: e.Index, Seq: e.Seq, Kind: e.Kind, Field: field, Logged: logged, Replay: replay}
}

func compare(e *auditlog.Entry, got auditlog.Entry) error {
	switch {
	case got.Seq != e.Seq:
		return diverged(e, "seq", fmt.Sprint(e.Seq), fmt.Sprint(got.Seq))
	case got.Kind != e.Kind:
		return diverged(e, "kind", string(e.Kind), string(got.Kind))
	case got.Agent != e.Agent:
		return diverged(e, "agent", e.Agent, got.Agent)
	case got.Plugin != e.Plugin:
		return diverged(e, "plugin", e.Plugin.String(), got.Plugin.String())
	case got.Method != e.Method:
		return diverged(e, "method", e.Method, got.Method)
	case got.Detail != e.Detail:
		return diverged(e, "detail", e.Detail, got.Detail)
	}
	return auditlog.CheckReplay(e, auditlog.Outcome{StateBefore: got.StateBefore, StateAfter: got.StateAfter,
		Input: got.Input, Output: got.Output, Fuel: got.Fuel})
}

// replayOne performs e's operation on k; false when e is not a kernel
// operation. A failure of the operation itself is a divergence: the
// original succeeded, or it would not be logged.
func replayOne(ctx context.Context, k, src *kernel.Kernel, srcStore store.Reader, e *auditlog.Entry, names map[auditlog.Digest]string, host *playback) (bool, error) {
	agent := kernel.AgentID(e.Agent)
	var err error
	switch kernel.OpKind(e.Kind) {
	case kernel.OpInstall:
		wasm, werr := src.Wasm(kernel.Digest(e.Plugin))
		if werr != nil {
			return false, fmt.Errorf("%w: entry %d: wasm of plugin %s: %v", ErrCannotReplay, e.Index, e.Plugin, werr)
		}
		m, merr := manifest(srcStore, e.Plugin)
		if merr != nil {
			return false, fmt.Errorf("%w: entry %d: %v", ErrCannotReplay, e.Index, merr)
		}
		names[e.Plugin] = m.Name
		_, err = k.InstallPlugin(ctx, &plugins.Signed{Manifest: *m}, wasm)
	case kernel.OpRemove:
		_, err = k.RemovePlugin(e.Plugin.String())
	case kernel.OpSpawn:
		info, ierr := src.Inspect(agent)
		if ierr != nil {
			return false, fmt.Errorf("%w: entry %d: constraints of %s: %v", ErrCannotReplay, e.Index, agent, ierr)
		}
		_, err = k.Spawn(info.Constraints)
	case kernel.OpAttach:
		err = k.AttachPlugin(ctx, agent, e.Plugin.String())
	case kernel.OpExecute:
		x, xerr := src.ExecRecord(e.Seq)
		if xerr != nil {
			return false, fmt.Errorf("%w: entry %d: params of execute %d: %v", ErrCannotReplay, e.Index, e.Seq, xerr)
		}
		host.load(x.Host)
		method := e.Method
		if name, ok := names[e.Plugin]; ok {
			method = name + "." + method
		}
		// Host values the original received (clock, random, HTTP, files)
		// are served from its record (kernel.WithReplayHost).
		_, err = k.ExecuteDetailed(kernel.WithReplayHost(ctx, x.Host), agent, method, x.Params)
		if errors.Is(err, kernel.ErrReplayFileWrites) {
			// Not a divergence: the execute wrote files, which a replay
			// never does again (docs/SECURITY.md).
			return false, fmt.Errorf("%w: entry %d: %w", ErrCannotReplay, e.Index, err)
		}
	case kernel.OpSnapshot:
		_, err = k.Snapshot(agent)
	case kernel.OpRecover:
		sid, ok := detailValue(e.Detail, "snapshot")
		if !ok {
			return false, fmt.Errorf("%w: entry %d: recover without a snapshot id", ErrCannotReplay, e.Index)
		}
		err = k.Recover(agent, kernel.SnapshotID(sid))
	case kernel.OpTerminate:
		err = k.Terminate(agent)
	case kernel.OpProof:
		// A kernel proof record takes a seq: re-link the stored bundle
		// (its statement is checked against the replayed execute).
		b, berr := src.Proof(kernel.Digest(e.Proof))
		if berr != nil {
			return false, fmt.Errorf("%w: entry %d: proof bundle %s: %v", ErrCannotReplay, e.Index, e.Proof, berr)
		}
		_, err = k.AttachProof(e.Ref, b)
	default:
		return false, nil
	}
	if err != nil {
		return false, diverged(e, "result", "success", "error: "+err.Error())
	}
	return true, nil
}

func detailValue(detail, key string) (string, bool) {
	for _, f := range strings.Fields(detail) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// manifest reads an installed plugin's manifest from the kernel's store
// (key plugin 0x00 <digest hex>, docs/KERNEL.md).
func manifest(st store.Reader, d auditlog.Digest) (*plugins.Manifest, error) {
	v, err := st.Get(store.Key([]byte("plugin"), []byte(d.String())))
	if err != nil {
		return nil, fmt.Errorf("manifest of plugin %s (removed plugins keep only their wasm): %v", d, err)
	}
	var rec struct {
		Manifest plugins.Manifest `json:"manifest"`
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("manifest of plugin %s: %v", d, err)
	}
	return &rec.Manifest, nil
}
