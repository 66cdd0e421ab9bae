// Package plugins loads, verifies and runs WebAssembly plugins: a plugin is a
// .wasm module plus a manifest signed with ed25519. Plugins run on wazero with
// a deterministic configuration and the host ABI documented in docs/ABI.md.
package plugins
