// Package kernel is the mcpzero kernel: the Agent Manager that spawns agents
// under resource constraints, attaches signed plugins, executes their methods
// deterministically on wazero, snapshots and recovers their state, and
// terminates them. All state lives in one store (LevelDB, internal/store).
//
//	st, _ := store.Open(dir)
//	k, _ := kernel.Open(st, kernel.WithTrustedKeys(trusted))
//	k.InstallPlugin(ctx, signed, wasm)
//	id, _ := k.Spawn(kernel.Constraints{MemoryPages: 16})
//	k.AttachPlugin(ctx, id, "counter")
//	out, _ := k.Execute(ctx, id, "increment", nil)
//	snap, _ := k.Snapshot(id)
//	k.Recover(id, snap)
//	k.Terminate(id)
//
// Every state-changing operation commits its change and its OpRecord in one
// atomic, fsynced batch, after the commit hooks (WithCommitHook) saw it; a
// failed or trapped execute writes nothing. The same state and call give the
// same output and state root on either engine and across restarts. Errors
// wrap the Err* values of this package (errors.Is); plugin failures are
// *PluginError (errors.As). The kernel is safe for concurrent use: calls on
// different agents run in parallel, calls on one agent are serialized.
//
// docs/KERNEL.md is the reference: API version, state root definition,
// snapshot format, records, storage layout and extension points
// (Authorizer, Verifier, Meter, CommitHook).
package kernel
