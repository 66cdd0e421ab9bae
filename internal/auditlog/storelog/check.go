package storelog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/mcpzero/mcpzero/internal/auditlog"
)

// BundleSource returns the stored proof bundle file of digest d.
type BundleSource func(d auditlog.Digest) ([]byte, error)

// Export builds the .audit file of entry index against the checkpoint of
// size n (0: the latest). When the entry links a proof bundle, bundles must
// return it; the export embeds it.
func (l *Log) Export(index, n int64, bundles BundleSource) (*auditlog.Export, error) {
	if n == 0 {
		var err error
		if n, err = l.Size(); err != nil {
			return nil, err
		}
	}
	e, data, err := l.Entry(index)
	if err != nil {
		return nil, err
	}
	cp, err := l.Checkpoint(n)
	if err != nil {
		return nil, err
	}
	p, err := l.InclusionProof(index, n)
	if err != nil {
		return nil, err
	}
	x := &auditlog.Export{Format: auditlog.ExportFormat, Entry: data, Index: index, Inclusion: p, Checkpoint: string(cp)}
	if !e.Proof.IsZero() {
		if bundles == nil {
			return nil, fmt.Errorf("%w: entry %d links proof bundle %s and no bundle source was given", ErrNotFound, index, e.Proof)
		}
		b, err := bundles(e.Proof)
		if err != nil {
			return nil, fmt.Errorf("storelog: proof bundle %s of entry %d: %w", e.Proof, index, err)
		}
		if auditlog.SHA256(b) != e.Proof {
			return nil, fmt.Errorf("%w: stored proof bundle has digest %s, entry %d links %s", ErrTampered, auditlog.SHA256(b), index, e.Proof)
		}
		x.ProofBundle = b
	}
	return x, nil
}

// Report summarises a successful Check.
type Report struct {
	Size        int64     `json:"size"`
	Root        tlog.Hash `json:"root"`
	Checkpoints int       `json:"checkpoints"`
	Checkpoint  string    `json:"checkpoint"`
	// Signed is the size of the largest stored signed checkpoint; Unsigned
	// the entries after it (only with checkpoints on demand).
	Signed   int64 `json:"signed_size"`
	Unsigned int64 `json:"unsigned_entries,omitempty"`
}

