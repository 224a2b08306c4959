package runtime

import (
	"fmt"
	"math"
)

// Keys are spread over MaxParallelism key groups; a key group belongs to
// exactly one subtask. Rescaling (a later issue) moves whole key groups, so
// the hash must be the same in every process: no per-process seeds here.

// HashBytes hashes b with 64-bit FNV-1a and a final mix.
func HashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return mix64(h)
}

// HashString is HashBytes for a string, without converting it.
func HashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// KeyGroup maps a key hash to its key group in [0, maxParallelism).
func KeyGroup(hash uint64, maxParallelism int) int {
	return int(hash % uint64(maxParallelism))
}

// SubtaskForKeyGroup is the subtask owning key group kg (Flink's formula:
// contiguous ranges of key groups per subtask).
func SubtaskForKeyGroup(kg, maxParallelism, parallelism int) int {
	return kg * parallelism / maxParallelism
}

// KeyHasher returns a deterministic hash function for keys of type K: a
// direct one for strings and integers, otherwise one over the key's encoding
// by c (the key codec).
func KeyHasher[K any](c Codec[K]) (func(K) uint64, error) {
	var zero K
	switch any(zero).(type) {
	case string:
		return func(k K) uint64 { return HashString(any(k).(string)) }, nil
	case int:
		return func(k K) uint64 { return mix64(uint64(any(k).(int))) }, nil
	case int64:
		return func(k K) uint64 { return mix64(uint64(any(k).(int64))) }, nil
	case int32:
		return func(k K) uint64 { return mix64(uint64(any(k).(int32))) }, nil
	case uint64:
		return func(k K) uint64 { return mix64(any(k).(uint64)) }, nil
	case uint32:
		return func(k K) uint64 { return mix64(uint64(any(k).(uint32))) }, nil
	case float64:
		return func(k K) uint64 { return mix64(math.Float64bits(any(k).(float64))) }, nil
	}
	if c == nil {
		return nil, fmt.Errorf("key type %T: no codec to hash it with", zero)
	}
	var scratch []byte
	return func(k K) uint64 {
		scratch = c.Append(scratch[:0], k)
		return HashBytes(scratch)
	}, nil
}
