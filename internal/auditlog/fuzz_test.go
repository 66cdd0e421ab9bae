package auditlog

import (
	"bytes"
	"errors"
	"testing"
)

// Hostile bytes never panic and fail with the package's typed errors; what
// decodes re-encodes to the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	for i := uint64(0); i < 3; i++ {
		b, _ := (&Entry{Index: i, Seq: i, Kind: KindExecute, Agent: "a", Detail: "d"}).Encode()
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEntry(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedEntry) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := e.Encode()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded entry re-encodes differently: %v", err)
		}
	})
}

// An export file of any bytes is refused with a typed error or verifies;
// it never panics.
func FuzzVerifyExport(f *testing.F) {
	s, v, _ := testKey(f, 1)
	var tr MemTree
	var data []byte
	for i := uint64(0); i < 5; i++ {
		data, _ = (&Entry{Index: i, Seq: i, Kind: KindSpawn}).Encode()
		tr.Append(data)
	}
	root, _ := tr.Root(5)
	msg, _ := SignCheckpoint(Checkpoint{Origin: s.Name(), Size: 5, Root: root}, s)
	p, _ := tr.ProveInclusion(4, 5)
	raw, _ := (&Export{Format: ExportFormat, Entry: data, Index: 4, Inclusion: p, Checkpoint: string(msg)}).Marshal()
	f.Add(raw)
	f.Add([]byte(`{"format":"mcpzero-audit-export/v1"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		x, err := ParseExport(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformedExport) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		_, err = VerifyExport(x, v)
		if err != nil && !errors.Is(err, ErrMalformedEntry) && !errors.Is(err, ErrMalformedCheckpoint) &&
			!errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrInclusion) && !errors.Is(err, ErrBundleMismatch) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseCheckpoint(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedCheckpoint) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(c.Body(), body) {
			t.Fatalf("parsed checkpoint %v formats as %q, not %q", c, c.Body(), body)
		}
	})
}
