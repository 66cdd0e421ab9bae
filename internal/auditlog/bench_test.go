package auditlog

import (
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

type recordProof struct {
	index int64
	data  []byte
	proof tlog.RecordProof
}

// BenchmarkInclusion measures, for logs of 10^3, 10^5 and 10^6 entries, the
// size of an inclusion proof (the largest over sampled indexes, reported as
// metrics) and the time to verify one (ns/op of the verify sub-benchmark).
// Each tree is built once, in memory (MemTree).
func BenchmarkInclusion(b *testing.B) {
	_, _, pub := testKey(b, 1)
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		var tr MemTree
		var recs []recordProof
		step := n / 7
		for i := 0; i < n; i++ {
			enc := encode(b, sampleEntry(uint64(i)))
			if _, err := tr.Append(enc); err != nil {
				b.Fatal(err)
			}
			if i%step == 0 || i == n-1 {
				recs = append(recs, recordProof{index: int64(i), data: enc})
			}
		}
		root, err := tr.Root(int64(n))
		if err != nil {
			b.Fatal(err)
		}
		c := Checkpoint{Origin: Origin(pub), Size: int64(n), Root: root}
		maxHashes := 0
		for i := range recs {
			p, err := tr.ProveInclusion(recs[i].index, int64(n))
			if err != nil {
				b.Fatal(err)
			}
			recs[i].proof = p
			maxHashes = max(maxHashes, len(p))
		}
		b.Run(fmt.Sprintf("n=%d/verify", n), func(b *testing.B) {
			b.ReportMetric(float64(maxHashes), "proof-hashes")
			b.ReportMetric(float64(tlog.HashSize*maxHashes), "proof-bytes")
			for i := 0; i < b.N; i++ {
				r := recs[i%len(recs)]
				if err := VerifyInclusion(c, r.index, r.data, r.proof); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/prove", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := tr.ProveInclusion(recs[i%len(recs)].index, int64(n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyExport is the auditor's whole offline check of one .audit
// file (signature, decode, inclusion in a log of 10^5 entries).
func BenchmarkVerifyExport(b *testing.B) {
	s, v, _ := testKey(b, 1)
	var tr MemTree
	const n = 100_000
	var data []byte
	for i := 0; i < n; i++ {
		enc := encode(b, sampleEntry(uint64(i)))
		tr.Append(enc)
		if i == 54_321 {
			data = enc
		}
	}
	root, _ := tr.Root(n)
	msg, err := SignCheckpoint(Checkpoint{Origin: s.Name(), Size: n, Root: root}, s)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := tr.ProveInclusion(54_321, n)
	raw, _ := (&Export{Format: ExportFormat, Entry: data, Index: 54_321, Inclusion: p, Checkpoint: string(msg)}).Marshal()
	b.ReportMetric(float64(len(raw)), "file-bytes")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, err := ParseExport(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := VerifyExport(x, v); err != nil {
			b.Fatal(err)
		}
	}
}
