package state

import (
	"context"
	"errors"
)

// CheckpointSnapshot is what a keyed backend hands over at a barrier: taken
// synchronously, uploaded by another goroutine, then released. Exactly one
// field is set.
type CheckpointSnapshot struct {
	// Stream (hashmap) is written with WriteTo as one file in the
	// canonical format; restore it with RestoreSavepoint.
	Stream CanonicalSnapshot
	// Files (pebble) are uploaded from Files.Dir (the New ones; the
	// others are already stored under their SharedName); restore them
	// by downloading into a directory named in Options.PebbleRestore.
	Files *PebbleCheckpoint
}

// Release frees the snapshot's memory or local files.
func (s *CheckpointSnapshot) Release() error {
	if s.Stream != nil {
		s.Stream.Release()
	}
	if s.Files != nil {
		return s.Files.Release()
	}
	return nil
}

// CheckpointSnapshotOf takes b's snapshot for a checkpoint. uploaded
// reports shared files already stored (incremental checkpoints, Pebble
// only); nil means a full checkpoint.
func CheckpointSnapshotOf(ctx context.Context, b KeyedBackend, uploaded func(sharedName string) bool) (*CheckpointSnapshot, error) {
	switch b := b.(type) {
	case *HashMap:
		return &CheckpointSnapshot{Stream: b.Snapshot()}, nil
	case *Pebble:
		c, err := b.Checkpoint(ctx, uploaded)
		if err != nil {
			return nil, err
		}
		return &CheckpointSnapshot{Files: c}, nil
	}
	return nil, errors.New("checkpoint snapshot: unknown backend")
}
