package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// keyedValue is the value state (one S per key) of a keyed operator. A task
// run alone (no checkpoint settings) keeps it on the heap; every deployed
// job keeps it in a keyedBackend (the configured runtime/state backend),
// which savepoints snapshot whether the job checkpoints or not. In front of
// the hashmap backend sits a write-back cache of Go values: a record reads
// and writes its key's value without encoding it, and only the keys
// changed since the last barrier are encoded into the backend, at the
// barrier (flush) — Flink's heap backend keeps objects too. Pebble, meant
// for state larger than memory, is read and written through.
type keyedValue[K comparable, S any] struct {
	heap *runtime.HeapValueState[K, S]
	*keyedBackend[K]
	v *state.ValueState[S]
	// cache and dirty are the write-back cache (nil for pebble): one
	// entry per key read or written, and the entries changed since the
	// last flush.
	cache map[K]*cachedValue[K, S]
	dirty []*cachedValue[K, S]
}

// cachedValue is a key's value as the cache knows it; ok false: none.
type cachedValue[K comparable, S any] struct {
	k     K
	v     S
	ok    bool
	dirty bool
}

// openKeyedValue opens the state of one keyed operator subtask.
func openKeyedValue[K comparable, S any](ctx context.Context, env *Environment, oc runtime.OperatorContext, name string) (*keyedValue[K, S], error) {
	if oc.Checkpointing == nil {
		return &keyedValue[K, S]{heap: runtime.NewHeapValueState[K, S]()}, nil
	}
	sc, err := runtime.CodecFor[S](env.codecs)
	if err != nil {
		return nil, fmt.Errorf("%s: state of type %T has no codec for checkpointed state: %w", name, *new(S), err)
	}
	kb, err := openKeyedBackend[K](ctx, env, oc, name)
	if err != nil {
		return nil, err
	}
	kv := &keyedValue[K, S]{keyedBackend: kb}
	if !kb.native {
		kv.cache = map[K]*cachedValue[K, S]{}
	}
	if kv.v, err = state.NewValueState(kb.b, state.ValueDescriptor[S]{Name: "value", Codec: sc}); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", name, err), kb.close())
	}
	return kv, nil
}

func (kv *keyedValue[K, S]) get(k K) (S, bool) {
	if kv.heap != nil {
		return kv.heap.Get(k)
	}
	if c := kv.cache[k]; c != nil {
		return c.v, c.ok
	}
	kv.setKey(k)
	v, ok, err := kv.v.Value()
	if err != nil {
		panic(fmt.Errorf("read keyed state: %w", err))
	}
	if kv.cache != nil {
		kv.cache[k] = &cachedValue[K, S]{k: k, v: v, ok: ok}
	}
	return v, ok
}

func (kv *keyedValue[K, S]) put(k K, v S) {
	if kv.heap != nil {
		kv.heap.Put(k, v)
		return
	}
	if kv.cache != nil {
		kv.change(k, v, true)
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
	if kv.cache != nil {
		var zero S
		kv.change(k, zero, false)
		return
	}
	kv.setKey(k)
	if err := kv.v.Clear(); err != nil {
		panic(fmt.Errorf("clear keyed state: %w", err))
	}
}

// change sets k's cached value and marks it for the next flush.
func (kv *keyedValue[K, S]) change(k K, v S, ok bool) {
	c := kv.cache[k]
	if c == nil {
		c = &cachedValue[K, S]{k: k}
		kv.cache[k] = c
	}
	c.v, c.ok = v, ok
	if !c.dirty {
		c.dirty = true
		kv.dirty = append(kv.dirty, c)
	}
}

// flush writes the keys changed since the last flush into the backend.
func (kv *keyedValue[K, S]) flush() error {
	for i, c := range kv.dirty {
		kv.dirty[i] = nil
		c.dirty = false
		kv.setKey(c.k)
		var err error
		if c.ok {
			err = kv.v.Update(c.v)
		} else {
			err = kv.v.Clear()
			delete(kv.cache, c.k)
		}
		if err != nil {
			return fmt.Errorf("write keyed state: %w", err)
		}
	}
	kv.dirty = kv.dirty[:0]
	return nil
}

// snapshot takes the state's snapshot at the barrier (keyedBackend).
func (kv *keyedValue[K, S]) snapshot(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	if kv.heap != nil {
		return runtime.OperatorSnapshot{}, nil
	}
	if err := kv.flush(); err != nil {
		return runtime.OperatorSnapshot{}, err
	}
	return kv.keyedBackend.snapshot(ctx, cp)
}

// each calls fn for every key with a value.
func (kv *keyedValue[K, S]) each(fn func(K, S)) error {
	if kv.heap != nil {
		kv.heap.Range(fn)
		return nil
	}
	if err := kv.flush(); err != nil {
		return err
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
	if kv.heap != nil {
		return nil
	}
	return kv.keyedBackend.close()
}
