package prover

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/mcpzero/mcpzero/verifier"
)

// Compile builds the constraint system of circuit for backend: R1CS for
// Groth16, sparse R1CS for PLONK, always over BN254.
func Compile(b verifier.Backend, circuit frontend.Circuit) (constraint.ConstraintSystem, error) {
	switch b {
	case verifier.Groth16:
		return frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	case verifier.PLONK:
		return frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, circuit)
	}
	return nil, fmt.Errorf("prover: unknown backend %v", b)
}

// CSDigest identifies a compiled constraint system for the key cache:
// SHA-256 over a domain tag, the gnark version, the backend, the curve and
// gnark's serialization of the system. Two circuits with the same digest
// accept exactly the same witnesses, so they can share keys; any change to
// the circuit, to gnark or to the backend gives another digest, so stale
// keys are never reused.
func CSDigest(b verifier.Backend, cs constraint.ConstraintSystem) ([32]byte, error) {
	h := sha256.New()
	fmt.Fprintf(h, "mcpzero/cs-digest/v1\x00%s\x00%s\x00%s\x00", verifier.GnarkVersion, b, verifier.Curve)
	if _, err := cs.WriteTo(h); err != nil {
		return [32]byte{}, fmt.Errorf("prover: serializing constraint system: %w", err)
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d, nil
}

// Keys are the proving and verifying keys of one compiled circuit shape.
type Keys struct {
	Shape    string
	Backend  verifier.Backend
	Setup    verifier.SetupKind
	CSDigest [32]byte
	// VK is the verifying key as it goes into key sets and bundles.
	VK *verifier.ShapeKey

	pk any // *groth16bn254.ProvingKey or *plonkbn254.ProvingKey
}

// DefaultKeysDir is $MCPZERO_KEYS_DIR, or mcpzero/keys under the user's
// cache directory.
func DefaultKeysDir() string {
	if d := os.Getenv("MCPZERO_KEYS_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "mcpzero", "keys")
	}
	return filepath.Join(".mcpzero", "keys")
}

// KeyStore caches keys on disk, one pair of files per constraint-system
// digest, and in memory for the life of the process. It is safe for
// concurrent use; two processes setting up the same shape at once both
// succeed and the last rename wins (either key pair is valid).
type KeyStore struct {
	dir string

	mu  sync.Mutex
	mem map[[32]byte]*Keys
}

// OpenKeyStore uses dir (created if missing) as the key cache.
func OpenKeyStore(dir string) (*KeyStore, error) {
	if dir == "" {
		dir = DefaultKeysDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("prover: key cache: %w", err)
	}
	return &KeyStore{dir: dir, mem: map[[32]byte]*Keys{}}, nil
}

// Dir is the cache directory.
func (s *KeyStore) Dir() string { return s.dir }

func (s *KeyStore) path(b verifier.Backend, d [32]byte, ext string) string {
	return filepath.Join(s.dir, fmt.Sprintf("%s-%s-%s.%s", b, verifier.Curve, hex.EncodeToString(d[:16]), ext))
}

// ErrNoKeys is returned by Load when no keys are cached for a circuit.
var ErrNoKeys = errors.New("no keys cached for this circuit; run `mcpzero setup`")

// Load returns the cached keys of cs, from memory or disk, or ErrNoKeys.
func (s *KeyStore) Load(shape string, b verifier.Backend, cs constraint.ConstraintSystem) (*Keys, error) {
	d, err := CSDigest(b, cs)
	if err != nil {
		return nil, err
	}
	return s.load(shape, b, d)
}

func (s *KeyStore) load(shape string, b verifier.Backend, d [32]byte) (*Keys, error) {
	s.mu.Lock()
	k := s.mem[d]
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	vkf, err := readKeyFile(s.path(b, d, "vk"), b, d, kindVK)
	if err != nil {
		return nil, err
	}
	k = &Keys{Shape: shape, Backend: b, Setup: vkf.setup, CSDigest: d,
		VK: &verifier.ShapeKey{Shape: shape, CSDigest: d, Raw: vkf.body}}
	set := &verifier.KeySet{GnarkVersion: verifier.GnarkVersion, Backend: b, Curve: verifier.Curve, Setup: k.Setup}
	if err := set.Add(k.VK); err != nil {
		return nil, fmt.Errorf("prover: key cache %s: %w", s.path(b, d, "vk"), err)
	}
	// The proving key (1.2 GB for the 8192-row shape) is decoded straight
	// from the file: reading the file into memory first held it twice.
	path := s.path(b, d, "pk")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoKeys
	}
	if err != nil {
		return nil, fmt.Errorf("prover: key cache: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	pkf, err := readKeyHeader(r, path, b, d, kindPK)
	if err != nil {
		return nil, err
	}
	if pkf.setup != vkf.setup {
		return nil, fmt.Errorf("prover: key cache: proving and verifying key of %s disagree on the setup kind", shape)
	}
	switch b {
	case verifier.Groth16:
		pk := new(groth16bn254.ProvingKey)
		if err := pk.ReadDump(r); err != nil {
			return nil, fmt.Errorf("prover: key cache %s: %w", path, err)
		}
		k.pk = pk
	case verifier.PLONK:
		// The cache is the prover's own: a tampered proving key can only
		// make proofs that fail to verify, so the subgroup checks of
		// ReadFrom are skipped for speed.
		pk := new(plonkbn254.ProvingKey)
		if _, err := pk.UnsafeReadFrom(r); err != nil {
			return nil, fmt.Errorf("prover: key cache %s: %w", path, err)
		}
		k.pk = pk
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("prover: key cache %s: %w: trailing bytes after the proving key", path, verifier.ErrEncoding)
	}
	s.mu.Lock()
	s.mem[d] = k
	s.mu.Unlock()
	return k, nil
}

// keepOnly drops from memory the keys of every constraint system but
// those in keep: a process that proved with a large shape once should not
// hold its proving key while it proves with another. They are read from
// disk again when needed.
func (s *KeyStore) keepOnly(keep map[[32]byte]bool) (dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for d := range s.mem {
		if !keep[d] {
			delete(s.mem, d)
			dropped++
		}
	}
	return dropped
}

func readAll(f func(io.Reader) (int64, error), b []byte) error {
	n, err := f(bytes.NewReader(b))
	if err == nil && n != int64(len(b)) {
		err = fmt.Errorf("%d trailing bytes", int64(len(b))-n)
	}
	return err
}

// LoadOrSetup returns the cached keys of cs, running a DEV setup and caching
// its keys when there are none. created says whether a setup ran.
func (s *KeyStore) LoadOrSetup(ctx context.Context, shape string, b verifier.Backend, cs constraint.ConstraintSystem) (k *Keys, created bool, err error) {
	d, err := CSDigest(b, cs)
	if err != nil {
		return nil, false, err
	}
	k, err = s.load(shape, b, d)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, ErrNoKeys) {
		return nil, false, err
	}
	k, err = devSetup(ctx, shape, b, cs, d)
	if err != nil {
		return nil, false, err
	}
	if err := s.store(k); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	s.mem[d] = k
	s.mu.Unlock()
	releaseMemory() // the setup's tables are garbage now; proving should not start on top of them
	return k, true, nil
}

// devSetup runs a single-party setup. Whoever runs it could keep the toxic
// waste, so the keys are labelled DevSetup everywhere they go.
func devSetup(ctx context.Context, shape string, b verifier.Backend, cs constraint.ConstraintSystem, d [32]byte) (*Keys, error) {
	type result struct {
		pk, vk any
		err    error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		switch b {
		case verifier.Groth16:
			pk, vk, err := groth16.Setup(cs)
			r = result{pk, vk, err}
		case verifier.PLONK:
			// A fresh random toxic value per setup: unsafekzg would
			// otherwise reuse one SRS per size for the whole process.
			tau, err := rand.Int(rand.Reader, ecc.BN254.ScalarField())
			if err != nil {
				r.err = err
				break
			}
			srs, lag, err := unsafekzg.NewSRS(cs, unsafekzg.WithToxicValue(tau))
			if err != nil {
				r.err = err
				break
			}
			pk, vk, err := plonk.Setup(cs, srs, lag)
			r = result{pk, vk, err}
		default:
			r.err = fmt.Errorf("unknown backend %v", b)
		}
		done <- r
	}()
	var r result
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r = <-done:
	}
	if r.err != nil {
		return nil, fmt.Errorf("prover: setup of shape %s: %w", shape, r.err)
	}
	var vkBuf bytes.Buffer
	if _, err := r.vk.(io.WriterTo).WriteTo(&vkBuf); err != nil {
		return nil, err
	}
	k := &Keys{Shape: shape, Backend: b, Setup: verifier.DevSetup, CSDigest: d, pk: r.pk,
		VK: &verifier.ShapeKey{Shape: shape, CSDigest: d, Raw: vkBuf.Bytes()}}
	set := &verifier.KeySet{GnarkVersion: verifier.GnarkVersion, Backend: b, Curve: verifier.Curve, Setup: k.Setup}
	if err := set.Add(k.VK); err != nil {
		return nil, err
	}
	return k, nil
}

