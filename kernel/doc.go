// Package kernel is the mcpzero kernel: the Agent Manager that spawns agents
// under resource constraints, attaches signed plugins, executes their methods
// deterministically on wazero, snapshots and recovers their state, and
// terminates them. All state lives in one LevelDB store.
package kernel
