// Package state is Floe's keyed and operator state: key groups, the two
// keyed state backends (hashmap and Pebble), their checkpoint snapshots,
// the canonical savepoint format, and operator list state. Wiring into
// operators, barriers and the checkpoint coordinator lives elsewhere; this
// package is the layer they stand on.
//
// # Key groups
//
// Keys hash to one of pipeline.max-parallelism key groups (KeyGroupOf,
// default 128, at most 32768); subtask i of p owns the contiguous
// KeyGroupRange RangeForSubtask returns (Flink's formula, the inverse of
// runtime.SubtaskForKeyGroup). State is stored, snapshotted and restored per
// key group, so a rescale moves whole groups: RescaleSources names the old
// subtasks whose ranges overlap a new one, and a restore loads only the key
// groups of its range from them.
//
// # Keyed state
//
// A KeyedBackend (New with Options; state.backend.type hashmap, the
// default, or pebble — "rocksdb" is an error naming pebble) holds one
// operator subtask's state. The operator sets the current key's codec bytes
// and key group before each record (SetCurrentKey); states declared by name
// with a descriptor read and write under it, scoped by a namespace
// (SetNamespace; VoidNamespace by default, windows set theirs):
//
//	b, _ := state.New(ctx, state.Options{Type: "pebble", Dir: localDir, Range: rng})
//	balance, _ := state.NewValueState(b, state.ValueDescriptor[int64]{Name: "balance"})
//	b.SetCurrentKey(keyBytes, kg)
//	v, _, _ := balance.Value()
//	_ = balance.Update(v + amount)
//
// Value, list, map, reducing and aggregating state follow Flink's
// semantics (reducing and aggregating fold on Add; map state stores one
// entry per user key). A descriptor's TTLConfig makes values expire a fixed
// time after their last write (or read, OnReadAndWrite), measured on
// Options.Clock: expired values are never returned, are deleted when met,
// are left out of every snapshot, and PurgeExpired removes the rest.
// Values with a TTL carry their expiry time in front of their bytes.
//
// # Backends and checkpoints
//
// HashMap keeps Go maps per state and key group. Its snapshot freezes the
// tables in O(states × key groups) (copy-on-write: a write to a table a
// snapshot still reads copies that table first), so the operator takes it
// synchronously at the barrier and another goroutine writes it, in the
// canonical format, to the checkpoint stream.
//
// Pebble keeps one Pebble LSM per slot in a local directory (state larger
// than memory), with key = key group | state id | key | namespace | user
// key so that a key-group range is one scan. Its checkpoint flushes the
// memtable and hard-links the immutable SST files into a directory; given
// the set of shared files already uploaded it marks only the new ones, for
// incremental checkpoints whose shared files the coordinator refcounts.
// A restore links the first checkpoint in, deletes the key groups outside
// the range and merges the others (rescaling). Close removes every local
// file.
//
// CheckpointSnapshotOf is the barrier's entry point for both: it returns a
// CheckpointSnapshot (a stream or a set of files) to upload off the hot
// path and Release.
//
// # Savepoints
//
// Both backends write and read one canonical, versioned binary format
// (format.go has the frame diagram): SavepointSnapshot, then WriteTo on
// any goroutine; RestoreSavepoint with one reader per old subtask. So a
// job moves from hashmap to Pebble and back through a savepoint. Corrupt
// input gives an error wrapping ErrCorrupt, never a panic (fuzzed), and a
// changed max parallelism is an error that says so.
//
// # Operator state
//
// OperatorBackend holds non-keyed list state (source positions, pending
// sink commits): Snapshot encodes it; Restore gives a new subtask its share
// of all old subtasks' lists, split evenly (EvenSplit) or whole (Union),
// as Flink redistributes operator state.
//
// # Broadcast state
//
// BroadcastBackend holds the map-shaped broadcast state of one operator
// subtask (BroadcastMapState, declared with a BroadcastMapDescriptor), the
// same on every instance. Snapshot encodes it (its own small format, sorted
// so equal contents give equal bytes); RestoreBroadcast gives new subtask i
// the whole state of old subtask i mod the old parallelism, as Flink does.
package state
