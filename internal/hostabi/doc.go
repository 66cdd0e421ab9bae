// Package hostabi defines the host ABI shared by the kernel (on wazero) and
// the tracer (our interpreter): the import module name, the function names,
// and the exact semantics of the provable I/O functions, written once as pure
// functions over a Memory so that both sides compute identical results.
//
// The ABI is documented for plugin authors in docs/ABI.md.
package hostabi