// Check re-derives the whole log from its stored entries and checks it
// against everything else stored: every entry is present, canonical, at
// the index it declares, with increasing seq; every stored tree hash is the
// one the entries give; every stored checkpoint is signed by v and commits
// to the root the entries give at its size; the latest checkpoint covers
// every entry. It returns an error wrapping ErrTampered that names the
// first thing that failed.
//
// Check sees only the store: an operator with the key who rolls the whole
// store back to an earlier state is caught by the consistency check against
// a checkpoint an auditor kept, not here.
func (l *Log) Check(v note.Verifier) (*Report, error) {
	r := reader{st: l.st}
	n, err := r.size()
	if err != nil {
		return nil, err
	}
	var tree auditlog.MemTree
	next := int64(0)
	firstOfSeq := map[uint64]int64{}
	linked := map[auditlog.Digest]bool{}
	stop := errors.New("stop")
	var bad error
	err = l.st.Iterate(prefixEntry, func(key, data []byte) error {
		idx, ok := indexOf(key, prefixEntry)
		switch {
		case !ok:
			bad = fmt.Errorf("%w: malformed entry key %x", ErrTampered, key)
		case idx >= n:
			bad = fmt.Errorf("%w: entry %d is stored beyond the log's size %d", ErrTampered, idx, n)
		case idx != next:
			bad = fmt.Errorf("%w: entry %d is missing (next stored is %d): entries dropped", ErrTampered, next, idx)
		}
		if bad != nil {
			return stop
		}
		e, err := decodeAt(idx, data)
		if err != nil {
			bad = err
			return stop
		}
		if _, seen := firstOfSeq[e.Seq]; !seen {
			firstOfSeq[e.Seq] = idx
		}
		if !e.Proof.IsZero() {
			linked[e.Proof] = true
		}
		if _, err := tree.Append(data); err != nil {
			return err
		}
		next++
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if next != n {
		return nil, fmt.Errorf("%w: the log has size %d but only %d entries: entries %d.. dropped", ErrTampered, n, next, next)
	}

	// Stored hashes.
	want := tree.StoredHashes()
	i := 0
	err = l.st.Iterate(prefixHash, func(key, v []byte) error {
		idx, ok := indexOf(key, prefixHash)
		switch {
		case !ok || idx >= int64(len(want)):
			bad = fmt.Errorf("%w: stored hash %x beyond the %d hashes of %d entries", ErrTampered, key, len(want), n)
		case idx != int64(i):
			bad = fmt.Errorf("%w: stored hash %d is missing", ErrTampered, i)
		case !bytes.Equal(v, want[idx][:]):
			level, node := tlog.SplitStoredHashIndex(idx)
			if level == 0 {
				bad = fmt.Errorf("%w: entry %d does not match its stored leaf hash (stored hash %d): the entry or the tree was changed", ErrTampered, node, idx)
			} else {
				bad = fmt.Errorf("%w: stored hash %d (tree level %d, node %d) is not the hash the entries give", ErrTampered, idx, level, node)
			}
		}
		if bad != nil {
			return stop
		}
		i++
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if i != len(want) {
		return nil, fmt.Errorf("%w: %d stored hashes, %d entries need %d", ErrTampered, i, n, len(want))
	}

	// Checkpoints.
	rep := &Report{Size: n}
	if rep.Root, err = tree.Root(n); err != nil {
		return nil, err
	}
	// Signature checks dominate (one per stored checkpoint): they run on
	// every CPU; the first failure in size order is reported.
	type job struct {
		size int64
		msg  []byte
	}
	jobs := make(chan job, 256)
	var (
		mu       sync.Mutex
		firstBad error
		badSize  int64 = -1
		wg       sync.WaitGroup
	)
	fail := func(size int64, err error) {
		mu.Lock()
		if badSize < 0 || size < badSize {
			badSize, firstBad = size, err
		}
		mu.Unlock()
	}
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c, err := auditlog.OpenCheckpoint(j.msg, v)
				if err != nil {
					fail(j.size, fmt.Errorf("%w: checkpoint of size %d: %w", ErrTampered, j.size, err))
					continue
				}
				if c.Size != j.size {
					fail(j.size, fmt.Errorf("%w: checkpoint stored as size %d says size %d", ErrTampered, j.size, c.Size))
					continue
				}
				root, err := tree.Root(j.size) // MemTree reads are safe concurrently
				if err != nil {
					fail(j.size, err)
					continue
				}
				if root != c.Root {
					fail(j.size, fmt.Errorf("%w: signed checkpoint of size %d has root %s but the stored entries give %s: the log was changed after it was signed", ErrTampered, j.size, c.Root, root))
				}
			}
		}()
	}
	err = l.st.Iterate(prefixCP, func(key, msg []byte) error {
		size, ok := indexOf(key, prefixCP)
		if !ok {
			bad = fmt.Errorf("%w: malformed checkpoint key %x", ErrTampered, key)
			return stop
		}
		if size > n {
			bad = fmt.Errorf("%w: a checkpoint of size %d was signed but the log holds %d entries: entries dropped", ErrTampered, size, n)
			return stop
		}
		jobs <- job{size, append([]byte{}, msg...)}
		rep.Checkpoints++
		rep.Signed = max(rep.Signed, size)
		if size == n {
			rep.Checkpoint = string(msg)
		}
		return nil
	})
	close(jobs)
	wg.Wait()
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if firstBad != nil {
		return nil, firstBad
	}
	// The seq index and the stored proof bundles.
	seqs := 0
	err = l.st.Iterate(prefixSeq, func(key, v []byte) error {
		seq, ok := indexOf(key, prefixSeq)
		want, known := firstOfSeq[uint64(seq)]
		switch {
		case !ok || len(v) != 8:
			bad = fmt.Errorf("%w: malformed seq index record %x", ErrTampered, key)
		case !known:
			bad = fmt.Errorf("%w: the seq index names seq %d, which no entry has", ErrTampered, uint64(seq))
		case int64(binary.BigEndian.Uint64(v)) != want:
			bad = fmt.Errorf("%w: the seq index maps seq %d to entry %d, but its first entry is %d", ErrTampered, uint64(seq), binary.BigEndian.Uint64(v), want)
		}
		if bad != nil {
			return stop
		}
		seqs++
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if seqs != len(firstOfSeq) {
		return nil, fmt.Errorf("%w: the seq index has %d records for %d distinct seqs", ErrTampered, seqs, len(firstOfSeq))
	}
	err = l.st.Iterate(prefixBundle, func(key, v []byte) error {
		var d auditlog.Digest
		if len(key) != len(prefixBundle)+len(d) {
			bad = fmt.Errorf("%w: malformed proof bundle key %x", ErrTampered, key)
			return stop
		}
		copy(d[:], key[len(prefixBundle):])
		if auditlog.SHA256(v) != d {
			bad = fmt.Errorf("%w: stored proof bundle %s does not hash to its digest", ErrTampered, d)
			return stop
		}
		if !linked[d] {
			bad = fmt.Errorf("%w: stored proof bundle %s is linked by no entry", ErrTampered, d)
			return stop
		}
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}

	if n > 0 && rep.Checkpoint == "" {
		if !l.onDemand {
			return nil, fmt.Errorf("%w: no signed checkpoint covers the log's %d entries", ErrTampered, n)
		}
		// Checkpoints on demand: the tail since the last signed one is
		// covered by the stored tree alone until a checkpoint is asked for.
		rep.Unsigned = n - rep.Signed
	}
	return rep, nil
}

func indexOf(key, p []byte) (int64, bool) {
	if len(key) != len(p)+8 || !bytes.HasPrefix(key, p) {
		return 0, false
	}
	v := binary.BigEndian.Uint64(key[len(p):])
	return int64(v), int64(v) >= 0
}
