package state

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// The flow an operator follows at a barrier, for both backends: snapshot
// synchronously, upload on another goroutine while records keep coming,
// release, restore.
func TestCheckpointSnapshotFlow(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(t, Options{})
			fill(t, b, 200, "at the barrier")
			snap, err := CheckpointSnapshotOf(context.Background(), b, nil)
			must(t, err)
			var wg sync.WaitGroup
			var stream bytes.Buffer
			dir := t.TempDir()
			var uerr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				if snap.Stream != nil {
					_, uerr = snap.Stream.WriteTo(context.Background(), &stream)
					return
				}
				for _, f := range snap.Files.Files {
					if uerr = copyFile(filepath.Join(snap.Files.Dir, f.Name), filepath.Join(dir, f.Name)); uerr != nil {
						return
					}
				}
			}()
			fill(t, b, 200, "after the barrier")
			wg.Wait()
			must(t, uerr)
			must(t, snap.Release())
			var r KeyedBackend
			if snap.Stream != nil {
				r = openBackend(t, TypeHashMap, Options{})
				must(t, r.RestoreSavepoint(context.Background(), &stream))
			} else {
				r = openBackend(t, TypePebble, Options{PebbleRestore: []string{dir}})
			}
			check(t, r, 200, "at the barrier")
		})
	}
}
