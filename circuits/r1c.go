package circuits

import (
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
)

// productAsserter constrains a·b = c. gnark's api.AssertIsEqual(api.Mul(a,
// b), c) costs two rank-1 constraints, the product's wire and then the
// equality; with gnark's R1CS builder the product is asserted as one
// constraint of the builder's own generic R1C blueprint (`L·R = O`),
// through its CustomizableSystem interface. With any other builder
// (PLONK, the test engine) it falls back to the two-step form, which
// states the same equation. The family constraints of a row are almost all
// of this shape, so this halves them.
type productAsserter struct {
	api  frontend.API
	r1cs bool
	bp   constraint.BlueprintID
	buf  []uint32
}

func newProductAsserter(api frontend.API) *productAsserter {
	p := &productAsserter{api: api}
	if _, ok := api.Compiler().ToCanonicalVariable(1).(constraint.LinearExpression); ok {
		p.r1cs = true
		p.bp = api.Compiler().AddBlueprint(&constraint.BlueprintGenericR1C{})
	}
	return p
}

// assert constrains a·b = c.
func (p *productAsserter) assert(a, b, c frontend.Variable) {
	if !p.r1cs {
		p.api.AssertIsEqual(p.api.Mul(a, b), c)
		return
	}
	comp := p.api.Compiler()
	var les [3]constraint.LinearExpression
	for i, v := range []frontend.Variable{a, b, c} {
		les[i] = comp.ToCanonicalVariable(v).(constraint.LinearExpression)
	}
	// BlueprintGenericR1C's calldata: the number of words, len(L),
	// len(R), len(O), then (coefficient id, wire id) per term.
	p.buf = append(p.buf[:0], uint32(4+2*(len(les[0])+len(les[1])+len(les[2]))), uint32(len(les[0])), uint32(len(les[1])), uint32(len(les[2])))
	for _, le := range les {
		for _, t := range le {
			vid := t.VID
			if t.IsConstant() { // a Go constant: its coefficient on the constant wire 0, as the builder writes constants
				vid = 0
			}
			p.buf = append(p.buf, t.CID, vid)
		}
	}
	comp.AddInstruction(p.bp, p.buf)
}

// zero constrains a·b = 0.
func (p *productAsserter) zero(a, b frontend.Variable) { p.assert(a, b, 0) }
