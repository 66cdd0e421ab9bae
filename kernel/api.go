package kernel

import "context"

// AgentManager is the kernel API, version APIVersion: the operations of
// the seed's Agent Manager plus listing and inspection. *Kernel implements
// it; embedders may depend on the interface to substitute a fake in their
// tests. Methods are added only with a new APIVersion.
type AgentManager interface {
	// Spawn creates an agent under constraints (zero fields: defaults).
	Spawn(c Constraints) (AgentID, error)
	// AttachPlugin attaches an installed plugin to a running agent.
	AttachPlugin(ctx context.Context, agent AgentID, plugin string) error
	// Execute calls a method of an attached plugin with params as input.
	Execute(ctx context.Context, agent AgentID, method string, params []byte) ([]byte, error)
	// Snapshot saves the agent's state as an immutable, content-addressed
	// snapshot.
	Snapshot(agent AgentID) (SnapshotID, error)
	// Recover restores one of the agent's snapshots exactly.
	Recover(agent AgentID, snapshot SnapshotID) error
	// Terminate stops the agent for good.
	Terminate(agent AgentID) error
	// ListAgents lists all agents in spawn order.
	ListAgents() ([]AgentInfo, error)
	// Inspect describes one agent.
	Inspect(agent AgentID) (*AgentInfo, error)
}

var _ AgentManager = (*Kernel)(nil)
