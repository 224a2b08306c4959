package runtime

// HeapValueState is keyed value state kept in memory: one value of type S
// per key. It is the first keyed state backend; snapshots (checkpoints) and
// per-key-group iteration for rescaling will be added behind the same
// methods, which is why callers never reach into the map.
type HeapValueState[K comparable, S any] struct {
	m map[K]S
}

// NewHeapValueState returns empty state.
func NewHeapValueState[K comparable, S any]() *HeapValueState[K, S] {
	return &HeapValueState[K, S]{m: make(map[K]S)}
}

// Get returns the value for k and whether there is one.
func (h *HeapValueState[K, S]) Get(k K) (S, bool) {
	v, ok := h.m[k]
	return v, ok
}

// Put sets the value for k.
func (h *HeapValueState[K, S]) Put(k K, v S) { h.m[k] = v }

// Delete removes k's value.
func (h *HeapValueState[K, S]) Delete(k K) { delete(h.m, k) }

// Len is the number of keys with a value.
func (h *HeapValueState[K, S]) Len() int { return len(h.m) }

// Range calls fn for every key and value.
func (h *HeapValueState[K, S]) Range(fn func(k K, v S)) {
	for k, v := range h.m {
		fn(k, v)
	}
}
