package state

import (
	"fmt"

	"github.com/floe-yarn/floe/runtime"
)

// DefaultMaxParallelism is pipeline.max-parallelism when unset: the number
// of key groups a job's keys are spread over, fixed for the job's life.
const DefaultMaxParallelism = 128

// MaxKeyGroups bounds pipeline.max-parallelism (Flink's 2^15): key groups
// are stored as two big-endian bytes and 0xFFFF is reserved for metadata.
const MaxKeyGroups = 1 << 15

// KeyGroupRange is the contiguous, inclusive range [Start, End] of key
// groups one subtask owns. An empty range has End < Start.
type KeyGroupRange struct {
	Start, End int
}

// RangeForSubtask is the key-group range subtask i of parallelism p owns
// with maxP key groups (Flink's KeyGroupRangeAssignment): the inverse of
// runtime.SubtaskForKeyGroup.
func RangeForSubtask(maxP, p, i int) (KeyGroupRange, error) {
	if maxP <= 0 || maxP > MaxKeyGroups {
		return KeyGroupRange{}, fmt.Errorf("max parallelism %d: must be in 1..%d", maxP, MaxKeyGroups)
	}
	if p <= 0 || p > maxP {
		return KeyGroupRange{}, fmt.Errorf("parallelism %d: must be in 1..%d (max parallelism)", p, maxP)
	}
	if i < 0 || i >= p {
		return KeyGroupRange{}, fmt.Errorf("subtask %d: must be in 0..%d", i, p-1)
	}
	return KeyGroupRange{Start: (i*maxP + p - 1) / p, End: ((i+1)*maxP - 1) / p}, nil
}

// KeyGroupOf is the key group of a key hash (runtime.KeyGroup).
func KeyGroupOf(hash uint64, maxP int) int { return runtime.KeyGroup(hash, maxP) }

// Len is the number of key groups in r.
func (r KeyGroupRange) Len() int { return max(0, r.End-r.Start+1) }

// Empty reports whether r holds no key group.
func (r KeyGroupRange) Empty() bool { return r.End < r.Start }

// Contains reports whether kg is in r.
func (r KeyGroupRange) Contains(kg int) bool { return kg >= r.Start && kg <= r.End }

// Intersect is the key groups in both r and o (possibly empty).
func (r KeyGroupRange) Intersect(o KeyGroupRange) KeyGroupRange {
	return KeyGroupRange{Start: max(r.Start, o.Start), End: min(r.End, o.End)}
}

func (r KeyGroupRange) String() string { return fmt.Sprintf("key groups %d..%d", r.Start, r.End) }

// RescaleSources lists the subtasks of the old parallelism whose state a
// subtask with range target must read on restore: those whose old range
// overlaps target. Only the key groups in the intersection are loaded.
func RescaleSources(maxP, oldP int, target KeyGroupRange) ([]int, error) {
	var out []int
	for i := 0; i < oldP; i++ {
		r, err := RangeForSubtask(maxP, oldP, i)
		if err != nil {
			return nil, err
		}
		if !r.Intersect(target).Empty() {
			out = append(out, i)
		}
	}
	return out, nil
}
