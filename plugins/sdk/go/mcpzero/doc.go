// Package mcpzero is the guest SDK for mcpzero plugins written in Go: it
// wraps the host ABI (docs/ABI.md) that plugins import from the module
// "mcpzero".
//
// Build a plugin with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//
// and export each method with //go:wasmexport:
//
//	//go:wasmexport greet
//	func greet() { mcpzero.Output(append([]byte("hello, "), mcpzero.Input()...)) }
//
// The manifest must request the "wasi" capability: Go's runtime imports WASI,
// which the kernel provides deterministically (fake clock, seeded randomness,
// no files). Outside wasip1 the package runs against an in-memory host
// (see Host), so that plugin logic can be unit-tested with go test.
package mcpzero
