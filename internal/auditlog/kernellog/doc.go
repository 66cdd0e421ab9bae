// Package kernellog connects the operation log to the kernel: commit hooks
// that stage one log entry per kernel operation and per security change in
// the operation's own batch (storelog.Stage; the wrapped store appends them
// at the write), the mapping from the kernel's OpRecord to a log entry, the
// kernel's checkpoint key, and Replay, which re-executes the log from
// genesis on a fresh kernel and reports the first diverging entry.
package kernellog
