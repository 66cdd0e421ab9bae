// Package bench holds the benchmark programs and the harness behind
// `make bench`, which measures the kernel and the prover side by side with
// their peers and writes bench/results/latest.{json,md}.
package bench
