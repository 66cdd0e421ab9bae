package prover

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/mcpzero/mcpzero/verifier"
)

func TestBackendRoundTrip(t *testing.T) {
	for _, b := range []verifier.Backend{verifier.Groth16, verifier.PLONK} {
		t.Run(b.String(), func(t *testing.T) {
			cs, err := Compile(b, &cubeCircuit{})
			if err != nil {
				t.Fatal(err)
			}
			d1, _ := CSDigest(b, cs)
			cs2, _ := Compile(b, &cubeCircuit{})
			d2, _ := CSDigest(b, cs2)
			if d1 != d2 {
				t.Fatalf("constraint-system digest not deterministic: %x vs %x", d1, d2)
			}
			other := verifier.Groth16
			if b == verifier.Groth16 {
				other = verifier.PLONK
			}
			if d3, _ := CSDigest(other, cs); d3 == d1 {
				t.Fatal("digest does not depend on the backend")
			}

			dir := t.TempDir()
			ks, err := OpenKeyStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ks.Load("cube", b, cs); !errors.Is(err, ErrNoKeys) {
				t.Fatalf("Load before setup: got %v, want ErrNoKeys", err)
			}
			k, created, err := ks.LoadOrSetup(context.Background(), "cube", b, cs)
			if err != nil || !created {
				t.Fatalf("LoadOrSetup: created=%v err=%v", created, err)
			}
			if k.Setup != verifier.DevSetup {
				t.Fatalf("setup kind %v, want dev", k.Setup)
			}
			// A fresh store on the same directory must find the keys on disk.
			ks2, _ := OpenKeyStore(dir)
			k2, created, err := ks2.LoadOrSetup(context.Background(), "cube", b, cs)
			if err != nil || created {
				t.Fatalf("reload: created=%v err=%v", created, err)
			}
			if k2.VK.Fingerprint() != k.VK.Fingerprint() {
				t.Fatal("reloaded verifying key differs")
			}

			good, _ := frontend.NewWitness(&cubeCircuit{X: 3, Y: 35}, ecc.BN254.ScalarField())
			proof, err := k2.ProveWitness(context.Background(), cs, good)
			if err != nil {
				t.Fatal(err)
			}
			pub := fr.Vector{fr.NewElement(35)}
			if err := k.VK.VerifyProof(b, proof, pub); err != nil {
				t.Fatalf("valid proof rejected: %v", err)
			}
			wrong := fr.Vector{fr.NewElement(36)}
			if err := k.VK.VerifyProof(b, proof, wrong); !errors.Is(err, verifier.ErrProofInvalid) {
				t.Fatalf("changed public input: got %v, want ErrProofInvalid", err)
			}
			flipped := append([]byte(nil), proof...)
			flipped[len(flipped)/2] ^= 1
			if err := k.VK.VerifyProof(b, flipped, pub); err == nil {
				t.Fatal("flipped proof byte accepted")
			}

			bad, _ := frontend.NewWitness(&cubeCircuit{X: 3, Y: 36}, ecc.BN254.ScalarField())
			if _, err := k.ProveWitness(context.Background(), cs, bad); !errors.Is(err, ErrUnsatisfied) {
				t.Fatalf("unsatisfied witness: got %v, want ErrUnsatisfied", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := k.ProveWitness(ctx, cs, good); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled: got %v", err)
			}
		})
	}
}

func TestKeyFileVersionMismatch(t *testing.T) {
	dir := t.TempDir()
	b := verifier.Groth16
	cs, err := Compile(b, &cubeCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := OpenKeyStore(dir)
	if _, _, err := ks.LoadOrSetup(context.Background(), "cube", b, cs); err != nil {
		t.Fatal(err)
	}
	vks, _ := filepath.Glob(filepath.Join(dir, "*.vk"))
	if len(vks) != 1 {
		t.Fatalf("want one vk file, got %v", vks)
	}
	raw, _ := os.ReadFile(vks[0])
	// Same length as the real version, so the header layout is unchanged.
	fake := strings.Repeat("9", len(verifier.GnarkVersion))
	patched := strings.Replace(string(raw), verifier.GnarkVersion, fake, 1)
	os.WriteFile(vks[0], []byte(patched), 0o644)
	ks2, _ := OpenKeyStore(dir)
	_, err = ks2.Load("cube", b, cs)
	if !errors.Is(err, verifier.ErrVersion) || !strings.Contains(err.Error(), fake) {
		t.Fatalf("got %v, want ErrVersion naming %s", err, fake)
	}
	os.WriteFile(vks[0], []byte("garbage"), 0o644)
	if _, err := ks2.Load("cube", b, cs); !errors.Is(err, verifier.ErrEncoding) {
		t.Fatalf("got %v, want ErrEncoding", err)
	}
}
