//go:build wasip1

package mcpzero

import "unsafe"

//go:wasmimport mcpzero input_size
func inputSize() int32

//go:wasmimport mcpzero input_read
func inputRead(dst unsafe.Pointer, offset, length int32) int32

//go:wasmimport mcpzero output_write
func outputWrite(src unsafe.Pointer, length int32)

//go:wasmimport mcpzero log
func logLine(src unsafe.Pointer, length int32)

//go:wasmimport mcpzero state_get
func stateGet(key unsafe.Pointer, keyLen int32, dst unsafe.Pointer, capacity int32) int32

//go:wasmimport mcpzero state_set
func stateSet(key unsafe.Pointer, keyLen int32, val unsafe.Pointer, valLen int32)

//go:wasmimport mcpzero state_delete
func stateDelete(key unsafe.Pointer, keyLen int32)

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// Input returns the call's input bytes.
func Input() []byte {
	n := inputSize()
	b := make([]byte, n)
	if n > 0 {
		inputRead(ptr(b), 0, n)
	}
	return b
}

// Output appends b to the call's output.
func Output(b []byte) { outputWrite(ptr(b), int32(len(b))) }

// Log appends a line to the call's log.
func Log(s string) {
	b := []byte(s)
	logLine(ptr(b), int32(len(b)))
}

// Get returns the value of key in the agent's state.
func Get(key []byte) ([]byte, bool) {
	buf := make([]byte, 256)
	n := stateGet(ptr(key), int32(len(key)), ptr(buf), int32(len(buf)))
	if n < 0 {
		return nil, false
	}
	if int(n) > len(buf) {
		buf = make([]byte, n)
		n = stateGet(ptr(key), int32(len(key)), ptr(buf), n)
	}
	return buf[:n], true
}

// Set sets key to value in the agent's state; it is kept only if the call
// returns without a trap.
func Set(key, value []byte) { stateSet(ptr(key), int32(len(key)), ptr(value), int32(len(value))) }

// Delete removes key from the agent's state.
func Delete(key []byte) { stateDelete(ptr(key), int32(len(key))) }
