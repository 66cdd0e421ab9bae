package kernel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpzero/mcpzero/internal/store"
	"github.com/mcpzero/mcpzero/plugins"
)

// InstallPlugin verifies a signed manifest and its wasm, compiles the wasm,
// checks that every method the manifest lists is an exported () -> ()
// function, and stores both. Installing the same wasm again returns the
// installed plugin unchanged.
func (k *Kernel) InstallPlugin(ctx context.Context, s *plugins.Signed, wasm []byte) (*PluginInfo, error) {
	m := s.Manifest
	unsigned := false
	if k.cfg.insecure {
		if m.WasmSHA256 == "" {
			m.WasmSHA256 = plugins.WasmDigest(wasm)
		}
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidPlugin, err)
		}
		if got := plugins.WasmDigest(wasm); got != m.WasmSHA256 {
			return nil, fmt.Errorf("plugin %s: %w: wasm sha256 %s, manifest says %s", m.ID(), plugins.ErrTampered, got, m.WasmSHA256)
		}
		unsigned = s.Signature == nil || plugins.Verify(s, wasm, k.cfg.trusted) != nil
	} else if k.verify == nil {
		return nil, fmt.Errorf("%w: plugin %s: no verifier configured", ErrInvalidSignature, m.ID())
	} else if err := k.verify.VerifyPlugin(s, wasm); err != nil {
		if errors.Is(err, plugins.ErrInvalidManifest) {
			return nil, fmt.Errorf("%w: %w", ErrInvalidPlugin, err)
		}
		if !errors.Is(err, ErrInvalidSignature) {
			err = fmt.Errorf("%w: %w", ErrInvalidSignature, err)
		}
		return nil, err
	}
	d := Sum(wasm)
	if p, err := k.plugin(d); err == nil {
		info := p.rec.info(d)
		return &info, nil
	}
	mod, err := k.sb.Compile(ctx, wasm, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: plugin %s: %w", ErrInvalidPlugin, m.ID(), err)
	}
	if err := mod.CheckMethods(m.Methods); err != nil {
		return nil, fmt.Errorf("%w: plugin %s: %w", ErrInvalidPlugin, m.ID(), err)
	}
	rec := pluginRecord{Manifest: m, Unsigned: unsigned, Size: len(wasm)}
	if s.Signature != nil && !unsigned {
		rec.KeyID = s.Signature.KeyID
	}
	b := k.st.NewBatch()
	b.Put(store.Key(pfxWasm, []byte(d.String())), wasm)
	b.Put(store.Key(pfxPName, []byte(m.Name)), []byte(d.String()))
	op := &OpRecord{Kind: OpInstall, Plugin: d}
	err = k.commit(b, op, func(seq uint64) {
		rec.InstallSeq = seq
		b.Put(store.Key(pfxPlugin, []byte(d.String())), mustJSON(&rec))
	})
	if err != nil {
		return nil, err
	}
	k.pluginM.Lock()
	k.plugins[d] = &loadedPlugin{rec: rec, wasm: wasm}
	k.pluginM.Unlock()
	info := rec.info(d)
	return &info, nil
}

// plugin returns an installed plugin by digest.
func (k *Kernel) plugin(d Digest) (*loadedPlugin, error) {
	k.pluginM.Lock()
	p, ok := k.plugins[d]
	k.pluginM.Unlock()
	if ok {
		return p, nil
	}
	var rec pluginRecord
	if err := getJSON(k.st, store.Key(pfxPlugin, []byte(d.String())), &rec, "plugin "+d.String()); err != nil {
		return nil, err
	}
	wasm, err := k.Wasm(d)
	if err != nil {
		return nil, err
	}
	p = &loadedPlugin{rec: rec, wasm: wasm}
	k.pluginM.Lock()
	k.plugins[d] = p
	k.pluginM.Unlock()
	return p, nil
}

// ResolvePlugin finds an installed plugin by name, name@version, a digest
// or a unique digest prefix of at least 8 hex digits.
func (k *Kernel) ResolvePlugin(ref string) (Digest, error) {
	if d, err := ParseDigest(ref); err == nil {
		if _, err := k.plugin(d); err != nil {
			return Digest{}, err
		}
		return d, nil
	}
	name, version, _ := strings.Cut(ref, "@")
	if v, err := k.st.Get(store.Key(pfxPName, []byte(name))); err == nil {
		if d, err := ParseDigest(string(v)); err == nil {
			if p, err := k.plugin(d); err == nil && (version == "" || p.rec.Manifest.Version == version) {
				return d, nil
			}
		}
	}
	list, err := k.ListPlugins()
	if err != nil {
		return Digest{}, err
	}
	var found []Digest
	for _, p := range list {
		if (p.Name == name && (version == "" || p.Version == version)) ||
			(len(ref) >= 8 && strings.HasPrefix(p.Digest.String(), ref)) {
			found = append(found, p.Digest)
		}
	}
	switch len(found) {
	case 0:
		return Digest{}, fmt.Errorf("%w: plugin %q is not installed", ErrNotFound, ref)
	case 1:
		return found[0], nil
	}
	return Digest{}, fmt.Errorf("%w: plugin %q matches %d installed plugins; use name@version or the digest", ErrConflict, ref, len(found))
}

// ListPlugins lists installed plugins in digest order.
func (k *Kernel) ListPlugins() ([]PluginInfo, error) {
	var out []PluginInfo
	err := k.st.Iterate(store.Key(pfxPlugin, nil), func(key, v []byte) error {
		d, err := ParseDigest(string(key[len(pfxPlugin)+1:]))
		if err != nil {
			return fmt.Errorf("%w: plugin key %q", ErrCorrupted, key)
		}
		var rec pluginRecord
		if err := getJSONBytes(v, &rec, "plugin "+d.String()); err != nil {
			return err
		}
		out = append(out, rec.info(d))
		return nil
	})
	return out, err
}

// RemovePlugin uninstalls a plugin that no running agent has attached. Its
// wasm stays stored by digest for the replay of logged executes.
func (k *Kernel) RemovePlugin(ref string) (*PluginInfo, error) {
	k.attachMu.Lock()
	defer k.attachMu.Unlock()
	d, err := k.ResolvePlugin(ref)
	if err != nil {
		return nil, err
	}
	p, err := k.plugin(d)
	if err != nil {
		return nil, err
	}
	agents, err := k.ListAgents()
	if err != nil {
		return nil, err
	}
	for _, a := range agents {
		if a.Status == StatusRunning && slices.Contains(a.Plugins, d) {
			return nil, fmt.Errorf("%w: plugin %s is attached to agent %s", ErrConflict, p.rec.Manifest.ID(), a.ID)
		}
	}
	b := k.st.NewBatch()
	b.Delete(store.Key(pfxPlugin, []byte(d.String())))
	if v, err := k.st.Get(store.Key(pfxPName, []byte(p.rec.Manifest.Name))); err == nil && string(v) == d.String() {
		b.Delete(store.Key(pfxPName, []byte(p.rec.Manifest.Name)))
	}
	if err := k.commit(b, &OpRecord{Kind: OpRemove, Plugin: d}, nil); err != nil {
		return nil, err
	}
	k.pluginM.Lock()
	delete(k.plugins, d)
	k.pluginM.Unlock()
	// No execute can be running it: it is attached to no running agent and
	// attaches wait for attachMu.
	k.sb.Evict(context.Background(), d.String())
	info := p.rec.info(d)
	return &info, nil
}
