package claim

import (
	"errors"
	"fmt"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
)

func chain(t *testing.T, n int, stmt *Statement) []Claim {
	t.Helper()
	claims := make([]Claim, n)
	prev := stmt.Initial()
	var total uint64
	for i := range claims {
		next := Hash(U64(TagState), U64(uint64(i)))
		if i == n-1 {
			next = stmt.Final()
		}
		claims[i] = Claim{Module: stmt.Module, Before: prev, After: next, Steps: uint64(10 + i)}
		total += claims[i].Steps
		prev = next
	}
	stmt.Steps = total
	root, err := MerkleRoot(claims)
	if err != nil {
		t.Fatal(err)
	}
	stmt.TraceRoot = root
	return claims
}

func baseStatement() Statement {
	return Statement{
		Module:   Hash(U64(TagModule), U64(42)),
		Function: 3,
		Input:    InputDigest([]uint64{1, 2}, []byte("hello")),
		Output:   OutputDigest([]uint64{3}, []byte("world")),
		Status:   StatusReturned,
	}
}

func TestCheckStatementAcceptsChains(t *testing.T) {
	for n := 1; n <= 9; n++ {
		stmt := baseStatement()
		claims := chain(t, n, &stmt)
		if err := CheckStatement(stmt, claims); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
	}
}

