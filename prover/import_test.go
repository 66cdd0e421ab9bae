package prover

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/verifier"
)

func TestImportCeremonyKeys(t *testing.T) {
	cs, err := Compile(verifier.Groth16, &cubeCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	encode := func() (pk, vk []byte) {
		p, v, err := groth16.Setup(cs) // stands in for mpcsetup's ExtractKeys
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		p.WriteTo(&a)
		v.WriteTo(&b)
		return a.Bytes(), b.Bytes()
	}
	pk1, vk1 := encode()
	_, vk2 := encode()
	dir := t.TempDir()
	ks, _ := OpenKeyStore(dir)
	if _, err := ks.ImportCeremonyKeys("cube", verifier.Groth16, cs, pk1, vk2); !errors.Is(err, ErrKeyImport) {
		t.Fatalf("mismatched pair: got %v", err)
	}
	if _, err := ks.ImportCeremonyKeys("cube", verifier.Groth16, cs, pk1[:10], vk1); !errors.Is(err, ErrKeyImport) {
		t.Fatalf("truncated key: got %v", err)
	}
	if _, err := ks.ImportCeremonyKeys("cube", verifier.PLONK, cs, pk1, vk1); !errors.Is(err, ErrKeyImport) {
		t.Fatalf("PLONK import: got %v", err)
	}
	if _, err := ks.ImportCeremonyKeys("cube", verifier.Groth16, cs, pk1, vk1); err != nil {
		t.Fatal(err)
	}
	// A fresh store finds them on disk, labelled ceremony, and proves.
	ks2, _ := OpenKeyStore(dir)
	k, err := ks2.Load("cube", verifier.Groth16, cs)
	if err != nil || k.Setup != verifier.CeremonySetup {
		t.Fatalf("load: %v, setup %v", err, k.Setup)
	}
	w, _ := frontend.NewWitness(&cubeCircuit{X: 3, Y: 35}, ecc.BN254.ScalarField())
	if _, err := k.ProveWitness(context.Background(), cs, w); err != nil {
		t.Fatal(err)
	}
}
