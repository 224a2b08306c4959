// Package runtime executes chains of operators on records: codecs, in-band
// events and, later, state and timers.
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
// Records travel through an Exchange: LocalExchange (bounded Go channels,
// local execution) or the network data plane (taskexec adapts
// taskexec/netio). A consumer reads its InputGate record by record; every
// channel ends with an EndOfPartition event, and the Event type already
// carries Watermark and CheckpointBarrier for event time and checkpoints.
// A task flushes its outputs whenever its input has nothing ready (or a
// source goes idle), which bounds latency without a timer.
//
// A panicking user function fails its task with a *PanicError holding the
// panic value and the goroutine's stack; cancellation (ctx) ends a task with
// an error wrapping ErrCanceled. Keyed state lives in HeapValueState, the
// first keyed state backend.
package runtime
