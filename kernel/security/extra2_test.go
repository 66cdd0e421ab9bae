package security

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/kernel"
)

func TestRecordingFS(t *testing.T) {
	var got []kernel.HostValue
	r := &recordingFS{fsys: fstest.MapFS{"d/a.txt": {Data: []byte("x")}}, dir: "/m", record: func(v kernel.HostValue) { got = append(got, v) }}
	d, err := r.Open("d")
	if err != nil {
		t.Fatal(err)
	}
	ents, err := d.(fs.ReadDirFile).ReadDir(-1)
	if err != nil || len(ents) != 1 || len(got) != 1 || string(got[0].Value) != "/m/d\x00a.txt" {
		t.Fatalf("%v %v %q", ents, err, got)
	}
	if _, err := r.Open("missing"); err == nil {
		t.Fatal("opened a missing file")
	}
	f, _ := r.Open("d/a.txt")
	if _, err := f.(*recordingFile).ReadDir(1); err == nil {
		t.Fatal("ReadDir on a file")
	}
}

func TestHTTPGetDirect(t *testing.T) {
	f := newFixture(t)
	h := &HostCaps{M: f.m, AllowPrivate: true}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	ctx := context.Background()
	f.grant(t, "a", "net:localhost", OpHTTP)
	f.grant(t, "a", "net:no-such-host.invalid", OpHTTP)
	_, port, _ := splitHostPort(srv.URL)
	status, body, err := h.HTTPGet(ctx, "a", "http://localhost:"+port+"/")
	if err != nil || status != 200 || string(body) != "ok" {
		t.Fatalf("AllowPrivate localhost: %d %q %v", status, body, err)
	}
	if status, _, err := h.HTTPGet(ctx, "a", "http://no-such-host.invalid/"); err != nil || status != 0 {
		t.Fatalf("unresolvable host: %d %v", status, err)
	}
	f.grant(t, "a", "net:127.0.0.1:1", OpHTTP)
	if status, _, err := h.HTTPGet(ctx, "a", "http://127.0.0.1:1/"); err != nil || status != 0 {
		t.Fatalf("refused connection: %d %v", status, err)
	}
}

func splitHostPort(u string) (string, string, error) {
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] == ':' {
			return u[:i], u[i+1:], nil
		}
	}
	return u, "", errors.New("no port")
}

func TestManagerEdges(t *testing.T) {
	f := newFixture(t)
	if _, err := f.m.Key("nope"); !errors.Is(err, ErrUnknownKey) {
		t.Fatal(err)
	}
	if _, err := f.m.AddKey(f.consumer.pub, RoleParty); err != nil { // same key, same role: no-op
		t.Fatal(err)
	}
	other := newParty(t)
	if _, err := f.m.AddKey(other.pub, RoleParty); err != nil {
		t.Fatal(err)
	}
	// A revocation of an unknown agreement, and one that was already made.
	if err := f.m.RevokeAgreement(&AgreementRevocation{ID: "00"}); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	a := f.agreement(t, nil)
	f.m.RegisterAgreement(a)
	rev := &AgreementRevocation{ID: a.ID, Signer: f.consumer.id, Signature: signWith(f.consumer, RevocationBytes(a.ID))}
	if err := f.m.RevokeAgreement(rev); err != nil {
		t.Fatal(err)
	}
	if err := f.m.RevokeAgreement(rev); err != nil {
		t.Fatalf("second revocation: %v", err)
	}
	bad := *a
	bad.Terms.Version = 2
	if err := f.m.RegisterAgreement(&bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	if err := (&Agreement{ID: "x", Terms: a.Terms}).Sign(f.consumer.id, f.consumer.priv); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	// A failing hook aborts key registration.
	st := store.OpenMemory()
	defer st.Close()
	m, _ := Open(st, WithCommitHook(func(b *store.Batch, c *Change) error {
		if c.Kind == ChangeKeyAdd {
			return errors.New("log full")
		}
		return nil
	}))
	if _, err := m.AddKey(other.pub, RoleParty); err == nil || len(m.Keys()) != 0 {
		t.Fatalf("hook error ignored: %v", err)
	}
	// Admission without an agreement passes to the next admission.
	if rel, err := f.m.Admission(nil).Admit(context.Background(), "a", "m", kernel.Constraints{}); err != nil || rel == nil {
		t.Fatal(err)
	}
}
