package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/mcpzero/mcpzero/internal/store"
)

var (
	// ErrLimitExceeded is wrapped by every *LimitError.
	ErrLimitExceeded = errors.New("resource limit exceeded")
	// ErrUnknownAgent: the agent has no allocation.
	ErrUnknownAgent = errors.New("no allocation for agent")
	// ErrInvalidLimits: a malformed limit.
	ErrInvalidLimits = errors.New("invalid resource limits")
)

// Resource names used in LimitError.
const (
	ResFuel       = "fuel"
	ResMemory     = "memory_pages"
	ResState      = "state_bytes"
	ResConcurrent = "concurrent_calls"
	ResWorkers    = "workers"
	ResDeadline   = "deadline"
)

// LimitError reports which limit an operation hit.
type LimitError struct {
	Agent     string
	Resource  string
	Limit     uint64
	Requested uint64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: agent %s: %s %d > limit %d", ErrLimitExceeded, e.Agent, e.Resource, e.Requested, e.Limit)
}

// Is makes errors.Is(err, ErrLimitExceeded) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimitExceeded }

// Limits bound one agent.
type Limits struct {
	FuelPerCall   uint64        `json:"fuel_per_call"`
	MemoryPages   uint32        `json:"memory_pages"`
	StateBytes    int64         `json:"state_bytes"`
	Deadline      time.Duration `json:"deadline_ns"` // safety net, not the limit
	MaxConcurrent int           `json:"max_concurrent"`
}

// DefaultMaxConcurrent is used when Limits.MaxConcurrent is 0.
const DefaultMaxConcurrent = 4

func (l Limits) validate() (Limits, error) {
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = DefaultMaxConcurrent
	}
	if l.FuelPerCall == 0 || l.MemoryPages == 0 || l.StateBytes <= 0 || l.Deadline < 0 || l.MaxConcurrent < 0 || l.FuelPerCall > 1<<62 {
		return l, fmt.Errorf("%w: %+v (fuel, memory and state limits must be positive, fuel at most 2^62)", ErrInvalidLimits, l)
	}
	return l, nil
}

// Cost is what an operation is estimated to need.
type Cost struct {
	Fuel        uint64
	MemoryPages uint32
	StateBytes  int64 // the agent's state size after the operation
}

// Usage is what an agent has used. Calls, Fuel, Exhausted and Refused are
// persisted with the operations; Active is the calls running now.
type Usage struct {
	Calls      uint64 `json:"calls"`
	Fuel       uint64 `json:"fuel"`
	Exhausted  uint64 `json:"fuel_exhausted"` // calls stopped by their fuel limit
	Failed     uint64 `json:"failed"`         // calls that trapped or hit another limit
	StateBytes int64  `json:"state_bytes"`
	Active     int    `json:"active"`
}

type account struct {
	limits Limits
	active int
}

// Option configures New.
type Option func(*Allocator)

// WithWorkers bounds the calls running at once in the whole kernel
// (default: the number of CPUs).
func WithWorkers(n int) Option { return func(a *Allocator) { a.workers = n } }

// WithStore persists usage in st (RecordUsage, Usage).
func WithStore(st store.Store) Option { return func(a *Allocator) { a.st = st } }

// Allocator is the resource allocator. It is safe for concurrent use.
type Allocator struct {
	st      store.Store
	workers int
	pool    chan struct{}

	mu     sync.Mutex
	agents map[string]*account
}

var pfxUsage = []byte("res/usage") // res/usage/<agent> -> Usage JSON

// New returns an allocator.
func New(opts ...Option) *Allocator {
	a := &Allocator{agents: map[string]*account{}}
	for _, o := range opts {
		o(a)
	}
	if a.workers <= 0 {
		a.workers = runtime.NumCPU()
	}
	a.pool = make(chan struct{}, a.workers)
	return a
}

// Workers is the size of the kernel-wide worker pool.
func (a *Allocator) Workers() int { return a.workers }

// Allocate sets agent's limits (again, when it has some: limits can change
// on recovery; running calls keep the old ones).
func (a *Allocator) Allocate(agent string, l Limits) error {
	l, err := l.validate()
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if acc := a.agents[agent]; acc != nil {
		acc.limits = l
		return nil
	}
	a.agents[agent] = &account{limits: l}
	return nil
}

// Release forgets agent's allocation (on terminate). Its persisted usage
// stays for inspection.
func (a *Allocator) Release(agent string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.agents, agent)
}

// Limits returns agent's limits.
func (a *Allocator) Limits(agent string) (Limits, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc := a.agents[agent]
	if acc == nil {
		return Limits{}, fmt.Errorf("%w %s", ErrUnknownAgent, agent)
	}
	return acc.limits, nil
}

// CheckResourceLimits checks an operation's estimated cost against agent's
// limits before it runs.
func (a *Allocator) CheckResourceLimits(agent, operation string, est Cost) error {
	l, err := a.Limits(agent)
	if err != nil {
		return err
	}
	switch {
	case est.Fuel > l.FuelPerCall:
		return &LimitError{Agent: agent, Resource: ResFuel, Limit: l.FuelPerCall, Requested: est.Fuel}
	case est.MemoryPages > l.MemoryPages:
		return &LimitError{Agent: agent, Resource: ResMemory, Limit: uint64(l.MemoryPages), Requested: uint64(est.MemoryPages)}
	case est.StateBytes > l.StateBytes:
		return &LimitError{Agent: agent, Resource: ResState, Limit: uint64(l.StateBytes), Requested: uint64(est.StateBytes)}
	}
	return nil
}

