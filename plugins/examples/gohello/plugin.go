//go:build wasip1

package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/mcpzero/mcpzero/plugins/sdk/go/mcpzero"
)

//go:wasmexport greet
func greet() {
	var n uint64
	if v, ok := mcpzero.Get([]byte("greetings")); ok && len(v) == 8 {
		n = binary.LittleEndian.Uint64(v)
	}
	n++
	mcpzero.Set([]byte("greetings"), binary.LittleEndian.AppendUint64(nil, n))
	name := string(mcpzero.Input())
	if name == "" {
		name = "world"
	}
	mcpzero.Log("greeting " + name)
	mcpzero.Output([]byte(fmt.Sprintf("hello, %s (greeting #%d)", name, n)))
}

//go:wasmexport entropy
func entropy() {
	var b [8]byte
	rand.Read(b[:])
	mcpzero.Output([]byte(fmt.Sprintf("time %d random %x", time.Now().UnixNano(), b)))
}
