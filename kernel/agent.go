package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mcpzero/mcpzero/internal/fuel"
	"github.com/mcpzero/mcpzero/internal/hostabi"
	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// agentRecord is the stored form of an agent (AgentInfo).
type agentRecord = AgentInfo

func getJSONBytes(b []byte, v any, what string) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupted, what, err)
	}
	return nil
}

func validAgentID(id AgentID) error {
	n, ok := strings.CutPrefix(string(id), agentPrefix)
	if _, err := strconv.ParseUint(n, 10, 64); !ok || err != nil {
		return fmt.Errorf("%w: %q is not an agent id (agent-N)", ErrInvalidArgument, id)
	}
	return nil
}

func (k *Kernel) agent(id AgentID) (*agentRecord, error) {
	if err := validAgentID(id); err != nil {
		return nil, err
	}
	var a agentRecord
	if err := getJSON(k.st, store.Key(pfxAgent, []byte(id)), &a, "agent "+string(id)); err != nil {
		return nil, err
	}
	return &a, nil
}

func (k *Kernel) running(id AgentID) (*agentRecord, error) {
	a, err := k.agent(id)
	if err != nil {
		return nil, err
	}
	if a.Status != StatusRunning {
		return nil, fmt.Errorf("%w: %s", ErrTerminated, id)
	}
	return a, nil
}

