//go:build !wasip1

package mcpzero

// Host is the in-memory host the SDK uses outside wasip1, so that plugin
// logic can be tested natively: set In and State, call the method, read Out,
// State and Logs.
type Host struct {
	In    []byte
	Out   []byte
	Logs  []string
	State map[string][]byte
}

// TestHost is the host the functions below use outside wasip1.
var TestHost = &Host{State: map[string][]byte{}}

// Input returns the call's input bytes.
func Input() []byte { return append([]byte(nil), TestHost.In...) }

// Output appends b to the call's output.
func Output(b []byte) { TestHost.Out = append(TestHost.Out, b...) }

// Log appends a line to the call's log.
func Log(s string) { TestHost.Logs = append(TestHost.Logs, s) }

// Get returns the value of key in the agent's state.
func Get(key []byte) ([]byte, bool) {
	v, ok := TestHost.State[string(key)]
	return append([]byte(nil), v...), ok
}

// Set sets key to value in the agent's state.
func Set(key, value []byte) { TestHost.State[string(key)] = append([]byte(nil), value...) }

// Delete removes key from the agent's state.
func Delete(key []byte) { delete(TestHost.State, string(key)) }
