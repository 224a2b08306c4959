package state

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
)

// Restoring Pebble checkpoints: the first is linked in as the DB, the key
// groups outside the range dropped; the others (a rescale) are merged in by
// scanning their part of the range.

// merge copies the key groups of p's range from the checkpoint in dir
// (another old subtask's, when rescaling), mapping state ids by name.
func (p *Pebble) merge(ctx context.Context, dir string) error {
	// Open a linked copy: opening may write (a new manifest), and dir
	// belongs to the caller.
	tmp := filepath.Join(p.dir, fmt.Sprintf("merge-%d", p.seq))
	p.seq++
	defer func() { _ = os.RemoveAll(tmp) }() // best effort: links to the caller's files, or copies
	if err := linkDir(dir, tmp); err != nil {
		return err
	}
	src, err := pebble.Open(tmp, pebbleOptions())
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }() // only read; the copy is removed next
	if err := checkMaxP(src, p.maxP); err != nil {
		return err
	}
	saved, err := readMeta(src)
	if err != nil {
		return err
	}
	ids := map[uint16]*stateMeta{}
	for _, s := range saved {
		m, err := p.declare(s.name, s.kind, TTLConfig{TTL: s.ttl, Update: s.upd})
		if err != nil {
			return err
		}
		ids[s.id] = m
	}
	it, err := src.NewIter(&pebble.IterOptions{LowerBound: kgPrefix(p.rng.Start), UpperBound: kgPrefix(p.rng.End + 1)})
	if err != nil {
		return err
	}
	defer func() { _ = it.Close() }() // its error is it.Error(), checked after the loop
	b := p.ps.db.NewBatch()
	for ok := it.First(); ok; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := it.Key()
		if len(k) < 4 {
			return fmt.Errorf("%w: pebble key of %d bytes", ErrCorrupt, len(k))
		}
		m := ids[binary.BigEndian.Uint16(k[2:])]
		if m == nil {
			return fmt.Errorf("%w: pebble entry of undeclared state %d", ErrCorrupt, binary.BigEndian.Uint16(k[2:]))
		}
		nk := append(append([]byte(nil), k[:2]...), 0, 0)
		binary.BigEndian.PutUint16(nk[2:], m.id)
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if err := b.Set(append(nk, k[4:]...), v, nil); err != nil {
			return err
		}
		if b.Len() > 4<<20 {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b = p.ps.db.NewBatch()
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	return b.Commit(pebble.NoSync)
}

// linkDir makes dst a copy of the regular files of src, by hard link where
// the file system allows (SST files are immutable), else by copying.
func linkDir(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if os.Link(from, to) == nil {
			continue
		}
		if err := copyFile(from, to); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }() // read-only
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close() // the copy already failed; that error is the one to report
		return err
	}
	return out.Close()
}

// checkMaxP compares the max parallelism stored in db with the job's.
func checkMaxP(db *pebble.DB, maxP int) error {
	v, closer, err := db.Get(maxPKey)
	if err != nil {
		return fmt.Errorf("%w: no max parallelism stored: %w", ErrCorrupt, err)
	}
	defer func() { _ = closer.Close() }() // releases the value v points into
	if len(v) != 2 {
		return fmt.Errorf("%w: max parallelism of %d bytes", ErrCorrupt, len(v))
	}
	if got := int(binary.BigEndian.Uint16(v)); got != maxP {
		return fmt.Errorf("it has max parallelism %d, the job %d (max parallelism cannot change)", got, maxP)
	}
	return nil
}
