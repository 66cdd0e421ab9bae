package circuits

import (
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
)

// BenchmarkProveSegment sets up the 1024-row standard shape once and
// proves one full segment of the sum loop per iteration (Groth16, BN254).
// Reported: constraints, setup seconds, and circuit rows / WebAssembly
// steps proven per second.
//
//	go test -run '^$' -bench ProveSegment -benchtime 1x ./circuits/
func BenchmarkProveSegment(b *testing.B) {
	shape := Shapes()[1]
	mod := loadModule(b, "core.wasm")
	tab, err := Table(mod)
	if err != nil {
		b.Fatal(err)
	}
	tr := run(b, mod, "sum", []uint64{200}, shape.Rows)
	assignment, cl, err := shape.Assign(tab, tr, 0)
	if err != nil {
		b.Fatal(err)
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, shape.NewCircuit())
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(start)
	full, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		b.Fatal(err)
	}
	pub, err := cl.PublicWitness()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var proveTime time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		proof, err := groth16.Prove(ccs, pk, full)
		if err != nil {
			b.Fatal(err)
		}
		proveTime += time.Since(t0)
		if err := groth16.Verify(proof, vk, pub); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := proveTime.Seconds() / float64(b.N)
	b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
	b.ReportMetric(setup.Seconds(), "setup-s")
	b.ReportMetric(per, "prove-s")
	b.ReportMetric(float64(shape.Rows)/per, "rows/s")
	b.ReportMetric(float64(cl.Steps)/per, "steps/s")
}
