package storelog

import (
	"errors"
	"testing"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

func TestStageProofAndExport(t *testing.T) {
	st := store.OpenMemory()
	defer st.Close()
	s, v := testKey(t, 1)
	ws := Wrap(st, New(st, WithSigner(s)))
	b := ws.NewBatch()
	Stage(b, op(1))
	if err := ws.Write(b); err != nil {
		t.Fatal(err)
	}
	proved, _, _ := ws.Log().Entry(0)
	bundle := []byte("bundle bytes")
	b = ws.NewBatch()
	d, err := StageProof(b, 1, proved, bundle)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Write(b); err != nil {
		t.Fatal(err)
	}
	l := ws.Log()
	e, _, err := l.Entry(1)
	if err != nil || e.Kind != auditlog.KindProofStored || e.Proof != d || e.Ref != 1 || e.Input != proved.Input || e.Output != proved.Output {
		t.Fatalf("%+v %v", e, err)
	}
	x, err := l.Export(1, 0, l.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	got, err := auditlog.VerifyExport(x, v)
	if err != nil || !got.BundleChecked {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := l.Bundle(auditlog.SHA256([]byte("other"))); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := StageProof(ws.NewBatch(), 2, proved, nil); err == nil {
		t.Fatal("empty bundle")
	}
}
