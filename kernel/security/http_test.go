package security

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpzero/mcpzero/internal/keys"
	"github.com/mcpzero/mcpzero/kernel"
	"github.com/mcpzero/mcpzero/plugins"
)

// TestHTTP: http_get reaches a host only when the manifest requests the
// http capability, the agent holds cap:http and a grant on the destination
// host; a host name is checked against the addresses it resolves to (here
// localhost, an internal address, is refused), redirects are not followed,
// and every response is recorded with the operation. Servers are local
// test servers on 127.0.0.1.
func TestHTTP(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hello":
			w.Write([]byte("hello from " + r.Host))
		case "/redirect":
			http.Redirect(w, r, "http://example.invalid/", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL) // http://127.0.0.1:PORT
	f := newFixture(t)
	pub, priv, _ := ed25519.GenerateKey(nil)
	wasm, err := os.ReadFile(filepath.Join("testdata", "http.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := kernel.Open(f.st, kernel.WithTrustedKeys(plugins.KeySet{keys.ID(pub): pub}),
		kernel.WithAuthorizer(&Authorizer{M: f.m}), kernel.WithHostCapabilities(&HostCaps{M: f.m}))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	install := func(name string, caps ...string) {
		w := append(append([]byte(nil), wasm...), 0, byte(2+len(name)), byte(len(name)))
		w = append(w, name+"!"...)
		s, _ := plugins.Sign(plugins.Manifest{Name: name, Version: "1.0.0", Methods: []string{"get"}, Capabilities: caps, Limits: plugins.Limits{MemoryPages: 1}}, w, priv)
		if _, err := k.InstallPlugin(ctx, s, w); err != nil {
			t.Fatal(err)
		}
	}
	install("sneaky")
	install("fetch", CapabilityHTTP)
	get := func(agent kernel.AgentID, u string) (int32, string, error) {
		r, err := k.ExecuteDetailed(ctx, agent, "get", []byte(u))
		if err != nil {
			return 0, "", err
		}
		return int32(binary.LittleEndian.Uint32(r.Output)), string(r.Output[4:]), nil
	}
	hello := srv.URL + "/hello"

	sneak, _ := k.Spawn(kernel.Constraints{})
	k.AttachPlugin(ctx, sneak, "sneaky")
	f.grant(t, string(sneak), "cap:http", OpUse)
	f.grant(t, string(sneak), "net:"+base.Hostname(), OpHTTP)
	if _, _, err := get(sneak, hello); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("http_get without requesting the capability: %v", err)
	}

	agent, _ := k.Spawn(kernel.Constraints{})
	if err := k.AttachPlugin(ctx, agent, "fetch"); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("attach without cap:http: %v", err)
	}
	f.grant(t, string(agent), "cap:http", OpUse)
	if err := k.AttachPlugin(ctx, agent, "fetch"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(agent, hello); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("destination not granted: %v", err)
	}
	f.grant(t, string(agent), "net:"+base.Host, OpHTTP) // 127.0.0.1:PORT
	n, body, err := get(agent, hello)
	if err != nil || n != int32(len(body)) || body != "hello from "+base.Host {
		t.Fatalf("granted GET: %d %q %v", n, body, err)
	}
	recs, _ := k.Records(agent, 1)
	rec, err := k.ExecRecord(recs[0].Seq)
	if err != nil || len(rec.Host) != 1 || rec.Host[0].Fn != plugins.FnHTTPGet || !bytes.HasSuffix(rec.Host[0].Value, []byte(body)) {
		t.Fatalf("response not recorded: %+v %v", rec, err)
	}
	if n, _, err := get(agent, srv.URL+"/missing"); err != nil || n != -404 {
		t.Fatalf("404: %d %v", n, err)
	}
	if n, _, err := get(agent, srv.URL+"/redirect"); err != nil || n != -302 {
		t.Fatalf("redirect followed or failed: %d %v", n, err)
	}
	// Another port of the same IP is not granted by net:IP:PORT.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("other")) }))
	defer other.Close()
	if _, _, err := get(agent, other.URL+"/"); !errors.Is(err, kernel.ErrPermissionDenied) {
		t.Fatalf("other port: %v", err)
	}
	// A granted host name that resolves to an internal address is refused:
	// the check is on the resolved destination.
	f.grant(t, string(agent), "net:localhost", OpHTTP)
	localURL := "http://localhost:" + base.Port() + "/hello"
	if _, _, err := get(agent, localURL); !errors.Is(err, kernel.ErrPermissionDenied) || !strings.Contains(err.Error(), "internal address") {
		t.Fatalf("localhost: %v", err)
	}
	for _, bad := range []string{"ftp://" + base.Host + "/", "http://user:pw@" + base.Host + "/hello", "not a url"} {
		if _, _, err := get(agent, bad); !errors.Is(err, kernel.ErrPermissionDenied) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
