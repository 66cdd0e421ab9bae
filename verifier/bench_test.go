package verifier

import (
	"os"
	"testing"
)

// BenchmarkVerifyGolden decodes and verifies the committed three-segment
// toy bundle against its key set (Groth16, BN254): the auditor's cost per
// bundle, minus file I/O. Real segment circuits add one commitment check
// per proof; prover's BenchmarkVerify measures a real bundle.
func BenchmarkVerifyGolden(b *testing.B) {
	raw, err := os.ReadFile("testdata/toy.proof")
	if err != nil {
		b.Fatal(err)
	}
	keys, err := ReadKeySetFile("testdata/toy.vks")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var bd Bundle
		if err := bd.UnmarshalBinary(raw); err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(&bd, keys); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N)/3, "ms/segment")
}
