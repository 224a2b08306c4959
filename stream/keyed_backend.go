package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// keyedBackend is a keyed operator subtask's runtime/state backend with
// keys of type K: the configured type (state.backend.type) in a job that
// checkpoints, a hashmap otherwise. It restores the key groups of its
// range from every handle overlapping it (a rescale moves whole key
// groups) and snapshots its range at each barrier: hashmap in the
// canonical format to <dir>/chk-<n>/<operator>-<vertex>-<subtask>-keyed,
// pebble as its own files (keyed_pebble.go).
type keyedBackend[K comparable] struct {
	oc   runtime.OperatorContext
	b    state.KeyedBackend
	kc   runtime.Codec[K]
	hash func(K) uint64
	maxP int
	kbuf []byte
	// native is set for the pebble backend, checkpointed with its own
	// files (keyed_pebble.go); uploaded are the shared files it stored.
	native   bool
	uploaded uploadedSet
}

// openKeyedBackend opens the backend of one keyed operator subtask and
// restores it. States are declared on kb.b afterwards (declaring finds
// restored ones).
func openKeyedBackend[K comparable](ctx context.Context, env *Environment, oc runtime.OperatorContext, name string) (*keyedBackend[K], error) {
	kc, err := runtime.CodecFor[K](env.codecs)
	if err != nil {
		return nil, fmt.Errorf("%s: keys of type %T have no codec for keyed state: %w", name, *new(K), err)
	}
	hash, err := runtime.KeyHasher[K](kc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rng, err := state.RangeForSubtask(oc.MaxParallelism, oc.Parallelism, oc.Subtask)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	typ := state.TypeHashMap
	opts := state.Options{MaxParallelism: oc.MaxParallelism, Range: rng, Dir: os.TempDir()}
	if cs := oc.Checkpointing; cs != nil {
		if typ, err = state.ParseBackendType(cs.Backend); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if cs.LocalDir != "" {
			opts.Dir = cs.LocalDir
		}
	}
	opts.Type = typ
	native := typ == state.TypePebble
	if native && oc.Restore != nil {
		dirs, shared, cleanup, err := downloadPebble(ctx, oc.Checkpointing.Storage, opts.Dir, oc.Restore.Handles, rng)
		if err != nil {
			return nil, fmt.Errorf("%s: restore checkpoint %d: %w", name, oc.Restore.Checkpoint, err)
		}
		defer cleanup() // the backend links or copies the files in
		opts.PebbleRestore, opts.PebbleRestoreShared = dirs, shared
	}
	b, err := state.New(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: state backend: %w", name, err)
	}
	kb := &keyedBackend[K]{oc: oc, b: b, kc: kc, hash: hash, maxP: oc.MaxParallelism, native: native}
	if err := kb.restore(ctx, rng); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), b.Close())
	}
	return kb, nil
}

// restore loads the key groups of rng from every keyed handle in the
// canonical format that overlaps it (native Pebble handles were opened
// with the backend).
func (kb *keyedBackend[K]) restore(ctx context.Context, rng state.KeyGroupRange) error {
	r := kb.oc.Restore
	if r == nil || kb.oc.Checkpointing == nil {
		return nil
	}
	parts, err := r.ReadAll(ctx, kb.oc.Checkpointing.Storage, func(h runtime.StateHandle) bool {
		return nativeFileName(h) == "" && h.KeyGroupEnd > rng.Start && h.KeyGroupStart <= rng.End
	})
	if err != nil || len(parts) == 0 {
		return err
	}
	rs := make([]io.Reader, len(parts))
	for i, p := range parts {
		rs[i] = bytes.NewReader(p)
	}
	if err := kb.b.RestoreSavepoint(ctx, rs...); err != nil {
		return fmt.Errorf("restore keyed state of checkpoint %d: %w", r.Checkpoint, err)
	}
	return nil
}

// setKey makes k the backend's current key.
func (kb *keyedBackend[K]) setKey(k K) {
	kb.kbuf = kb.kc.Append(kb.kbuf[:0], k)
	kb.b.SetCurrentKey(kb.kbuf, runtime.KeyGroup(kb.hash(k), kb.maxP))
}

// currentKey decodes the backend's current key (after a timer set it).
func (kb *keyedBackend[K]) currentKey() (K, error) { return decodeKey(kb.kc, kb.b.CurrentKey()) }

// snapshot takes the state's snapshot at the barrier; Upload writes it.
// Without checkpointing there is nothing to snapshot.
func (kb *keyedBackend[K]) snapshot(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	if kb.oc.Checkpointing == nil {
		return runtime.OperatorSnapshot{}, nil
	}
	if kb.native {
		return kb.pebbleSnapshot(ctx, cp)
	}
	snap, err := kb.b.SavepointSnapshot()
	if err != nil {
		return runtime.OperatorSnapshot{}, err
	}
	cs := kb.oc.Checkpointing
	path := cs.StatePath(cp.ID, kb.oc.Operator.ID, kb.oc.Vertex, kb.oc.Subtask, "keyed")
	rng := kb.b.KeyGroupRange()
	return runtime.OperatorSnapshot{Upload: func(ctx context.Context) ([]runtime.StateHandle, error) {
		defer snap.Release()
		w, err := cs.Storage.Create(ctx, path)
		if err != nil {
			return nil, err
		}
		n, err := snap.WriteTo(ctx, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return []runtime.StateHandle{{Path: path, Size: n, KeyGroupStart: rng.Start, KeyGroupEnd: rng.End + 1}}, nil
	}}, nil
}

func (kb *keyedBackend[K]) close() error {
	if kb == nil || kb.b == nil {
		return nil
	}
	return kb.b.Close()
}

// mustState panics with a backend failure: it aborts the task (such failures
// are not the user's to handle).
func mustState(op string, err error) {
	if err != nil {
		panic(fmt.Errorf("%s: %w", op, err))
	}
}
