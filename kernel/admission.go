package kernel

import (
	"context"
	"errors"
	"fmt"
)

// Admission decides whether an execute may start now and learns how it
// ended: the resource allocator bounds the calls running in the whole
// kernel (a worker pool) and per agent, and counts failed calls.
type Admission interface {
	// Admit is called before the plugin runs, with the call's context
	// (which may name an agreement, AgreementFrom), agent, method and
	// constraints; an error refuses the execute with ErrResourceExceeded
	// (or ErrPermissionDenied when it wraps that). release is called once
	// the plugin returned, with the fuel it used and its error.
	Admit(ctx context.Context, agent AgentID, method string, c Constraints) (release func(fuelUsed uint64, err error), err error)
}

// WithAdmission installs an Admission (kernel/resource's allocator).
func WithAdmission(a Admission) Option { return func(c *config) { c.admission = a } }

// admit runs the Admission, if any.
func (k *Kernel) admit(ctx context.Context, id AgentID, method string, c Constraints) (func(uint64, error), error) {
	if k.cfg.admission == nil {
		return func(uint64, error) {}, nil
	}
	release, err := k.cfg.admission.Admit(ctx, id, method, c)
	if errors.Is(err, ErrPermissionDenied) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrResourceExceeded, err)
	}
	return release, nil
}
