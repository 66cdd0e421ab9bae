//go:build tools

// Package deps pins, for `go mod tidy`, the packages of our exact-version
// dependencies that the project uses, so that go.sum holds every checksum
// the team's packages need while they are being written. It is never built.
package deps

import (
	_ "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	_ "github.com/consensys/gnark/backend/groth16"
	_ "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	_ "github.com/consensys/gnark/backend/plonk"
	_ "github.com/consensys/gnark/frontend/cs/r1cs"
	_ "github.com/consensys/gnark/frontend/cs/scs"
	_ "github.com/consensys/gnark/std/hash/poseidon2"
	_ "github.com/consensys/gnark/std/lookup/logderivlookup"
	_ "github.com/consensys/gnark/std/multicommit"
	_ "github.com/consensys/gnark/std/permutation/poseidon2"
	_ "github.com/consensys/gnark/std/rangecheck"
	_ "github.com/consensys/gnark/std/selector"
	_ "github.com/consensys/gnark/test"
	_ "github.com/consensys/gnark/test/unsafekzg"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/syndtr/goleveldb/leveldb"
	_ "github.com/tetratelabs/wazero"
	_ "github.com/tetratelabs/wazero/experimental"
	_ "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	_ "github.com/urfave/cli/v2"
	_ "golang.org/x/mod/sumdb/note"
	_ "golang.org/x/mod/sumdb/tlog"
)
