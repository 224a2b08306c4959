// Package runtime executes chains of operators on records: codecs, in-band
// events, checkpoint barriers, event time and timers.
//
// RunTask runs one subtask: the chain of operators of one job graph vertex
// (graph.Vertex) for one parallel index. The job binary supplies a Program —
// its job graph and an OperatorFactory per logical operator (package stream
// implements both with the user's functions). Operators are opened
// downstream first; each gets its consumers as typed functions (chained
// operators, called directly without any per-record interface call) and
// RecordOutputs (edges to other tasks). A RecordOutput batches encoded
// records (4-byte length + codec bytes) into one buffer per consumer channel
// and routes them by the edge's partitioner: forward, rebalance, broadcast,
// or hash over key groups (KeyGroup, SubtaskForKeyGroup — the seam for
// rescaling keyed state).
//
// A vertex whose head has two logical inputs (Connect in package stream)
// has a TwoInputOperator head: each job edge names the input it feeds
// (graph.JobEdge.Input), and the task hands each record to PushRecord or
// PushRecord2 by its edge. Barriers are aligned, and the watermark taken,
// over the channels of both inputs together.
//
// Records travel through an Exchange: LocalExchange (bounded Go channels,
// local execution) or the network data plane (taskexec adapts
// taskexec/netio). A consumer reads its InputGate record by record; every
// channel ends with an EndOfPartition event, and the Event type also
// carries Watermark (for event time) and CheckpointBarrier.
// A task flushes its outputs whenever its input has nothing ready (or a
// source goes idle), which bounds latency without a timer.
//
// A panicking user function fails its task with a *PanicError holding the
// panic value and the goroutine's stack; cancellation (ctx) ends a task with
// an error wrapping ErrCanceled. Keyed state lives in HeapValueState, the
// first keyed state backend.
//
// # Checkpoints
//
// The runtime side of Chandy–Lamport with aligned barriers. TaskOptions
// carry CheckpointHooks: the job's CheckpointingMode, a channel of
// CheckpointCommands (trigger, complete, abort — the coordinator's actions
// as the TaskManager receives them) and the Ack/Decline callbacks.
//
//   - A source task handles a trigger at a safe point between records: a
//     SafePointSource calls safePoint between records, and idle is a safe
//     point for every source. There it forwards the barrier on every output
//     channel after the records emitted before it (RecordOutput.Broadcast)
//     and snapshots its chain.
//   - A task with inputs feeds barriers and channel ends to an Aligner, a
//     deterministic core (time is an input). ExactlyOnce: a channel that
//     delivered barrier n is blocked (InputGate.Block: the gate stops
//     reading it and flow control holds its producer back, so nothing piles
//     up) until every channel did; then the task snapshots, forwards the
//     barrier and unblocks. A newer barrier aborts the pending one; a
//     channel that ended counts as having delivered every barrier.
//     AtLeastOnce: nothing blocks; the snapshot is taken at the last
//     barrier.
//   - The snapshot calls SnapshotState of every Checkpointer of the chain in
//     chain order on the task goroutine (the synchronous part); their Upload
//     functions then run in a goroutine of the task while records flow, and
//     Ack reports the snapshots and the alignment time, or Decline the first
//     failure. The task waits for its uploads before it ends.
//   - Complete and abort commands reach NotifyCheckpointComplete and
//     NotifyCheckpointAborted of every Checkpointer, between records.
//   - A savepoint's barrier carries its folder (CheckpointMeta.Savepoint):
//     every task writes its state there (StateFile), canonical whatever the
//     backend. A stop-with-savepoint trigger (CheckpointMeta.Stop) makes a
//     source emit its barrier (after a MAX watermark with Drain) and then
//     nothing: it waits for the verdict, ends normally when the savepoint
//     completed and goes on when it was aborted (stop.go).
//
// State reaches operators through their OperatorContext: Checkpointing
// (the job's checkpoint folder, state backend, and a CheckpointStorage to
// write and read files; StatePath names a subtask's file of checkpoint n
// under Dir/chk-<n>/) and Restore (the operator's handles, matched by
// operator UID, of the checkpoint the subtask restores, from
// TaskOptions.Restore; nil for an operator without state in a savepoint,
// which is new). Operators read them when they open, before any record.
//
// Package runtime/checkpointtest is a test job for all of this, run over
// the local exchange here and over the network data plane in taskexec;
// runtime/twoinputtest does the same for two-input tasks.
//
// # Event time
//
// A record's event timestamp travels with it like Flink's StreamRecord
// timestamp: in a chain it is a per-task slot (TimeContext.Timestamp) that
// the chain head sets from the incoming record and that a timestamp
// assigner or a firing timer overwrites (SetTimestamp); operators read it.
// Across tasks it travels only on edges marked graph.JobEdge.Timestamps
// (the API marks the edges downstream of an assigner): each record there
// carries 8 bytes of timestamp in front of its codec bytes, and Watermark
// events flow. A job without event time has no such edge and pays nothing.
//
// Watermarks are in-band events that never overtake records: an operator
// emits one with TimeContext.EmitWatermark; the task hands it at once to
// the chained operators after it (ProcessWatermark of a WatermarkHandler,
// or straight on) and broadcasts it on every channel of the operator's
// outputs with timestamps, after the records emitted before it (a
// watermark not above the last one sent is dropped). A task with inputs
// feeds watermark events, records and channel ends to a WatermarkValve,
// a deterministic core: its input watermark is the minimum over the
// channels that are neither idle nor ended; an ended channel counts as
// MaxWatermark, so when every input ends the watermark becomes MaxWatermark
// and every event-time timer fires; an idle channel (a Watermark event of
// IdleWatermark) stops holding the minimum back until it delivers a record
// or a watermark again; when every open channel is idle the input goes
// idle too (forwarded as IdleWatermark) at the largest of their
// watermarks. A source task sends MaxWatermark through its chain when the
// source ends, before Finish. Barriers and alignment are untouched:
// watermarks are events like any other on a channel. A stop with
// savepoint without drain ends no event time: the stopped source sends
// neither MaxWatermark nor anything else after the barrier, then a Stopped
// event before each channel's end; a task whose input channel ended so
// leaves that channel's watermark where it was, finishes its operators
// with a context that StoppedWithSavepoint recognizes (keyed end-of-input
// callbacks emit nothing) and passes Stopped on.
//
// Processing time: TimeContext.AtProcessingTime registers a callback that
// the task goroutine runs once the wall clock reaches it — a task with
// inputs waits on a timer beside its input gate and checkpoint commands,
// a source task runs due callbacks at its safe points (between batches and
// when idle) — so operators never lock on the record path. Periodic
// watermark emission and processing-time timers are built on it.
// the local exchange here and over the network data plane in taskexec.
//
// # Metrics
//
// TaskOptions.Metrics is the subtask's metric group (package metrics); each
// operator gets a child group in OperatorContext.Metrics, where user code
// registers its own metrics. The task keeps Flink's task I/O figures
// (numRecordsIn/Out, numBytesIn/Out, idle and backpressured time) in plain
// fields on its goroutine — records and bytes counted where the gate hands
// them over and where RecordOutput writes buffers, time measured around
// blocking waits and buffer hand-offs, never per record — and publishes
// them at safe points and before it waits for input. Operator counts
// inside a chain are derived, so that only operators that change the
// number of records pay: the chain head reports the task's numRecordsIn;
// sources (by the batch), Filters (what they keep) and operators whose
// user code or firings emit (a counting emit) say what they emitted on
// their main output (OperatorContext.RecordsOut); a Map is one to one
// (OneToOne); every other operator's numRecordsIn is what its chained
// predecessor emitted. One add per record on make bench's chained
// pipeline, where counting each operator's input cost about 4 %, over its
// 3 % budget. Only a side output's reader counts its own input
// (RecordsIn). An operator that does not say what it emitted reports
// what its chained consumers took plus its network outputs' records.
// Watermark gauges read NoWatermark until watermarks exist.
package runtime
