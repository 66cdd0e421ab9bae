package auditlog

import (
	"fmt"
	"strconv"
)

// Outcome is what re-executing a logged operation produced, for comparison
// with what the log recorded.
type Outcome struct {
	StateBefore, StateAfter Digest
	Input, Output           Digest
	Fuel                    uint64
}

// DivergenceError reports the first field in which a replayed operation
// differs from its log entry. It wraps ErrDiverged.
type DivergenceError struct {
	Index  uint64 // position of the entry in the log
	Seq    uint64
	Kind   Kind
	Field  string // "state_before", "state_after", "input", "output" or "fuel"
	Logged string
	Replay string
}

func (e *DivergenceError) Error() string {
	return fmt.Sprintf("%v: first diverging entry is %d (seq %d, %s): %s logged %s, replay computed %s",
		ErrDiverged, e.Index, e.Seq, e.Kind, e.Field, e.Logged, e.Replay)
}

func (e *DivergenceError) Unwrap() error { return ErrDiverged }

// CheckReplay compares the outcome of re-executing e with what e records,
// field by field, and returns a *DivergenceError for the first difference.
func CheckReplay(e *Entry, got Outcome) error {
	div := func(field, logged, replay string) error {
		return &DivergenceError{Index: e.Index, Seq: e.Seq, Kind: e.Kind, Field: field, Logged: logged, Replay: replay}
	}
	switch {
	case got.StateBefore != e.StateBefore:
		return div("state_before", e.StateBefore.String(), got.StateBefore.String())
	case got.Input != e.Input:
		return div("input", e.Input.String(), got.Input.String())
	case got.Output != e.Output:
		return div("output", e.Output.String(), got.Output.String())
	case got.Fuel != e.Fuel:
		return div("fuel", strconv.FormatUint(e.Fuel, 10), strconv.FormatUint(got.Fuel, 10))
	case got.StateAfter != e.StateAfter:
		return div("state_after", e.StateAfter.String(), got.StateAfter.String())
	}
	return nil
}
