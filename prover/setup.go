package prover

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mcpzero/mcpzero/verifier"
)

// SetupRequest says which keys SetupShapes makes or shows.
type SetupRequest struct {
	Backend  verifier.Backend
	KeysDir  string
	Shapes   []string // shape ids; empty means every shape
	ShowOnly bool     // never run a setup, only report what is cached
	Progress func(Progress)
	// ImportPK and ImportVK, when set, are a ceremony's Groth16 key pair
	// (gnark WriteTo encoding) for the one shape in Shapes: they are
	// checked and stored as CeremonySetup keys instead of running a setup.
	ImportPK, ImportVK []byte
}

// ShapeKeyInfo describes the keys of one shape.
type ShapeKeyInfo struct {
	Shape       string               `json:"shape"`
	Capacity    int                  `json:"capacity_steps"`
	Constraints int                  `json:"constraints"`
	CSDigest    string               `json:"cs_digest"`
	Present     bool                 `json:"present"`
	Created     bool                 `json:"created"`
	Key         verifier.Fingerprint `json:"vk"`
	Setup       string               `json:"setup"`
	Time        time.Duration        `json:"time_ns"`
}

// SetupShapes compiles the requested circuit shapes, loads their keys from
// the cache and, unless ShowOnly, runs a dev setup for those without keys.
// It returns one line per shape and the key set of the shapes that have
// keys: the file an auditor pins.
func SetupShapes(ctx context.Context, req SetupRequest) ([]ShapeKeyInfo, *verifier.KeySet, error) {
	if req.Backend == 0 {
		req.Backend = verifier.Groth16
	}
	if !req.Backend.Valid() {
		return nil, nil, fmt.Errorf("prover: unknown backend %v", req.Backend)
	}
	ks, err := OpenKeyStore(req.KeysDir)
	if err != nil {
		return nil, nil, err
	}
	importing := req.ImportPK != nil || req.ImportVK != nil
	if importing && (len(req.Shapes) != 1 || req.ImportPK == nil || req.ImportVK == nil || req.ShowOnly) {
		return nil, nil, fmt.Errorf("prover: importing ceremony keys needs exactly one shape, a proving key and a verifying key")
	}
	specs := allShapes()
	if len(req.Shapes) > 0 {
		var picked []shapeSpec
		for _, id := range req.Shapes {
			i := slices.IndexFunc(specs, func(s shapeSpec) bool { return s.id == id })
			if i < 0 {
				ids := make([]string, len(specs))
				for j, s := range specs {
					ids[j] = s.id
				}
				return nil, nil, fmt.Errorf("prover: unknown shape %q (shapes: %v)", id, ids)
			}
			picked = append(picked, specs[i])
		}
		specs = picked
	}
	tr := newTracker(req.Progress)
	defer tr.close()
	set := &verifier.KeySet{GnarkVersion: verifier.GnarkVersion, Backend: req.Backend, Curve: verifier.Curve}
	var infos []ShapeKeyInfo
	for _, sp := range specs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		tr.begin(PhaseCompile, sp.id, 0, 0, 0)
		c, err := compileShape(req.Backend, sp.id, sp.blank, ks)
		if err != nil {
			return nil, nil, err
		}
		ks.recordShape(req.Backend, sp.id, c)
		info := ShapeKeyInfo{Shape: sp.id, Capacity: sp.capacity, Constraints: c.cs.GetNbConstraints(),
			CSDigest: fmt.Sprintf("%x", c.digest[:16])}
		t0 := time.Now()
		if importing {
			k, err := ks.ImportCeremonyKeys(sp.id, req.Backend, c.cs, req.ImportPK, req.ImportVK)
			if err != nil {
				return nil, nil, err
			}
			info.Time, info.Created, info.Present = time.Since(t0), true, true
			info.Key, info.Setup = k.VK.Fingerprint(), k.Setup.String()
			set.Setup = k.Setup
			if err := set.Add(k.VK); err != nil {
				return nil, nil, err
			}
			infos = append(infos, info)
			continue
		}
		k, err := ks.load(sp.id, req.Backend, c.digest)
		if errors.Is(err, ErrNoKeys) && !req.ShowOnly {
			est := float64(info.Constraints) * setupSecondsPerConstraint(req.Backend)
			tr.addWork(est)
			tr.begin(PhaseSetup, sp.id, 0, 0, est)
			k, info.Created, err = ks.LoadOrSetup(ctx, sp.id, req.Backend, c.cs)
			tr.end(false)
		}
		info.Time = time.Since(t0)
		switch {
		case errors.Is(err, ErrNoKeys):
		case err != nil:
			return nil, nil, fmt.Errorf("prover: keys of shape %s: %w", sp.id, err)
		default:
			info.Present, info.Key, info.Setup = true, k.VK.Fingerprint(), k.Setup.String()
			if set.Setup == 0 || k.Setup == verifier.DevSetup {
				set.Setup = k.Setup
			}
			if err := set.Add(k.VK); err != nil {
				return nil, nil, err
			}
		}
		infos = append(infos, info)
	}
	tr.complete()
	return infos, set, nil
}
