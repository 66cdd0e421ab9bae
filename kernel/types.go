package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// APIVersion is the version of the kernel API described in docs/KERNEL.md.
// It changes only when a method's meaning changes.
const APIVersion = 1

// AgentID names an agent: "agent-" and the sequence number of its spawn.
type AgentID string

// SnapshotID names a snapshot: the hex SHA-256 of its content.
type SnapshotID string

// Digest is a SHA-256 digest; it encodes as hex in JSON and text.
type Digest [32]byte

// Sum returns the SHA-256 digest of b.
func Sum(b []byte) Digest { return sha256.Sum256(b) }

func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is all zeros (absent).
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText encodes d as hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes hex.
func (d *Digest) UnmarshalText(b []byte) error {
	v, err := ParseDigest(string(b))
	*d = v
	return err
}

// ParseDigest parses 64 hex digits.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("%w: digest %q is not 64 hex digits", ErrInvalidArgument, s)
	}
	copy(d[:], b)
	return d, nil
}

// Constraints bound an agent's resources. Zero fields take the defaults of
// DefaultConstraints.
type Constraints struct {
	// MemoryPages bounds each plugin instance's linear memory (64 KiB pages).
	MemoryPages uint32 `json:"memory_pages"`
	// StateBytes bounds the agent's persistent state: the sum over entries of
	// len(key)+len(value).
	StateBytes int64 `json:"state_bytes"`
	// Deadline is a wall-clock safety net per call. It is not deterministic
	// and is not the resource limit: fuel is.
	Deadline time.Duration `json:"deadline_ns"`
	// FuelPerCall is the fuel budget of one call, enforced by the Meter
	// installed with WithMeter (without one, fuel is not counted).
	FuelPerCall uint64 `json:"fuel_per_call"`
}

// DefaultConstraints are used for zero fields of the constraints passed to
// Spawn.
var DefaultConstraints = Constraints{
	MemoryPages: 256,     // 16 MiB
	StateBytes:  1 << 20, // 1 MiB
	Deadline:    5 * time.Second,
	FuelPerCall: 1 << 32,
}

// MaxMemoryPages is the largest MemoryPages (4 GiB).
const MaxMemoryPages = 65536

func (c Constraints) withDefaults() (Constraints, error) {
	if c.MemoryPages == 0 {
		c.MemoryPages = DefaultConstraints.MemoryPages
	}
	if c.StateBytes == 0 {
		c.StateBytes = DefaultConstraints.StateBytes
	}
	if c.Deadline == 0 {
		c.Deadline = DefaultConstraints.Deadline
	}
	if c.FuelPerCall == 0 {
		c.FuelPerCall = DefaultConstraints.FuelPerCall
	}
	if c.MemoryPages > MaxMemoryPages {
		return c, fmt.Errorf("%w: memory_pages %d > %d", ErrInvalidArgument, c.MemoryPages, MaxMemoryPages)
	}
	if c.StateBytes < 0 || c.Deadline < 0 {
		return c, fmt.Errorf("%w: negative constraint", ErrInvalidArgument)
	}
	return c, nil
}

// AgentStatus is the life-cycle state of an agent.
type AgentStatus string

const (
	StatusRunning    AgentStatus = "running"
	StatusTerminated AgentStatus = "terminated"
)

// AgentInfo describes an agent.
type AgentInfo struct {
	ID          AgentID     `json:"id"`
	Status      AgentStatus `json:"status"`
	Constraints Constraints `json:"constraints"`
	// Plugins are the digests of the attached plugins, in attach order.
	Plugins    []Digest `json:"plugins"`
	StateRoot  Digest   `json:"state_root"`
	StateBytes int64    `json:"state_bytes"`
	StateKeys  int      `json:"state_keys"`
	Executes   uint64   `json:"executes"`
	// SpawnSeq and LastSeq are the sequence numbers of the agent's first and
	// latest operations.
	SpawnSeq uint64 `json:"spawn_seq"`
	LastSeq  uint64 `json:"last_seq"`
}