// Spawn creates an agent under the given constraints (zero fields take
// DefaultConstraints). Its id is "agent-" and the operation's sequence
// number.
func (k *Kernel) Spawn(c Constraints) (AgentID, error) {
	c, err := c.withDefaults()
	if err != nil {
		return "", err
	}
	b := k.st.NewBatch()
	a := &agentRecord{Status: StatusRunning, Constraints: c, Plugins: []Digest{}, StateRoot: EmptyStateRoot}
	rec := &OpRecord{Kind: OpSpawn, StateRootAfter: EmptyStateRoot}
	err = k.commit(b, rec, func(seq uint64) {
		a.ID = AgentID(agentPrefix + strconv.FormatUint(seq, 10))
		a.SpawnSeq, a.LastSeq = seq, seq
		rec.Agent = a.ID
		b.Put(store.Key(pfxAgent, []byte(a.ID)), mustJSON(a))
	})
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// commitAgent commits an operation that changes agent a: a is rewritten with
// LastSeq set to the operation's sequence number.
func (k *Kernel) commitAgent(b *store.Batch, a *agentRecord, rec *OpRecord, prepare func(uint64)) error {
	rec.Agent = a.ID
	return k.commit(b, rec, func(seq uint64) {
		a.LastSeq = seq
		if prepare != nil {
			prepare(seq)
		}
		b.Put(store.Key(pfxAgent, []byte(a.ID)), mustJSON(a))
	})
}

// AttachPlugin attaches an installed plugin (see ResolvePlugin for the
// forms of ref) to a running agent, after the Authorizer agrees and the
// plugin fits the agent's memory constraint.
func (k *Kernel) AttachPlugin(ctx context.Context, id AgentID, ref string) error {
	k.attachMu.RLock()
	defer k.attachMu.RUnlock()
	unlock := k.lock(id)
	defer unlock()
	a, err := k.running(id)
	if err != nil {
		return err
	}
	d, err := k.ResolvePlugin(ref)
	if err != nil {
		return err
	}
	p, err := k.plugin(d)
	if err != nil {
		return err
	}
	m := &p.rec.Manifest
	for _, have := range a.Plugins {
		hp, err := k.plugin(have)
		if err != nil {
			return err
		}
		if hp.rec.Manifest.Name == m.Name {
			return fmt.Errorf("%w: agent %s already has a plugin named %s attached (%s)", ErrConflict, id, m.Name, hp.rec.Manifest.ID())
		}
	}
	if m.Limits.MemoryPages > a.Constraints.MemoryPages {
		return fmt.Errorf("%w: plugin %s needs %d memory pages, agent %s allows %d", ErrResourceExceeded, m.ID(), m.Limits.MemoryPages, id, a.Constraints.MemoryPages)
	}
	mod, err := k.sb.Compile(ctx, p.wasm, a.Constraints.MemoryPages)
	if errors.Is(err, plugins.ErrMemoryLimit) {
		return fmt.Errorf("%w: plugin %s does not fit agent %s (%d pages): %w", ErrResourceExceeded, m.ID(), id, a.Constraints.MemoryPages, err)
	}
	if err != nil {
		return fmt.Errorf("%w: plugin %s: %w", ErrInvalidPlugin, m.ID(), err)
	}
	if need := mod.MinMemoryPages(); need > a.Constraints.MemoryPages {
		return fmt.Errorf("%w: plugin %s declares %d memory pages, agent %s allows %d", ErrResourceExceeded, m.ID(), need, id, a.Constraints.MemoryPages)
	}
	if err := k.auth.AuthorizeAttach(&AttachRequest{Agent: id, Constraints: a.Constraints, Manifest: m, Imports: mod.Imports()}); err != nil {
		return permission(err)
	}
	a.Plugins = append(a.Plugins, d)
	return k.commitAgent(k.st.NewBatch(), a, &OpRecord{Kind: OpAttach, Plugin: d,
		StateRootBefore: a.StateRoot, StateRootAfter: a.StateRoot}, nil)
}

func permission(err error) error {
	if errors.Is(err, ErrPermissionDenied) || errors.Is(err, ErrResourceExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPermissionDenied, err)
}

// Execute calls method of a plugin attached to the agent with params as its
// input and returns its output. method is "name" when one attached plugin
// lists it, or "plugin.name". On success the state change and the operation
// record commit in one atomic batch; on any failure nothing changes.
func (k *Kernel) Execute(ctx context.Context, id AgentID, method string, params []byte) ([]byte, error) {
	r, err := k.ExecuteDetailed(ctx, id, method, params)
	if err != nil {
		return nil, err
	}
	return r.Output, nil
}

// callEnv gives one call's host functions their effect.
type callEnv struct {
	k     *Kernel
	agent AgentID
	m     *plugins.Manifest
	st    *overlay
	log   []string
	logN  int
	// capabilities.go
	replay *hostReplay
	execN  uint64
	method string
	host   []HostValue
	rnd    io.Reader
}

// MaxLogLines bounds the log lines kept per call.
const MaxLogLines = 64

func (e *callEnv) Check(fn string) error {
	if err := e.k.auth.AuthorizeHostCall(e.agent, e.m, fn); err != nil {
		return permission(err)
	}
	return nil
}

func (e *callEnv) Log(line []byte) error {
	if len(e.log) < MaxLogLines {
		e.log = append(e.log, string(line))
	}
	e.logN++
	return nil
}

func (e *callEnv) StateGet(key []byte) ([]byte, bool, error) { return e.st.get(key) }
func (e *callEnv) StateSet(key, value []byte) error          { return e.st.set(key, value) }
func (e *callEnv) StateDelete(key []byte) error              { return e.st.del(key) }

// resolveMethod finds the attached plugin that provides method.
func (k *Kernel) resolveMethod(a *agentRecord, method string) (*loadedPlugin, Digest, string, error) {
	pname, mname, qualified := strings.Cut(method, ".")
	if !qualified {
		mname, pname = pname, ""
	}
	var found []Digest
	var fp *loadedPlugin
	for _, d := range a.Plugins {
		p, err := k.plugin(d)
		if err != nil {
			return nil, Digest{}, "", err
		}
		if pname != "" && p.rec.Manifest.Name != pname {
			continue
		}
		for _, m := range p.rec.Manifest.Methods {
			if m == mname {
				found = append(found, d)
				fp = p
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, Digest{}, "", fmt.Errorf("%w: no plugin attached to agent %s has method %q", ErrNotFound, a.ID, method)
	case 1:
		return fp, found[0], mname, nil
	}
	return nil, Digest{}, "", fmt.Errorf("%w: several plugins of agent %s have method %q; call it as plugin.%s", ErrConflict, a.ID, mname, mname)
}

// ExecuteDetailed is Execute returning the output, the log and the
// committed operation record.
func (k *Kernel) ExecuteDetailed(ctx context.Context, id AgentID, method string, params []byte) (*ExecResult, error) {
	unlock := k.lock(id)
	defer unlock()
	a, err := k.running(id)
	if err != nil {
		return nil, err
	}
	p, d, mname, err := k.resolveMethod(a, method)
	if err != nil {
		return nil, err
	}
	m := &p.rec.Manifest
	if err := k.auth.AuthorizeExecute(id, m, mname); err != nil {
		return nil, permission(err)
	}
	mod, err := k.sb.Compile(ctx, p.wasm, a.Constraints.MemoryPages)
	if err != nil {
		return nil, fmt.Errorf("%w: plugin %s: %w", ErrInvalidPlugin, m.ID(), err)
	}
	env := &callEnv{k: k, agent: id, m: m, st: newOverlay(k.st, a), execN: a.Executes + 1, method: mname,
		replay: replayHostFrom(ctx)}
	call := &plugins.Call{
		IO:       hostabi.IO{Input: params, MaxOutput: k.cfg.maxOutputLen},
		Env:      env,
		Deadline: a.Constraints.Deadline,
		Fuel:     a.Constraints.FuelPerCall,
	}
	if call.FS, err = k.fileSystems(id, m, env); err != nil { // capabilities.go
		if errors.Is(err, ErrReplayHost) {
			return nil, fmt.Errorf("kernel: execute %s on %s: %w", method, id, err)
		}
		return nil, permission(err)
	}
	release, err := k.admit(ctx, id, mname, a.Constraints) // admission.go
	if err != nil {
		return nil, err
	}
	runErr := mod.Run(ctx, mname, call)
	release(call.FuelUsed, runErr)
	if err := runErr; err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("kernel: execute %s on %s: %w", method, id, ctx.Err())
		}
		if errors.Is(err, plugins.ErrDeadline) || errors.Is(err, plugins.ErrMemoryLimit) || errors.Is(err, fuel.ErrExhausted) {
			err = fmt.Errorf("%w: %w", ErrResourceExceeded, err)
		}
		return nil, &PluginError{Agent: id, Plugin: m.ID(), Method: mname, Err: err}
	}
	b := k.st.NewBatch()
	before, after := a.StateRoot, a.StateRoot
	var newState []stateEntry
	if len(env.st.writes) > 0 {
		base, err := k.sortedState(id)
		if err != nil {
			return nil, err
		}
		after, newState = env.st.apply(b, base)
	}
	a.StateRoot, a.StateBytes, a.StateKeys = after, env.st.bytes, env.st.keys
	a.Executes++
	out := call.IO.Output
	rec := &OpRecord{Kind: OpExecute, Plugin: d, Method: mname, Input: Sum(params), Output: Sum(out), Agreement: AgreementFrom(ctx),
		StateRootBefore: before, StateRootAfter: after, FuelUsed: call.FuelUsed, StateWritten: env.st.written()}
	err = k.commitAgent(b, a, rec, func(seq uint64) {
		b.Put(store.Key(pfxExec, seqBytes(seq)), mustJSON(&ExecRecord{Seq: seq, Params: params,
			Reads: env.st.reads, Output: out, Log: env.log, Host: env.host}))
	})
	if err != nil {
		return nil, err
	}
	if newState != nil || len(env.st.writes) > 0 {
		k.cache.put(id, newState, a.StateBytes)
	}
	if out == nil {
		out = []byte{}
	}
	return &ExecResult{Output: out, Log: env.log, Record: *rec}, nil
}

// Snapshot saves the agent's state and attached plugins as an immutable,
// content-addressed snapshot and returns its id (the SHA-256 of its content).
func (k *Kernel) Snapshot(id AgentID) (SnapshotID, error) {
	unlock := k.lock(id)
	defer unlock()
	a, err := k.running(id)
	if err != nil {
		return "", err
	}
	entries, err := k.entries(id)
	if err != nil {
		return "", err
	}
	content := encodeSnapshot(a.Plugins, entries)
	sid := SnapshotID(Sum(content).String())
	b := k.st.NewBatch()
	if ok, err := k.st.Has(store.Key(pfxSnap, []byte(sid))); err != nil {
		return "", err
	} else if !ok {
		b.Put(store.Key(pfxSnap, []byte(sid)), content)
	}
	info := SnapshotInfo{ID: sid, Agent: id, StateRoot: a.StateRoot, Plugins: a.Plugins, Size: len(content)}
	rec := &OpRecord{Kind: OpSnapshot, Snapshot: sid, StateRootBefore: a.StateRoot, StateRootAfter: a.StateRoot}
	err = k.commitAgent(b, a, rec, func(seq uint64) {
		info.Seq = seq
		b.Put(store.Key(pfxAgentSn, []byte(id), []byte(sid)), mustJSON(&info))
	})
	return sid, err
}

// sortedState returns the agent's state in key order, from the cache or
// from the store. Call it with the agent locked.
func (k *Kernel) sortedState(id AgentID) ([]stateEntry, error) {
	if s, ok := k.cache.get(id); ok {
		return s, nil
	}
	entries, err := k.entries(id)
	if err != nil {
		return nil, err
	}
	s := make([]stateEntry, len(entries))
	for i, e := range entries {
		s[i] = stateEntry{string(e[0]), e[1]}
	}
	return s, nil
}

func (k *Kernel) entries(id AgentID) ([][2][]byte, error) {
	var entries [][2][]byte
	pfx := statePrefix(id)
	err := k.st.Iterate(pfx, func(key, v []byte) error {
		entries = append(entries, [2][]byte{append([]byte(nil), key[len(pfx):]...), append([]byte(nil), v...)})
		return nil
	})
	return entries, err
}

// State returns the agent's state entries (key → value).
func (k *Kernel) State(id AgentID) (map[string][]byte, error) {
	if _, err := k.agent(id); err != nil {
		return nil, err
	}
	entries, err := k.entries(id)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		out[string(e[0])] = e[1]
	}
	return out, nil
}

