// Package store is the kernel's persistence: a small key-value interface with
// atomic batches, implemented on LevelDB (goleveldb). Every state-changing
// kernel operation writes its state change and its records in one Batch, so
// a crash either keeps all of an operation or none of it.
//
// Keys are namespaced by a prefix per kind of record (see the kernel's
// docs/ARCHITECTURE.md). The package knows nothing of those kinds.
package store
