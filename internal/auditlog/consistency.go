package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ConsistencyFormat names version 1 of the consistency proof file.
const ConsistencyFormat = "mcpzero-audit-consistency/v1"

// ConsistencyFile is a self-contained proof that the log at checkpoint New
// extends the log at checkpoint Old: both signed checkpoints as the kernel
// signed them and the RFC 6962 consistency proof between them. An auditor
// who kept Old checks it with the kernel's key alone.
type ConsistencyFile struct {
	Format string      `json:"format"`
	Old    string      `json:"old_checkpoint"`
	New    string      `json:"new_checkpoint"`
	Proof  []tlog.Hash `json:"proof"`
}

// Marshal encodes f as indented JSON.
func (f *ConsistencyFile) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseConsistencyFile decodes a consistency proof file strictly.
func ParseConsistencyFile(data []byte) (*ConsistencyFile, error) {
	if len(data) > 1<<20 {
		return nil, errorf(ErrMalformedExport, "consistency file of %d bytes", len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f ConsistencyFile
	if err := dec.Decode(&f); err != nil {
		return nil, errorf(ErrMalformedExport, "%v", err)
	}
	if dec.More() {
		return nil, errorf(ErrMalformedExport, "data after the JSON object")
	}
	if f.Format != ConsistencyFormat {
		return nil, errorf(ErrMalformedExport, "format %q, want %q", f.Format, ConsistencyFormat)
	}
	return &f, nil
}

// VerifyConsistencyFile checks both checkpoints' signatures with v and the
// proof between them, and returns the two checkpoints. When kept is not
// nil it must be the old checkpoint's exact text: the file then proves
// that the log extends the checkpoint the auditor kept, not merely one the
// operator chose.
func VerifyConsistencyFile(f *ConsistencyFile, v note.Verifier, kept []byte) (old, cur Checkpoint, err error) {
	if old, err = OpenCheckpoint([]byte(f.Old), v); err != nil {
		return old, cur, fmt.Errorf("old checkpoint: %w", err)
	}
	if cur, err = OpenCheckpoint([]byte(f.New), v); err != nil {
		return old, cur, fmt.Errorf("new checkpoint: %w", err)
	}
	if kept != nil {
		k, err := OpenCheckpoint(kept, v)
		if err != nil {
			return old, cur, fmt.Errorf("kept checkpoint: %w", err)
		}
		if k != old {
			return old, cur, errorf(ErrConsistency, "the file proves from %v, not from the kept checkpoint %v", old, k)
		}
	}
	return old, cur, VerifyConsistency(old, cur, f.Proof)
}
