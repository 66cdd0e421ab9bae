// Package fuel meters WebAssembly execution deterministically by
// instrumenting the module's bytecode before it is compiled.
//
// wazero has no fuel metering, and its context-deadline check runs only at
// loop headers (recursion without loops overruns it) and slows tight loops
// 42× on the compiler engine. Instead, Instrument rewrites every function
// body: at the start of each straight-line segment it subtracts the number
// of instructions of that segment from one added, exported, mutable i64
// global (ExportName), kept in a local while the function runs, and traps
// with `unreachable` as soon as the counter is negative. A segment that is
// certain to follow others (a loop's first segment, the code after a join)
// is paid by them instead (sink.go), so a while-loop pays once per
// iteration. The host writes the budget into the global before a call and
// reads what is left after it (Meter, Call).
//
// Because the charge is part of the program, the fuel a call uses is a
// property of the program and its input alone: identical on the compiler and
// the interpreter, across runs and machines, and a call that runs out traps
// at exactly the same instruction on both engines. For a call that returns
// without a trap, fuel used equals the number of WebAssembly instructions it
// executed, under the counting rules of docs/SECURITY.md ("Cost model of
// fuel"). A fuel trap is told from a plugin's own `unreachable` by the sign
// of the counter: negative means exhausted.
//
// The package parses only what it needs (import, global, export, function
// and code sections) and copies every other section byte for byte. Malformed
// input yields a *FormatError naming the section and byte offset, never a
// panic.
package fuel
