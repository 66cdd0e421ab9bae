package auditlog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// VerifyInclusion checks that data (an encoded entry) is the entry at index
// of the tree that c commits to, using the inclusion proof p (the sibling
// hashes from leaf to root, as tlog.ProveRecord returns them).
func VerifyInclusion(c Checkpoint, index int64, data []byte, p tlog.RecordProof) error {
	if index < 0 || index >= c.Size {
		return errorf(ErrInclusion, "entry %d is outside the checkpoint's %d entries", index, c.Size)
	}
	if err := tlog.CheckRecord(p, c.Size, c.Root, index, RecordHash(data)); err != nil {
		return errorf(ErrInclusion, "entry %d is not in the tree of size %d with root %s: %v", index, c.Size, c.Root, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of newer extends the tree of older:
// the first older.Size entries of newer are the entries of older, so nothing
// older committed to was changed, dropped or reordered. p is the proof from
// tlog.ProveTree(newer.Size, older.Size, ...).
func VerifyConsistency(older, newer Checkpoint, p tlog.TreeProof) error {
	if older.Origin != newer.Origin {
		return errorf(ErrConsistency, "checkpoints of different logs: %q and %q", older.Origin, newer.Origin)
	}
	if newer.Size < older.Size {
		return errorf(ErrConsistency, "the newer checkpoint (size %d) is smaller than the older (size %d): the log was rolled back", newer.Size, older.Size)
	}
	if newer.Size == older.Size {
		if newer.Root != older.Root || len(p) != 0 {
			return errorf(ErrConsistency, "two checkpoints of size %d with different roots (%s, %s): the log was forked", older.Size, older.Root, newer.Root)
		}
		return nil
	}
	if older.Size == 0 {
		// The empty tree is a prefix of every tree; tlog only proves
		// between non-empty trees.
		if empty, _ := tlog.TreeHash(0, nil); older.Root != empty {
			return errorf(ErrConsistency, "checkpoint of size 0 with root %s, not the empty tree's %s", older.Root, empty)
		}
		if len(p) != 0 {
			return errorf(ErrConsistency, "non-empty proof from the empty tree")
		}
		return nil
	}
	if err := tlog.CheckTree(p, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return errorf(ErrConsistency, "the tree of size %d (root %s) does not extend the tree of size %d (root %s): the log was forked or rewritten (%v)",
			newer.Size, newer.Root, older.Size, older.Root, err)
	}
	return nil
}

// MemTree is a tree whose stored hashes (tlog's layout) are kept in memory.
// Verifiers use it to recompute a log from its entries; benchmarks use it
// for trees of a million entries. It is not safe for concurrent use.
type MemTree struct {
	hashes []tlog.Hash
	n      int64
}

// Size is the number of records appended.
func (t *MemTree) Size() int64 { return t.n }

// ReadHashes implements tlog.HashReader.
func (t *MemTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("auditlog: stored hash %d not in a tree of %d hashes", x, len(t.hashes))
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// Append adds one record (an encoded entry) and returns its index.
func (t *MemTree) Append(data []byte) (int64, error) {
	return t.AppendHash(RecordHash(data))
}

// AppendHash adds one record by its record hash.
func (t *MemTree) AppendHash(h tlog.Hash) (int64, error) {
	hs, err := tlog.StoredHashesForRecordHash(t.n, h, t)
	if err != nil {
		return 0, err
	}
	t.hashes = append(t.hashes, hs...)
	t.n++
	return t.n - 1, nil
}

// StoredHashes returns the stored hashes from index start on, in tlog's
// layout, for comparison with a store's copy.
func (t *MemTree) StoredHashes() []tlog.Hash { return t.hashes }

// Root is the tree hash of the first n records.
func (t *MemTree) Root(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, t) }

// ProveInclusion is the inclusion proof of record index in the tree of size n.
func (t *MemTree) ProveInclusion(index, n int64) (tlog.RecordProof, error) {
	return tlog.ProveRecord(n, index, t)
}

// ProveConsistency is the proof that the tree of size n extends the tree of
// size old.
func (t *MemTree) ProveConsistency(old, n int64) (tlog.TreeProof, error) {
	if old == 0 || old == n {
		return nil, nil
	}
	return tlog.ProveTree(n, old, t)
}
