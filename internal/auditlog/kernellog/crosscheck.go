package kernellog

import (
	"fmt"

	"github.com/mcpzero/mcpzero/internal/auditlog/storelog"
	"github.com/mcpzero/mcpzero/kernel"
)

// CrossCheck checks the log against the kernel's own operation records:
// every operation 1..k.Seq() has a log entry, and that entry is the
// record's (FromOp). It catches a log and a state that disagree — entries
// deleted together with their tree, or records edited after the fact —
// which the log's own Check cannot see. It returns an error wrapping
// storelog.ErrTampered naming the first operation that differs.
func CrossCheck(l *storelog.Log, k *kernel.Kernel) error {
	for seq := uint64(1); seq <= k.Seq(); seq++ {
		rec, err := k.Record(seq)
		if err != nil {
			return fmt.Errorf("%w: operation %d: %v", storelog.ErrTampered, seq, err)
		}
		i, err := l.IndexOfSeq(seq)
		if err != nil {
			return fmt.Errorf("%w: operation %d (%s) has no log entry", storelog.ErrTampered, seq, rec.Kind)
		}
		e, _, err := l.Entry(i)
		if err != nil {
			return err
		}
		want := FromOp(rec)
		want.Index = e.Index
		if *e != want {
			return fmt.Errorf("%w: log entry %d is not the kernel's record of operation %d (%s)", storelog.ErrTampered, i, seq, rec.Kind)
		}
	}
	return nil
}
