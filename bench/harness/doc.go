// Package harness is the measuring side of `make bench`: repeated timing with
// medians, spread and percentiles, peak memory of a child process, and the
// report written to bench/results/latest.{json,md}.
//
// The machine is shared and noisy, so every timing is a median over repeated
// runs, reported with its spread, and comparisons are ratios of runs made side
// by side in one process.
package harness
