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

// keyedValue is the value state (one S per key) of a keyed operator. A job
// that does not checkpoint keeps it on the heap; a checkpointing one keeps
// it in the configured runtime/state backend, snapshots it at each barrier
// (its key-group range: hashmap in the canonical format, pebble as its own
// files, both canonical in a savepoint) and restores it from every
// handle overlapping its range — so a rescale moves whole key groups.
type keyedValue[K comparable, S any] struct {
	heap *runtime.HeapValueState[K, S]

	oc   runtime.OperatorContext
	b    state.KeyedBackend
	v    *state.ValueState[S]
	kc   runtime.Codec[K]
	hash func(K) uint64
	maxP int
	kbuf []byte
	// native is set for the pebble backend, checkpointed with its own
	// files (keyed_pebble.go); uploaded are the shared files it stored.
	native   bool
	uploaded uploadedSet
}

// openKeyedValue opens the state of one keyed operator subtask.
func openKeyedValue[K comparable, S any](ctx context.Context, env *Environment, oc runtime.OperatorContext, name string) (*keyedValue[K, S], error) {
	if oc.Checkpointing == nil {
		return &keyedValue[K, S]{heap: runtime.NewHeapValueState[K, S]()}, nil
	}
	kc, err := runtime.CodecFor[K](env.codecs)
	if err != nil {
		return nil, fmt.Errorf("%s: keys of type %T have no codec for checkpointed state: %w", name, *new(K), err)
	}
	sc, err := runtime.CodecFor[S](env.codecs)
	if err != nil {
		return nil, fmt.Errorf("%s: state of type %T has no codec for checkpointed state: %w", name, *new(S), err)
	}
	hash, err := runtime.KeyHasher[K](kc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rng, err := state.RangeForSubtask(oc.MaxParallelism, oc.Parallelism, oc.Subtask)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	typ, err := state.ParseBackendType(oc.Checkpointing.Backend)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	opts := state.Options{Type: typ, MaxParallelism: oc.MaxParallelism, Range: rng, Dir: oc.Checkpointing.LocalDir}
	if opts.Dir == "" {
		opts.Dir = os.TempDir()
	}
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
	kv := &keyedValue[K, S]{oc: oc, b: b, kc: kc, hash: hash, maxP: oc.MaxParallelism, native: native}
	if kv.v, err = state.NewValueState(b, state.ValueDescriptor[S]{Name: "value", Codec: sc}); err == nil {
		err = kv.restore(ctx, rng)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), b.Close())
	}
	return kv, nil
}

// restore loads the key groups of rng from every keyed handle in the
// canonical format that overlaps it (native Pebble handles were opened
// with the backend).
func (kv *keyedValue[K, S]) restore(ctx context.Context, rng state.KeyGroupRange) error {
	r := kv.oc.Restore
	if r == nil {
		return nil
	}
	parts, err := r.ReadAll(ctx, kv.oc.Checkpointing.Storage, func(h runtime.StateHandle) bool {
		return nativeFileName(h) == "" && h.KeyGroupEnd > rng.Start && h.KeyGroupStart <= rng.End
	})
	if err != nil || len(parts) == 0 {
		return err
	}
	rs := make([]io.Reader, len(parts))
	for i, p := range parts {
		rs[i] = bytes.NewReader(p)
	}
	if err := kv.b.RestoreSavepoint(ctx, rs...); err != nil {
		return fmt.Errorf("restore keyed state of checkpoint %d: %w", r.Checkpoint, err)
	}
	return nil
}

func (kv *keyedValue[K, S]) setKey(k K) {
	kv.kbuf = kv.kc.Append(kv.kbuf[:0], k)
	kv.b.SetCurrentKey(kv.kbuf, runtime.KeyGroup(kv.hash(k), kv.maxP))
}

// get returns k's value. Backend failures abort the task (they are not the
// user's to handle).
func (kv *keyedValue[K, S]) get(k K) (S, bool) {
	if kv.heap != nil {
		return kv.heap.Get(k)
	}
	kv.setKey(k)
	v, ok, err := kv.v.Value()
	if err != nil {
		panic(fmt.Errorf("read keyed state: %w", err))
	}
	return v, ok
}

func (kv *keyedValue[K, S]) put(k K, v S) {
	if kv.heap != nil {
		kv.heap.Put(k, v)
		return
	}
	kv.setKey(k)
	if err := kv.v.Update(v); err != nil {
		panic(fmt.Errorf("write keyed state: %w", err))
	}
}

func (kv *keyedValue[K, S]) del(k K) {
	if kv.heap != nil {
		kv.heap.Delete(k)
		return
	}
	kv.setKey(k)
	if err := kv.v.Clear(); err != nil {
		panic(fmt.Errorf("clear keyed state: %w", err))
	}
}

// snapshot takes the state's canonical snapshot at the barrier; Upload
// writes it to the checkpoint's folder as one file covering the subtask's
// key-group range. Pebble checkpoints are its own files (pebbleSnapshot),
// but a savepoint is canonical whatever the backend, in the savepoint's
// own folder, so any backend restores it.
func (kv *keyedValue[K, S]) snapshot(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	if kv.heap != nil {
		return runtime.OperatorSnapshot{}, nil
	}
	if kv.native && cp.Savepoint == "" {
		return kv.pebbleSnapshot(ctx, cp)
	}
	snap, err := kv.b.SavepointSnapshot()
	if err != nil {
		return runtime.OperatorSnapshot{}, err
	}
	cs := kv.oc.Checkpointing
	path := cs.StateFile(cp, kv.oc.Operator.ID, kv.oc.Vertex, kv.oc.Subtask, "keyed")
	rng := kv.b.KeyGroupRange()
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

// each calls fn for every key with a value.
func (kv *keyedValue[K, S]) each(fn func(K, S)) error {
	if kv.heap != nil {
		kv.heap.Range(fn)
		return nil
	}
	return kv.v.ForEach(func(kb []byte, _ int, s S) error {
		k, err := decodeKey(kv.kc, kb)
		if err != nil {
			return err
		}
		fn(k, s)
		return nil
	})
}

func decodeKey[K any](c runtime.Codec[K], b []byte) (K, error) {
	k, n, err := c.Decode(b)
	if err == nil && n != len(b) {
		err = fmt.Errorf("key of %d bytes has %d left over", len(b), len(b)-n)
	}
	if err != nil {
		return k, fmt.Errorf("decode keyed state key: %w", err)
	}
	return k, nil
}

func (kv *keyedValue[K, S]) close() error {
	if kv.b == nil {
		return nil
	}
	return kv.b.Close()
}
