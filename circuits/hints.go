package circuits

import (
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
)

func init() { solver.RegisterHint(prefixHint) }

// prefixHint returns 1 if inputs[1] < inputs[0], else 0.
func prefixHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if inputs[1].Cmp(inputs[0]) < 0 {
		outputs[0].SetUint64(1)
	} else {
		outputs[0].SetUint64(0)
	}
	return nil
}