// Lease is a running call's hold on an agent slot and a worker.
type Lease struct {
	a     *Allocator
	agent string
	once  sync.Once
	// Limits are the agent's limits when the call started.
	Limits Limits
}

// Done returns the slots. Calling it more than once is harmless.
func (l *Lease) Done() {
	l.once.Do(func() {
		<-l.a.pool
		l.a.mu.Lock()
		if acc := l.a.agents[l.agent]; acc != nil {
			acc.active--
		}
		l.a.mu.Unlock()
	})
}

// Acquire reserves one of agent's concurrent-call slots, refusing at once
// (a *LimitError) when they are all in use, then waits for a worker of the
// kernel-wide pool until ctx is done. Call Done when the call ends.
func (a *Allocator) Acquire(ctx context.Context, agent string) (*Lease, error) {
	a.mu.Lock()
	acc := a.agents[agent]
	if acc == nil {
		a.mu.Unlock()
		return nil, fmt.Errorf("%w %s", ErrUnknownAgent, agent)
	}
	if acc.active >= acc.limits.MaxConcurrent {
		n := acc.limits.MaxConcurrent
		a.mu.Unlock()
		return nil, &LimitError{Agent: agent, Resource: ResConcurrent, Limit: uint64(n), Requested: uint64(n + 1)}
	}
	acc.active++
	limits := acc.limits
	a.mu.Unlock()
	select {
	case a.pool <- struct{}{}:
		return &Lease{a: a, agent: agent, Limits: limits}, nil
	case <-ctx.Done():
		a.mu.Lock()
		if acc := a.agents[agent]; acc != nil {
			acc.active--
		}
		a.mu.Unlock()
		return nil, fmt.Errorf("%w: agent %s: waiting for a worker: %w", ErrLimitExceeded, agent, ctx.Err())
	}
}

// InFlight is the number of calls holding a worker.
func (a *Allocator) InFlight() int { return len(a.pool) }

// RecordUsage adds delta to agent's persisted usage inside b, the
// operation's own batch, so that usage is written exactly when the
// operation is. StateBytes is not added: it is set to delta.StateBytes when
// that is not negative (the agent's state size after the operation).
func (a *Allocator) RecordUsage(b *store.Batch, agent string, delta Usage) error {
	if a.st == nil {
		return fmt.Errorf("resource: RecordUsage needs WithStore")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := store.Key(pfxUsage, []byte(agent))
	u, err := a.read(b, k)
	if err != nil {
		return err
	}
	u.Calls += delta.Calls
	u.Fuel += delta.Fuel
	u.Exhausted += delta.Exhausted
	u.Failed += delta.Failed
	if delta.StateBytes >= 0 {
		u.StateBytes = delta.StateBytes
	}
	u.Active = 0
	b.Put(k, mustJSON(u))
	return nil
}

// UpdateUsage is RecordUsage in a batch of its own, for usage not tied to
// a state-changing operation (a failed call, whose operation is not
// committed).
func (a *Allocator) UpdateUsage(agent string, delta Usage) error {
	if a.st == nil {
		return fmt.Errorf("resource: UpdateUsage needs WithStore")
	}
	b := a.st.NewBatch()
	if err := a.RecordUsage(b, agent, delta); err != nil {
		return err
	}
	if err := a.st.Write(b); err != nil {
		return fmt.Errorf("resource: %w", err)
	}
	return nil
}

func (a *Allocator) read(b *store.Batch, k []byte) (Usage, error) {
	var u Usage
	var v []byte
	found := false
	if b != nil {
		var present bool
		if v, found, present = b.Pending(k); found && !present {
			return u, nil
		}
	}
	if !found {
		var err error
		if v, err = a.st.Get(k); errors.Is(err, store.ErrNotFound) {
			return u, nil
		} else if err != nil {
			return u, fmt.Errorf("resource: %w", err)
		}
	}
	if err := json.Unmarshal(v, &u); err != nil {
		return u, fmt.Errorf("resource: %w: usage record %q: %v", store.ErrCorrupted, k, err)
	}
	return u, nil
}

// Usage returns agent's usage: the persisted counters (zero without a
// store) and the calls active now.
func (a *Allocator) Usage(agent string) (Usage, error) {
	var u Usage
	if a.st != nil {
		var err error
		if u, err = a.read(nil, store.Key(pfxUsage, []byte(agent))); err != nil {
			return u, err
		}
	}
	a.mu.Lock()
	if acc := a.agents[agent]; acc != nil {
		u.Active = acc.active
	}
	a.mu.Unlock()
	return u, nil
}

// Agents lists the agents with an allocation.
func (a *Allocator) Agents() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.agents))
	for id := range a.agents {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("resource: encode: " + err.Error())
	}
	return b
}
