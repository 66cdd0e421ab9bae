// Package storelog is the operation log kept in the kernel's store: it
// appends entries into the same *store.Batch as the state change they
// record, keeps tlog's stored hashes and the signed checkpoint of every size
// beside them, and serves entries, inclusion and consistency proofs,
// checkpoints and .audit exports. Check re-derives the whole log from its
// entries and reports the first thing that was tampered with.
//
// Because the entry, the new tree hashes and the new checkpoint go into the
// caller's batch, the log and the kernel state are written by one atomic,
// fsynced LevelDB write: they can never disagree after a crash.
//
// The kernel path is Stage (in a commit hook) and Wrap: the wrapped store's
// Write appends the staged entries under one lock, right before the write,
// so appends from the kernel and the security manager never race. Callers
// of Append/AppendAll directly must themselves serialise building a batch
// and writing it.
package storelog
