package verifier

import (
	"bytes"
	"fmt"
	"os"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Status is how the proven run ended.
type Status uint8

const (
	// Returned: the export returned normally with Results / Output.
	Returned Status = 1
	// Trapped: the run trapped; Statement.Trap says why. A trap is an
	// outcome that is proven like any other, not an error.
	Trapped Status = 2
)

func (s Status) String() string {
	switch s {
	case Returned:
		return "returned"
	case Trapped:
		return "trapped"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Statement is what a bundle proves:
//
//	executing module Module, export Function, on Args / Input, under
//	WebAssembly semantics, ends with Status (Trap) and Results / Output after
//	exactly Steps steps; the segment claims' Merkle root is TraceRoot.
//
// The cleartext fields (Function, Args, Input, Results, Output) are bound to
// the proofs through the digests the circuits expose as public inputs; the
// verifier recomputes those digests, so a bundle cannot show one thing and
// prove another.
type Statement struct {
	Module   fr.Element // module commitment (code, data, globals, memory limits)
	Function uint32     // index of the called function in the module's function space
	// Export is the export name the prover called. It is display only: the
	// proofs bind Function (the index); `--module` checks the name too.
	Export    string
	Args      []uint64 // arguments as passed, i32 zero-extended
	Input     []byte   // input bytes (host I/O ABI)
	Status    Status
	Trap      uint32   // trap kind when Status == Trapped, else 0 (claim.TrapKind)
	Results   []uint64 // results (empty on a trap)
	Output    []byte   // output bytes written
	Steps     uint64   // executed instructions
	TraceRoot fr.Element
}

// Segment is one segment proof and the public inputs (the segment claim)
// it proves.
type Segment struct {
	Shape  string      // circuit shape (capacity class) the proof is for
	Key    Fingerprint // fingerprint of that shape's verifying key
	Public fr.Vector   // the proof's public inputs: the segment claim
	Proof  []byte      // gnark's encoding of the proof
}

// Bundle is a proof of one run, verifiable offline from the file alone and a
// trusted key set.
type Bundle struct {
	GnarkVersion string
	Backend      Backend
	Curve        string
	// Setup is the setup kind of the keys the prover used. It is the
	// prover's word; the verifier trusts the pinned key set's kind.
	Setup     SetupKind
	KeySet    Fingerprint // fingerprint of the prover's key set
	Statement Statement
	Segments  []Segment
	// Keys optionally embeds the verifying keys, for convenience. A
	// verification that uses them says loudly that the key was not pinned.
	Keys *KeySet
}

const bundleMagic = "MCPZPRF\x00"

// BundleFormatVersion is the version of the bundle encoding written by this
// build (docs/BUNDLE.md). Decoders refuse other versions. Versions 2 and
// 3 have version 1's layout. Version 2's statement digests (list digests,
// module commitment) use the width-12 Poseidon2 sponge of package claim,
// so a version 1 bundle's statement would not check; version 3's module
// commitment encodes and/or/xor/popcnt as one program entry each, where
// version 2 followed them with nibble pseudo-entries, and an unsigned
// load with one byte entry fewer, so a version 2 bundle of a module using
// them would not match its module. Version 4 has version 3's layout and
// statement; its proofs come from segment circuits that range-check R,
// D1, L1 and L2 unscaled as well as scaled (docs/CIRCUITS.md, "Scaled
// range checks"): version 3's circuits accepted fractional cells that let
// a prover forge i32 arithmetic, shifts, comparisons, stores and more, so
// this build refuses those bundles whatever key they come with. Version 5
// has version 4's layout; its module commitment's program table has no
// byte entries after loads and stores (their bytes are in the segment
// circuits' memory table), so a version 4 bundle of a module that loads or
// stores would not match its module.
const BundleFormatVersion = 5

// maxVec bounds counts read from a bundle (args, results, public inputs)
// before allocation.
const maxVec = 1 << 20

// MarshalBinary encodes the bundle canonically: decoding and re-encoding
// gives the same bytes.
func (b *Bundle) MarshalBinary() ([]byte, error) {
	w := &wireWriter{}
	w.raw([]byte(bundleMagic))
	w.u16(BundleFormatVersion)
	w.str(b.GnarkVersion)
	w.u8(uint8(b.Backend))
	w.str(b.Curve)
	w.u8(uint8(b.Setup))
	w.raw(b.KeySet[:])

	s := &b.Statement
	fe := s.Module.Bytes()
	w.raw(fe[:])
	w.u32(s.Function)
	w.str(s.Export)
	w.u32(uint32(len(s.Args)))
	for _, a := range s.Args {
		w.u64(a)
	}
	w.bytes(s.Input)
	w.u8(uint8(s.Status))
	w.u32(s.Trap)
	w.u32(uint32(len(s.Results)))
	for _, r := range s.Results {
		w.u64(r)
	}
	w.bytes(s.Output)
	w.u64(s.Steps)
	fe = s.TraceRoot.Bytes()
	w.raw(fe[:])

	w.u32(uint32(len(b.Segments)))
	for _, seg := range b.Segments {
		w.str(seg.Shape)
		w.raw(seg.Key[:])
		w.u32(uint32(len(seg.Public)))
		for i := range seg.Public {
			fe := seg.Public[i].Bytes()
			w.raw(fe[:])
		}
		w.bytes(seg.Proof)
	}
	if b.Keys == nil {
		w.u8(0)
	} else {
		w.u8(1)
		ks, err := b.Keys.MarshalBinary()
		if err != nil {
			return nil, err
		}
		w.bytes(ks)
	}
	return w.b, nil
}

// UnmarshalBinary decodes a bundle. It checks the encoding only (magic,
// versions, canonical field elements, no trailing bytes); Verify checks
// what it proves.
func (b *Bundle) UnmarshalBinary(data []byte) error {
	if !bytes.HasPrefix(data, []byte(bundleMagic)) {
		return encodingErr("not an mcpzero proof bundle (bad magic)", nil)
	}
	r := &wireReader{b: data[len(bundleMagic):]}
	v := r.u16()
	gv := r.str()
	if r.err != nil {
		return encodingErr("bundle header", r.err)
	}
	if v != BundleFormatVersion {
		return fmt.Errorf("%w: bundle format version %d, this build reads %d (prove the run again)", ErrVersion, v, BundleFormatVersion)
	}
	if gv != GnarkVersion {
		return fmt.Errorf("%w: bundle made with gnark %s, this build uses gnark %s", ErrVersion, gv, GnarkVersion)
	}
	out := Bundle{GnarkVersion: gv}
	out.Backend = Backend(r.u8())
	out.Curve = r.str()
	out.Setup = SetupKind(r.u8())
	copy(out.KeySet[:], r.take(len(out.KeySet)))
	if r.err == nil && (!out.Backend.Valid() || out.Curve != Curve || !out.Setup.valid()) {
		return encodingErr(fmt.Sprintf("bundle names backend %v, curve %q, setup %v", out.Backend, out.Curve, out.Setup), nil)
	}

	var feErr error
	readFE := func(e *fr.Element) {
		raw := r.take(fr.Bytes)
		if raw == nil {
			return
		}
		// SetBytesCanonical refuses values >= the modulus, so every
		// element has exactly one encoding and round trips are stable.
		if err := e.SetBytesCanonical(raw); err != nil && feErr == nil {
			feErr = err
		}
	}
	s := &out.Statement
	readFE(&s.Module)
	s.Function = r.u32()
	s.Export = r.str()
	if n := r.count(8); n > 0 {
		s.Args = make([]uint64, n)
		for i := range s.Args {
			s.Args[i] = r.u64()
		}
	}
	s.Input = r.bytes()
	s.Status = Status(r.u8())
	s.Trap = r.u32()
	if n := r.count(8); n > 0 {
		s.Results = make([]uint64, n)
		for i := range s.Results {
			s.Results[i] = r.u64()
		}
	}
	s.Output = r.bytes()
	s.Steps = r.u64()
	readFE(&s.TraceRoot)
	if r.err != nil {
		return encodingErr("statement", r.err)
	}
	if s.Status != Returned && s.Status != Trapped {
		return encodingErr(fmt.Sprintf("statement status %d", s.Status), nil)
	}

	n := r.count(4 + 8 + 4 + 4)
	for i := 0; i < n && r.err == nil; i++ {
		var seg Segment
		seg.Shape = r.str()
		copy(seg.Key[:], r.take(len(seg.Key)))
		m := r.count(fr.Bytes)
		seg.Public = make(fr.Vector, m)
		for j := range seg.Public {
			readFE(&seg.Public[j])
		}
		seg.Proof = r.bytes()
		out.Segments = append(out.Segments, seg)
	}
	if r.err != nil {
		return encodingErr("segments", r.err)
	}
	switch r.u8() {
	case 0:
	case 1:
		var ks KeySet
		raw := r.bytes()
		if r.err != nil {
			return encodingErr("embedded keys", r.err)
		}
		if err := ks.unmarshal(raw, false); err != nil {
			return fmt.Errorf("embedded keys: %w", err)
		}
		out.Keys = &ks
	default:
		return encodingErr("embedded-keys flag", nil)
	}
	if err := r.done(); err != nil {
		return encodingErr("bundle", err)
	}
	if feErr != nil {
		return encodingErr("non-canonical field element", feErr)
	}
	if len(out.Segments) == 0 {
		return encodingErr("bundle has no segments", nil)
	}
	*b = out
	return nil
}

// ReadBundleFile reads and decodes a bundle file.
func ReadBundleFile(path string) (*Bundle, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b Bundle
	if err := b.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &b, nil
}

// WriteFile encodes the bundle to path.
func (b *Bundle) WriteFile(path string) error {
	raw, err := b.MarshalBinary()
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}
