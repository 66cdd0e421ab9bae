package prover

import (
	"fmt"
	"os"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/logger"
)

// testKeysDir is one key cache shared by every test of the package, so each
// circuit shape is set up once per `go test` run and never in the user's
// cache directory.
var testKeysDir string

func TestMain(m *testing.M) {
	logger.Disable() // gnark's debug lines would drown the test output
	// MCPZERO_TEST_KEYS_DIR keeps keys across runs while developing; it is
	// never the user's key cache.
	if d := os.Getenv("MCPZERO_TEST_KEYS_DIR"); d != "" {
		testKeysDir = d
		os.Exit(m.Run())
	}
	d, err := os.MkdirTemp("", "mcpzero-prover-keys-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	testKeysDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// cubeCircuit is a tiny test-only circuit: X³ + X + 5 == Y, Y public. It
// exercises the backend layer (compile, setup, cache, prove, verify)
// without the cost of a real segment circuit.
type cubeCircuit struct {
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
}

func (c *cubeCircuit) Define(api frontend.API) error {
	x3 := api.Mul(c.X, c.X, c.X)
	api.AssertIsEqual(c.Y, api.Add(x3, c.X, 5))
	return nil
}