// PluginInfo describes an installed plugin.
type PluginInfo struct {
	Digest     Digest   `json:"digest"`
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Methods    []string `json:"methods"`
	Caps       []string `json:"capabilities,omitempty"`
	KeyID      string   `json:"key_id,omitempty"`
	Unsigned   bool     `json:"unsigned,omitempty"`
	Size       int      `json:"size"`
	InstallSeq uint64   `json:"install_seq"`
}

// SnapshotInfo describes a snapshot.
type SnapshotInfo struct {
	ID        SnapshotID `json:"id"`
	Agent     AgentID    `json:"agent"`
	StateRoot Digest     `json:"state_root"`
	Plugins   []Digest   `json:"plugins"`
	Seq       uint64     `json:"seq"`
	Size      int        `json:"size"`
}

// OpKind is the kind of a state-changing operation.
type OpKind string

const (
	OpInstall   OpKind = "install"
	OpRemove    OpKind = "remove"
	OpSpawn     OpKind = "spawn"
	OpAttach    OpKind = "attach"
	OpExecute   OpKind = "execute"
	OpSnapshot  OpKind = "snapshot"
	OpRecover   OpKind = "recover"
	OpTerminate OpKind = "terminate"
)

// OpRecord is the record of one state-changing operation, committed in the
// same atomic batch as the change. Nothing in it depends on wall-clock time:
// Seq is the kernel's logical time, a persisted counter.
type OpRecord struct {
	Seq    uint64  `json:"seq"`
	Kind   OpKind  `json:"kind"`
	Agent  AgentID `json:"agent,omitempty"`
	Plugin Digest  `json:"plugin,omitzero"`
	Method string  `json:"method,omitempty"`
	// Input and Output are the SHA-256 of the call's params and output.
	Input  Digest `json:"input,omitzero"`
	Output Digest `json:"output,omitzero"`
	// StateRootBefore/After are the agent's state roots around the operation.
	StateRootBefore Digest `json:"state_root_before,omitzero"`
	StateRootAfter  Digest `json:"state_root_after,omitzero"`
	FuelUsed        uint64 `json:"fuel_used,omitempty"`
	// StateWritten is the state bytes an execute wrote: len(key)+len(value)
	// of each key it set, with its final value (a key set twice counts
	// once); deletes write nothing. It is what an agreement's state_bytes
	// quota charges.
	StateWritten uint64 `json:"state_written,omitempty"`
	// Agreement is the usage agreement the execute named (WithAgreement);
	// the security manager's commit hook checks and charges it.
	Agreement string     `json:"agreement,omitempty"`
	Snapshot  SnapshotID `json:"snapshot,omitempty"`
	// ProofLink is, in a proof record (OpProof), the hex SHA-256 of the
	// stored proof bundle (proofs.go).
	ProofLink string `json:"proof_link,omitempty"`
	// Proves is, in a proof record, the seq of the execute it proves.
	Proves uint64 `json:"proves,omitempty"`
}

// ExecRecord keeps what a replay of an execute needs besides the plugin's
// wasm (stored by digest): its params, the state values it read (in first-read
// order) and its output and log.
type ExecRecord struct {
	Seq    uint64      `json:"seq"`
	Params []byte      `json:"params"`
	Reads  []StateRead `json:"reads"`
	Output []byte      `json:"output"`
	Log    []string    `json:"log,omitempty"`
	// Host are the values of capability host functions (clock, random)
	// the call received, in order (capabilities.go).
	Host []HostValue `json:"host,omitempty"`
}

// StateRead is the first read of a key during an execute.
type StateRead struct {
	Key     []byte `json:"key"`
	Value   []byte `json:"value,omitempty"`
	Present bool   `json:"present"`
}

// ExecResult is the full result of ExecuteDetailed.
type ExecResult struct {
	Output []byte   `json:"output"`
	Log    []string `json:"log,omitempty"`
	Record OpRecord `json:"record"`
}
