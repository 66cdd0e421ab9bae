package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// makeExport builds a log of n entries whose entry at index links bundle
// (when non-nil) and returns the export of that entry against size n.
func makeExport(t *testing.T, n, index int, bundle []byte) *Export {
	t.Helper()
	s, _, _ := testKey(t, 1)
	var tr MemTree
	var data [][]byte
	for i := 0; i < n; i++ {
		e := sampleEntry(uint64(i))
		if i == index && bundle != nil {
			e.Kind, e.Proof, e.Ref = KindProofStored, SHA256(bundle), e.Seq-1
		}
		b := encode(t, e)
		tr.Append(b)
		data = append(data, b)
	}
	c := checkpointAt(t, &tr, s.Name(), int64(n))
	msg, err := SignCheckpoint(c, s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.ProveInclusion(int64(index), int64(n))
	if err != nil {
		t.Fatal(err)
	}
	return &Export{Format: ExportFormat, Entry: data[index], Index: int64(index), Inclusion: p, Checkpoint: string(msg), ProofBundle: bundle}
}

func roundTrip(t *testing.T, x *Export) *Export {
	t.Helper()
	b, err := x.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	y, err := ParseExport(b)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestExportVerifies(t *testing.T) {
	_, v, _ := testKey(t, 1)
	x := roundTrip(t, makeExport(t, 21, 13, nil))
	got, err := VerifyExport(x, v)
	if err != nil {
		t.Fatal(err)
	}
	if got.Entry.Index != 13 || got.Checkpoint.Size != 21 || got.BundleChecked {
		t.Fatalf("%+v", got)
	}

	bundle := []byte("a proof bundle")
	x = roundTrip(t, makeExport(t, 5, 4, bundle))
	called := false
	got, err = VerifyExport(x, v, WithBundleVerifier(func(b []byte, e *Entry) error {
		called = bytes.Equal(b, bundle) && e.Kind == KindProofStored
		return nil
	}))
	if err != nil || !got.BundleChecked || !got.BundleVerified || !called {
		t.Fatalf("%+v %v called=%v", got, err, called)
	}
	boom := errors.New("bad zk proof")
	if _, err := VerifyExport(x, v, WithBundleVerifier(func([]byte, *Entry) error { return boom })); !errors.Is(err, boom) {
		t.Fatalf("bundle verifier error lost: %v", err)
	}
}

// Every way of tampering with an export is refused, naming what failed.
func TestExportTamper(t *testing.T) {
	_, v, _ := testKey(t, 1)
	_, otherV, _ := testKey(t, 2)
	bundle := []byte("bundle bytes")
	tests := []struct {
		name   string
		bundle []byte
		change func(x *Export)
		key    bool // use the other key
		want   error
		msg    string
	}{
		{name: "entry byte", change: func(x *Export) { x.Entry[len(x.Entry)-40] ^= 1 }, want: ErrInclusion, msg: "not in the tree"},
		{name: "entry undecodable", change: func(x *Export) { x.Entry = x.Entry[:10] }, want: ErrMalformedEntry, msg: "entry:"},
		{name: "index moved", change: func(x *Export) { x.Index = 2 }, want: ErrInclusion, msg: "declares index"},
		{name: "proof hash", change: func(x *Export) { x.Inclusion[1][5] ^= 1 }, want: ErrInclusion},
		{name: "proof dropped", change: func(x *Export) { x.Inclusion = x.Inclusion[1:] }, want: ErrInclusion},
		{name: "checkpoint size", change: func(x *Export) { x.Checkpoint = strings.Replace(x.Checkpoint, "\n9\n", "\n10\n", 1) }, want: ErrBadSignature, msg: "invalid signature"},
		{name: "checkpoint sig", change: func(x *Export) { x.Checkpoint = x.Checkpoint[:len(x.Checkpoint)-6] + "AAAA=\n" }, want: ErrBadSignature},
		{name: "other key", key: true, want: ErrBadSignature, msg: "not signed by the given key"},
		{name: "bundle changed", bundle: bundle, change: func(x *Export) { x.ProofBundle[0] ^= 1 }, want: ErrBundleMismatch, msg: "digest"},
		{name: "bundle removed", bundle: bundle, change: func(x *Export) { x.ProofBundle = nil }, want: ErrBundleMismatch, msg: "does not embed"},
		{name: "bundle added", change: func(x *Export) { x.ProofBundle = []byte("x") }, want: ErrBundleMismatch, msg: "links none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := makeExport(t, 9, 5, tt.bundle)
			if tt.change != nil {
				tt.change(x)
			}
			key := v
			if tt.key {
				key = otherV
			}
			_, err := VerifyExport(roundTrip(t, x), key)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
}

func TestParseExportRejects(t *testing.T) {
	good, _ := makeExport(t, 3, 1, nil).Marshal()
	var m map[string]any
	json.Unmarshal(good, &m)
	m["extra"] = 1
	extra, _ := json.Marshal(m)
	m2 := map[string]any{}
	json.Unmarshal(good, &m2)
	m2["format"] = "other/v9"
	format, _ := json.Marshal(m2)
	for name, b := range map[string][]byte{
		"not json": []byte("hello"),
		"extra":    extra,
		"format":   format,
		"trailing": append(append([]byte{}, good...), []byte("{}")...),
		"bad hash": bytes.Replace(good, []byte(`"inclusion": [`), []byte(`"inclusion": ["zz",`), 1),
		"too big":  make([]byte, MaxExportSize+1),
	} {
		if _, err := ParseExport(b); !errors.Is(err, ErrMalformedExport) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestCheckReplay(t *testing.T) {
	e := sampleEntry(4)
	ok := Outcome{StateBefore: e.StateBefore, StateAfter: e.StateAfter, Input: e.Input, Output: e.Output, Fuel: e.Fuel}
	if err := CheckReplay(&e, ok); err != nil {
		t.Fatal(err)
	}
	for field, change := range map[string]func(*Outcome){
		"state_before": func(o *Outcome) { o.StateBefore[0] ^= 1 },
		"state_after":  func(o *Outcome) { o.StateAfter[0] ^= 1 },
		"input":        func(o *Outcome) { o.Input[0] ^= 1 },
		"output":       func(o *Outcome) { o.Output[0] ^= 1 },
		"fuel":         func(o *Outcome) { o.Fuel++ },
	} {
		o := ok
		change(&o)
		err := CheckReplay(&e, o)
		var d *DivergenceError
		if !errors.As(err, &d) || !errors.Is(err, ErrDiverged) || d.Field != field || d.Index != 4 ||
			!strings.Contains(err.Error(), "first diverging entry is 4") {
			t.Errorf("%s: %v", field, err)
		}
	}
}