func TestCheckStatementRejects(t *testing.T) {
	other := Hash(U64(99))
	cases := []struct {
		name   string
		mutate func(*Statement, []Claim) []Claim
		want   error
	}{
		{"no claims", func(s *Statement, c []Claim) []Claim { return nil }, ErrNoClaims},
		{"other module in a segment", func(s *Statement, c []Claim) []Claim { c[1].Module = other; return c }, ErrModule},
		{"statement names other module", func(s *Statement, c []Claim) []Claim { s.Module = other; return c }, ErrModule},
		{"other function", func(s *Statement, c []Claim) []Claim { s.Function++; return c }, ErrInitial},
		{"other input", func(s *Statement, c []Claim) []Claim { s.Input = other; return c }, ErrInitial},
		{"other output", func(s *Statement, c []Claim) []Claim { s.Output = other; return c }, ErrFinal},
		{"trapped instead of returned", func(s *Statement, c []Claim) []Claim {
			s.Status, s.Trap = StatusTrapped, TrapUnreachable
			return c
		}, ErrFinal},
		{"broken chain", func(s *Statement, c []Claim) []Claim { c[1].After = other; return c }, ErrChain},
		{"segments swapped", func(s *Statement, c []Claim) []Claim { c[0], c[1] = c[1], c[0]; return c }, ErrChain},
		{"segment dropped", func(s *Statement, c []Claim) []Claim { return append(c[:1], c[2:]...) }, ErrChain},
		{"more steps claimed", func(s *Statement, c []Claim) []Claim { s.Steps++; return c }, ErrSteps},
		{"segment steps changed", func(s *Statement, c []Claim) []Claim { c[2].Steps++; return c }, ErrSteps},
		{"overflowing steps", func(s *Statement, c []Claim) []Claim { c[2].Steps = ^uint64(0); return c }, ErrSteps},
		{"other trace root", func(s *Statement, c []Claim) []Claim { s.TraceRoot = other; return c }, ErrTraceRoot},
		{"returned with trap kind", func(s *Statement, c []Claim) []Claim { s.Trap = TrapUnreachable; return c }, ErrBadStatus},
		{"trapped without kind", func(s *Statement, c []Claim) []Claim { s.Status = StatusTrapped; return c }, ErrBadStatus},
		{"unknown status", func(s *Statement, c []Claim) []Claim { s.Status = 0; return c }, ErrBadStatus},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stmt := baseStatement()
			claims := chain(t, 4, &stmt)
			claims = tc.mutate(&stmt, claims)
			err := CheckStatement(stmt, claims)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMerklePaths(t *testing.T) {
	for n := 1; n <= 9; n++ {
		stmt := baseStatement()
		claims := chain(t, n, &stmt)
		for i := range claims {
			p, err := MerklePath(claims, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyPath(stmt.TraceRoot, claims[i], p); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			bad := claims[i]
			bad.Steps++
			if err := VerifyPath(stmt.TraceRoot, bad, p); !errors.Is(err, ErrBadPath) {
				t.Fatalf("n=%d i=%d: tampered claim accepted: %v", n, i, err)
			}
			if n > 1 {
				q := p
				q.Index = (i + 1) % n
				if err := VerifyPath(stmt.TraceRoot, claims[i], q); !errors.Is(err, ErrBadPath) {
					t.Fatalf("n=%d i=%d: wrong index accepted", n, i)
				}
			}
			q := p
			q.N = n + 1
			if err := VerifyPath(stmt.TraceRoot, claims[i], q); !errors.Is(err, ErrBadPath) {
				t.Fatalf("n=%d i=%d: wrong count accepted", n, i)
			}
		}
	}
	if _, err := MerklePath(nil, 0); !errors.Is(err, ErrNoClaims) {
		t.Fatal(err)
	}
	stmt := baseStatement()
	if _, err := MerklePath(chain(t, 3, &stmt), 3); err == nil {
		t.Fatal("out-of-range index accepted")
	}
}

func TestPublicWitnessRoundTrip(t *testing.T) {
	c := Claim{Module: U64(1), Before: U64(2), After: Hash(U64(3)), Steps: 1 << 40}
	w, err := c.PublicWitness()
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromPublicWitness(w)
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Fatalf("round trip: %+v != %+v", got, c)
	}
	bin, err := w.MarshalBinary()
	if err != nil || len(bin) == 0 {
		t.Fatalf("marshal: %v", err)
	}
}

func TestDigestsSeparateInputs(t *testing.T) {
	seen := map[fr.Element]string{}
	add := func(name string, e fr.Element) {
		if prev, ok := seen[e]; ok {
			t.Fatalf("%s and %s collide", name, prev)
		}
		seen[e] = name
	}
	add("empty", BytesDigest(nil))
	add("zero byte", BytesDigest([]byte{0}))
	add("two zero bytes", BytesDigest([]byte{0, 0}))
	long := make([]byte, 62)
	add("62 zero bytes", BytesDigest(long))
	long[61] = 1
	add("61 zeros and a one", BytesDigest(long))
	add("input a", InputDigest([]uint64{1}, nil))
	add("input b", InputDigest(nil, []byte{1}))
	add("output a", OutputDigest([]uint64{1}, nil))
	add("init", InitialState(U64(1), 0, U64(1)))
	add("final", FinalState(StatusReturned, TrapNone, U64(1)))
	// Zero padding: lists of zeros of every length around the sponge's
	// block boundaries (values; bytes filling n + 1 chunks), and tuples of
	// zeros.
	for n := range 3*SpongeRate + 2 {
		add(fmt.Sprintf("%d zero values", n), ValuesDigest(make([]uint64, n)))
		add(fmt.Sprintf("%d zero bytes", 31*n+30), BytesDigest(make([]byte, 31*n+30)))
		if n > 0 {
			add(fmt.Sprintf("HashLong of %d zeros", n), HashLong(make([]fr.Element, n)...))
		}
	}
	if s := StatusTrapped.String(); s != "trapped" {
		t.Fatal(s)
	}
	if s := TrapIntegerDivideByZero.String(); s != "integer divide by zero" {
		t.Fatal(s)
	}
	if s := TrapKind(1000).String(); s != "trap(1000)" {
		t.Fatal(s)
	}
}

// TestSpongeIsTheDocumentedConstruction recomputes Sponge from the
// permutation as docs/BUNDLE.md describes it, so that a change to either
// is caught: capacity lane 0 starts at iv, 11 elements per block are added
// into lanes 1..11, zero padding, one permutation per block, lane 1 out.
func TestSpongeIsTheDocumentedConstruction(t *testing.T) {
	perm := poseidon2.NewPermutation(12, 8, 57)
	for _, n := range []int{0, 1, 10, 11, 12, 22, 23, 40} {
		xs := make([]fr.Element, n)
		for i := range xs {
			xs[i].SetUint64(uint64(1000*n + i + 1))
		}
		var st [12]fr.Element
		st[0].SetUint64(77)
		blocks := max(1, (n+10)/11)
		for b := range blocks {
			for i := range 11 {
				if k := 11*b + i; k < n {
					st[1+i].Add(&st[1+i], &xs[k])
				}
			}
			if err := perm.Permutation(st[:]); err != nil {
				t.Fatal(err)
			}
		}
		if got := Sponge(U64(77), xs); !got.Equal(&st[1]) {
			t.Errorf("n = %d: Sponge differs from the documented construction", n)
		}
	}
	var two64 fr.Element
	two64.SetString("18446744073709551616")
	if iv := ListIV(ListElements); !iv.Equal(&two64) {
		t.Errorf("ListIV(ListElements) = %s, want 2^64", iv.String())
	}
	if got, want := ValuesDigest([]uint64{5, 6}), Sponge(ListIV(ListElements), []fr.Element{U64(2), U64(5), U64(6)}); !got.Equal(&want) {
		t.Error("ValuesDigest is not ListDigest([len], values)")
	}
}