// Snapshots lists the snapshots the agent took, in id order.
func (k *Kernel) Snapshots(id AgentID) ([]SnapshotInfo, error) {
	var out []SnapshotInfo
	err := k.st.Iterate(store.Key(pfxAgentSn, []byte(id), nil), func(_, v []byte) error {
		var s SnapshotInfo
		if err := getJSONBytes(v, &s, "snapshot of "+string(id)); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// Recover restores a snapshot the agent took: its state and attached
// plugins become exactly the snapshot's, and so does its state root.
func (k *Kernel) Recover(id AgentID, sid SnapshotID) error {
	unlock := k.lock(id)
	defer unlock()
	a, err := k.running(id)
	if err != nil {
		return err
	}
	var info SnapshotInfo
	if err := getJSON(k.st, store.Key(pfxAgentSn, []byte(id), []byte(sid)), &info, fmt.Sprintf("snapshot %s of agent %s", sid, id)); err != nil {
		return err
	}
	content, err := k.st.Get(store.Key(pfxSnap, []byte(sid)))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: snapshot %s content is missing", ErrCorrupted, sid)
		}
		return err
	}
	pl, entries, err := decodeSnapshot(sid, content)
	if err != nil {
		return err
	}
	for _, d := range pl {
		if _, err := k.plugin(d); err != nil {
			return fmt.Errorf("recover %s: plugin %s of the snapshot: %w", id, d, err)
		}
	}
	b := k.st.NewBatch()
	old, err := k.entries(id)
	if err != nil {
		return err
	}
	for _, e := range old {
		b.Delete(stateKey(id, e[0]))
	}
	h := newStateHasher()
	var size int64
	for _, e := range entries {
		b.Put(stateKey(id, e[0]), e[1])
		h.add(e[0], e[1])
		size += int64(len(e[0]) + len(e[1]))
	}
	root := h.sum()
	if root != info.StateRoot {
		return fmt.Errorf("%w: snapshot %s: state root %s, recorded %s", ErrCorrupted, sid, root, info.StateRoot)
	}
	before := a.StateRoot
	a.Plugins = pl
	a.StateRoot, a.StateBytes, a.StateKeys = root, size, len(entries)
	k.cache.drop(id)
	return k.commitAgent(b, a, &OpRecord{Kind: OpRecover, Snapshot: sid, StateRootBefore: before, StateRootAfter: root}, nil)
}

// Terminate stops the agent for good: its state is deleted, its records and
// snapshots stay. Later operations on it fail with ErrTerminated.
func (k *Kernel) Terminate(id AgentID) error {
	unlock := k.lock(id)
	defer unlock()
	a, err := k.running(id)
	if err != nil {
		return err
	}
	old, err := k.entries(id)
	if err != nil {
		return err
	}
	b := k.st.NewBatch()
	for _, e := range old {
		b.Delete(stateKey(id, e[0]))
	}
	before := a.StateRoot
	a.Status = StatusTerminated
	a.StateRoot, a.StateBytes, a.StateKeys = EmptyStateRoot, 0, 0
	k.cache.drop(id)
	return k.commitAgent(b, a, &OpRecord{Kind: OpTerminate, StateRootBefore: before, StateRootAfter: EmptyStateRoot}, nil)
}

// Inspect describes an agent.
func (k *Kernel) Inspect(id AgentID) (*AgentInfo, error) { return k.agent(id) }

// ListAgents lists all agents, terminated ones included, in spawn order.
func (k *Kernel) ListAgents() ([]AgentInfo, error) {
	var out []AgentInfo
	err := k.st.Iterate(store.Key(pfxAgent, nil), func(key, v []byte) error {
		var a AgentInfo
		if err := getJSONBytes(v, &a, "agent record "+string(key)); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	// Keys sort as strings ("agent-10" < "agent-9"); order by spawn.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].SpawnSeq < out[j-1].SpawnSeq; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, err
}
