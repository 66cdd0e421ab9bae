package storelog

import (
	"errors"
	"fmt"

	"github.com/mcpzero/mcpzero/internal/auditlog"
	"github.com/mcpzero/mcpzero/internal/store"
)

// prefixBundle keeps proof bundles linked from the log, by digest:
// audit 0x00 bundle 0x00 <32-byte digest>.
var prefixBundle = store.Key(prefix, []byte("bundle"), nil)

// StageProof records, in b, that bundle (a proof bundle file) proves the
// logged operation proved: it stores the bundle by its SHA-256 digest and
// stages a KindProofStored entry at logical time seq that links it, refers
// to the proved operation's seq and repeats its agent, plugin, method and
// input and output digests (so that an export can bind the bundle's
// statement to them). Write b through the wrapped store.
func StageProof(b *store.Batch, seq uint64, proved *auditlog.Entry, bundle []byte) (auditlog.Digest, error) {
	if len(bundle) == 0 {
		return auditlog.Digest{}, errors.New("storelog: empty proof bundle")
	}
	d := auditlog.SHA256(bundle)
	b.Put(append(append([]byte{}, prefixBundle...), d[:]...), bundle)
	err := Stage(b, auditlog.Entry{
		Seq: seq, Kind: auditlog.KindProofStored, Agent: proved.Agent, Plugin: proved.Plugin, Method: proved.Method,
		Input: proved.Input, Output: proved.Output, Proof: d, Ref: proved.Seq,
	})
	return d, err
}

// Bundle returns the stored proof bundle of digest d; it is a BundleSource.
func (l *Log) Bundle(d auditlog.Digest) ([]byte, error) {
	v, err := l.st.Get(append(append([]byte{}, prefixBundle...), d[:]...))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: proof bundle %s", ErrNotFound, d)
	}
	return v, err
}
