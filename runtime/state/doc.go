// Package state is Floe's keyed and operator state: key groups, the state
// backends (hashmap and Pebble), their snapshots and the canonical savepoint
// format.
//
// Keys hash to one of pipeline.max-parallelism key groups (KeyGroupOf);
// subtask i of p owns the contiguous KeyGroupRange RangeForSubtask returns,
// the inverse of runtime.SubtaskForKeyGroup. A rescale moves whole key
// groups: RescaleSources names the old subtasks whose state overlaps a new
// range.
package state
