package state

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// CheckpointFile is one file of a Pebble checkpoint.
type CheckpointFile struct {
	// Name is the file's name in the checkpoint directory; a restore
	// needs every file of a checkpoint under its Name in one directory.
	Name string
	// Size is its length in bytes.
	Size int64
	// Shared marks an immutable SST file: the same file in a later
	// checkpoint of this backend has the same SharedName, so it is
	// uploaded once and referenced (the coordinator counts references).
	Shared bool
	// SharedName names a shared file uniquely across backends and runs
	// (this DB's random id, then Name); empty for private files.
	SharedName string
	// New is true when the file must be uploaded: every private file,
	// and every shared file the uploaded set does not hold.
	New bool
}

// PebbleCheckpoint is a synchronous Pebble checkpoint: files hard-linked
// into Dir, to be uploaded by another goroutine and then Released.
type PebbleCheckpoint struct {
	Dir   string
	Files []CheckpointFile
	// Range is the key-group range the checkpoint holds.
	Range KeyGroupRange
}

// NewBytes is the size of the files that must be uploaded.
func (c *PebbleCheckpoint) NewBytes() int64 {
	var n int64
	for _, f := range c.Files {
		if f.New {
			n += f.Size
		}
	}
	return n
}

// TotalBytes is the size of every file of the checkpoint.
func (c *PebbleCheckpoint) TotalBytes() int64 {
	var n int64
	for _, f := range c.Files {
		n += f.Size
	}
	return n
}

// Release removes the checkpoint's local directory.
func (c *PebbleCheckpoint) Release() error { return os.RemoveAll(c.Dir) }

// Checkpoint flushes the memtable and makes a Pebble checkpoint (hard
// links of the immutable SST files plus the small manifest and options
// files). uploaded reports shared files (by SharedName) that earlier
// checkpoints already uploaded; nil means a full checkpoint.
func (p *Pebble) Checkpoint(ctx context.Context, uploaded func(sharedName string) bool) (*PebbleCheckpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.ps.db.Flush(); err != nil {
		return nil, fmt.Errorf("pebble checkpoint: flush: %w", err)
	}
	dir := filepath.Join(p.dir, fmt.Sprintf("chk-%d", p.seq))
	p.seq++
	if err := p.ps.db.Checkpoint(dir); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pebble checkpoint into %s: %w", dir, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pebble checkpoint: list %s: %w", dir, err)
	}
	c := &PebbleCheckpoint{Dir: dir, Range: p.rng}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("pebble checkpoint: %w", err)
		}
		f := CheckpointFile{Name: e.Name(), Size: info.Size(), New: true}
		if strings.HasSuffix(f.Name, ".sst") || strings.HasSuffix(f.Name, ".blob") {
			f.Shared, f.SharedName = true, p.uid+"-"+f.Name
			if sn, ok := p.known[f.Name]; ok {
				f.SharedName = sn // the same bytes as the restored file
			}
			f.New = uploaded == nil || !uploaded(f.SharedName)
		}
		c.Files = append(c.Files, f)
	}
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Name < c.Files[j].Name })
	return c, nil
}

// pebbleSavepoint is a Pebble snapshot (a consistent read view, cheap to
// take) written in the canonical format.
type pebbleSavepoint struct {
	snap   *pebble.Snapshot
	maxP   int
	rng    KeyGroupRange
	states []*stateMeta
	nowMs  int64
}

// SavepointSnapshot takes a Pebble snapshot for the canonical format.
func (p *Pebble) SavepointSnapshot() (CanonicalSnapshot, error) {
	return &pebbleSavepoint{snap: p.ps.db.NewSnapshot(), maxP: p.maxP, rng: p.rng, states: p.declared(), nowMs: p.nowMs()}, nil
}

func (s *pebbleSavepoint) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	sw, err := newSavepointWriter(w, s.maxP, s.states)
	if err != nil {
		return sw.n, err
	}
	byID := map[uint16]*stateMeta{}
	for _, m := range s.states {
		byID[m.id] = m
	}
	it, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: kgPrefix(s.rng.Start), UpperBound: kgPrefix(s.rng.End + 1)})
	if err != nil {
		return sw.n, err
	}
	defer func() { _ = it.Close() }() // its error is it.Error(), checked after the loop
	kg := -1
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) < 4 {
			return sw.n, fmt.Errorf("write savepoint: %w: pebble key of %d bytes", ErrCorrupt, len(k))
		}
		if g := int(binary.BigEndian.Uint16(k)); g != kg {
			if err := ctx.Err(); err != nil {
				return sw.n, err
			}
			kg = g
			if err := sw.group(kg); err != nil {
				return sw.n, err
			}
		}
		m := byID[binary.BigEndian.Uint16(k[2:])]
		if m == nil {
			continue // declared after the snapshot was taken
		}
		_, _, uk, err := splitKeyNS(k[4:])
		if err != nil {
			return sw.n, fmt.Errorf("write savepoint, state %q: %w", m.name, err)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return sw.n, err
		}
		if !live(m, v, s.nowMs) {
			continue
		}
		if err := sw.entry(m.id, k[4:len(k)-len(uk)], uk, v); err != nil {
			return sw.n, err
		}
	}
	if err := it.Error(); err != nil {
		return sw.n, err
	}
	return sw.finish()
}

func (s *pebbleSavepoint) Release() { _ = s.snap.Close() }

// RestoreSavepoint loads the key groups of p's range from canonical
// snapshots.
func (p *Pebble) RestoreSavepoint(ctx context.Context, rs ...io.Reader) error {
	return restoreCanonical(p.keyedCore, rs)
}
