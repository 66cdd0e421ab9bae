// Command gohello is an example mcpzero plugin written in Go, built with
// GOOS=wasip1 GOARCH=wasm -buildmode=c-shared (see build.sh; `make wasm`).
//
// Methods:
//
//	greet    input: a name; output "hello, NAME (greeting #N)"; counts
//	         greetings in the agent's state under "greetings"
//	entropy  output: the time and 8 random bytes as the plugin sees them;
//	         the kernel's WASI is deterministic, so the output never changes
package main

func main() {}
