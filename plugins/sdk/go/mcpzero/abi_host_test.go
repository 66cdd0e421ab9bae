//go:build !wasip1

package mcpzero

import "testing"

func TestHostFake(t *testing.T) {
	TestHost = &Host{In: []byte("in"), State: map[string][]byte{}}
	if string(Input()) != "in" {
		t.Fatal("input")
	}
	Output([]byte("a"))
	Output([]byte("b"))
	Log("x")
	Set([]byte("k"), []byte("v"))
	if v, ok := Get([]byte("k")); !ok || string(v) != "v" {
		t.Fatal("get")
	}
	Delete([]byte("k"))
	if _, ok := Get([]byte("k")); ok {
		t.Fatal("delete")
	}
	if string(TestHost.Out) != "ab" || len(TestHost.Logs) != 1 {
		t.Fatalf("%+v", TestHost)
	}
}
