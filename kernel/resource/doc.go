// Package resource is the kernel's Resource Allocator: it holds each agent
// to its limits (fuel per call, memory pages, state bytes, a wall-clock
// deadline as a safety net, concurrent calls) and bounds the whole kernel
// with a worker pool, so that no agent can starve the others.
//
// Fuel is the real limit on computation: Meter adapts internal/fuel to the
// plugin sandbox, so every call is metered by instrumented bytecode and
// stops deterministically, on either wazero engine, when its budget is
// spent. Usage per agent (calls, fuel, refusals) is persisted in the
// operation's own batch (RecordUsage), so it is exact across restarts.
package resource