func (s *KeyStore) store(k *Keys) error {
	// The proving key is written straight to the file: serializing it to
	// a buffer first held a second copy (1.2 GB for the 8192-row shape).
	var body func(io.Writer) error
	switch pk := k.pk.(type) {
	case *groth16bn254.ProvingKey:
		body = pk.WriteDump
	case *plonkbn254.ProvingKey:
		body = func(w io.Writer) error { _, err := pk.WriteRawTo(w); return err }
	default:
		return fmt.Errorf("prover: serializing proving key: unexpected proving key type %T", k.pk)
	}
	if err := writeKeyFile(s.path(k.Backend, k.CSDigest, "pk"), k, kindPK, body); err != nil {
		return err
	}
	return writeKeyFile(s.path(k.Backend, k.CSDigest, "vk"), k, kindVK, func(w io.Writer) error {
		_, err := w.Write(k.VK.Raw)
		return err
	})
}

// Key files: magic, format version, gnark version, backend, curve, setup
// kind, shape, constraint-system digest, kind (pk/vk), then gnark's bytes.
const keyFileMagic = "MCPZKEY\x00"
const keyFileVersion = 1

const (
	kindPK = 1
	kindVK = 2
)

func writeKeyFile(path string, k *Keys, kind uint8, body func(io.Writer) error) error {
	var hdr bytes.Buffer
	hdr.WriteString(keyFileMagic)
	binary.Write(&hdr, binary.BigEndian, uint16(keyFileVersion))
	writeStr(&hdr, verifier.GnarkVersion)
	hdr.WriteByte(uint8(k.Backend))
	writeStr(&hdr, verifier.Curve)
	hdr.WriteByte(uint8(k.Setup))
	writeStr(&hdr, k.Shape)
	hdr.Write(k.CSDigest[:])
	hdr.WriteByte(kind)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-key-*")
	if err != nil {
		return fmt.Errorf("prover: key cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	w.Write(hdr.Bytes())
	if err := body(w); err != nil {
		tmp.Close()
		return fmt.Errorf("prover: key cache: writing %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("prover: key cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("prover: key cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("prover: key cache: %w", err)
	}
	return nil
}

func writeStr(w *bytes.Buffer, s string) {
	binary.Write(w, binary.BigEndian, uint32(len(s)))
	w.WriteString(s)
}

type keyFile struct {
	setup verifier.SetupKind
	shape string
	body  []byte
}

func readKeyFile(path string, b verifier.Backend, d [32]byte, kind uint8) (*keyFile, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoKeys
	}
	if err != nil {
		return nil, fmt.Errorf("prover: key cache: %w", err)
	}
	r := bytes.NewReader(raw)
	kf, err := readKeyHeader(r, path, b, d, kind)
	if err != nil {
		return nil, err
	}
	kf.body = raw[len(raw)-r.Len():]
	return kf, nil
}

// readKeyHeader reads and checks a key file's header from r, leaving r at
// the start of gnark's bytes.
func readKeyHeader(r io.Reader, path string, b verifier.Backend, d [32]byte, kind uint8) (*keyFile, error) {
	bad := func(what string) error {
		return fmt.Errorf("prover: key cache %s: %w: %s", path, verifier.ErrEncoding, what)
	}
	magic := make([]byte, len(keyFileMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != keyFileMagic {
		return nil, bad("not an mcpzero key file")
	}
	var ver uint16
	if binary.Read(r, binary.BigEndian, &ver) != nil {
		return nil, bad("truncated header")
	}
	if ver != keyFileVersion {
		return nil, fmt.Errorf("prover: key cache %s: %w: key file format %d, this build reads %d", path, verifier.ErrVersion, ver, keyFileVersion)
	}
	gv, err := readStr(r)
	if err != nil {
		return nil, bad("truncated header")
	}
	if gv != verifier.GnarkVersion {
		return nil, fmt.Errorf("prover: key cache %s: %w: written with gnark %s, this build uses %s; run `mcpzero setup` again", path, verifier.ErrVersion, gv, verifier.GnarkVersion)
	}
	kf := &keyFile{}
	var one [1]byte
	readByte := func() (byte, error) { _, err := io.ReadFull(r, one[:]); return one[0], err }
	fb, err0 := readByte()
	curve, err1 := readStr(r)
	sk, err5 := readByte()
	shape, err2 := readStr(r)
	var dd [32]byte
	_, err3 := io.ReadFull(r, dd[:])
	k, err4 := readByte()
	if err := errors.Join(err0, err1, err2, err3, err4, err5); err != nil {
		return nil, bad("truncated header")
	}
	if verifier.Backend(fb) != b || curve != verifier.Curve || dd != d || k != kind {
		return nil, bad("header does not match its file name (backend, curve, digest or kind)")
	}
	kf.setup, kf.shape = verifier.SetupKind(sk), shape
	if kf.setup != verifier.DevSetup && kf.setup != verifier.CeremonySetup {
		return nil, bad("unknown setup kind")
	}
	return kf, nil
}

// maxKeyString bounds the header's strings (gnark version, curve, shape
// id), so that a corrupt length cannot allocate gigabytes.
const maxKeyString = 1 << 12

func readStr(r io.Reader) (string, error) {
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return "", err
	}
	if n > maxKeyString {
		return "", io.ErrUnexpectedEOF
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return string(b), err
}
