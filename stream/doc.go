// Package stream is the public Go API for writing Floe jobs, its sources
// and sinks, and the role switch of a job binary (local, plan,
// taskmanager). The roles themselves live elsewhere: local execution in
// package localcluster, the TaskManager process in taskexec.RunProcess;
// file sources and sinks read and write through hdfsstore.
//
// A job is a Go program: main() creates an Environment, adds sources,
// transformations and sinks, and calls Execute. Records are plain Go values;
// each record type gets a binary codec from runtime.CodecFor (register your
// own with RegisterCodec). A type that cannot be encoded (a channel, a
// function, an interface) is an error when the job is built (Environment.Err
// and Execute report it), never a panic at run time.
//
//	env := stream.NewEnvironment(stream.Options{Parallelism: 4})
//	lines := stream.ReadTextFile(env, "hdfs:///data/books")
//	words := stream.FlatMap(lines, splitWords)               // Stream[WordCount]
//	counts := stream.Reduce(stream.KeyBy(words, byWord), add) // rolling count per word
//	stream.WriteText(counts, "/tmp/counts").Name("sink").UID("sink")
//	if err := env.Execute("wordcount"); err != nil { … }
//
// Sources: FromSlice, ReadTextFile (bounded, split across parallel
// readers), SocketTextStream, Generate (rate-controlled, for tests and
// benchmarks), and FromSource for any Source. Transformations: Map, FlatMap, Filter, KeyBy with Reduce
// (rolling), Process, ProcessWithEnd and ProcessWithEndContext (a keyed
// function with per-key value state and side outputs), ProcessStream (a
// process function on a stream that is not keyed: the record's timestamp,
// the watermark, the clock and side outputs, no timers), AsKeyed, Union, Connect with CoProcess and KeyedCoProcess,
// Broadcast with KeyedBroadcastProcess, the window and interval joins
// (see Joins), and the partitioners Forward, Rebalance,
// Broadcast and hash (KeyBy). Sinks: Print, WriteText and FileSink (the
// exactly-once file sink), ForEach, ForEachSubtask, AddSink, Discard. Every operator has Name, UID,
// Parallelism and DisableChaining; the environment has a default
// parallelism and a switch to turn chaining off.
//
// # Which values are shared
//
// A function given to Map, FlatMap, Filter, Process and the sinks is one Go
// value: every parallel subtask running in a process calls the same
// closure, and it lives across restarts of the job, so a variable it
// captures counts for all of them together (Flink would give each subtask
// a fresh function object). For per-subtask state, use MapWith,
// FlatMapWith or FilterWith (Flink's rich functions): their open function
// runs once in every subtask, on every (re)start, with a RuntimeContext
// (job id, subtask index, parallelism, attempt, logger, OnClose) and
// returns that subtask's own function. State that must survive failures
// belongs in keyed or operator state, which checkpoints restore.
//
// Go methods cannot have type parameters, so operators that change the
// record type are functions (Map(s, f)) while the others are methods too.
//
// # Connected streams and broadcast state
//
// Connect(a, b) joins two streams of possibly different types into one
// two-input operator (its task knows which input each channel feeds,
// aligns checkpoint barriers over the channels of both, and its watermark
// is the minimum of both inputs'): CoProcess runs a CoProcessFunction
// (ProcessElement1, ProcessElement2). ConnectKeyed connects two streams
// keyed by the same key type; KeyedCoProcess gives both inputs the key's
// value state, timers and side outputs in a ProcessContext, and OnTimer.
//
// Broadcast(s, MapStateDescriptor…) sends every record of s to every
// instance of the operator it is connected to (Flink's broadcast state
// pattern): ConnectBroadcast(keyed, broadcast) and KeyedBroadcastProcess
// run a KeyedBroadcastProcessFunction. ProcessBroadcastElement changes the
// map-shaped broadcast state (BroadcastState), the same way on every
// instance; ProcessElement and OnTimer read it (ReadOnlyBroadcastState)
// beside the key's state and timers. In a job that checkpoints, every
// subtask writes its broadcast state to
// <dir>/chk-<n>/<operator>-<vertex>-<subtask>-broadcast with a handle
// covering every key group, so a subtask restored at any parallelism is
// given every old copy and takes one (runtime/state.BroadcastBackend): all
// instances start with the same broadcast state.
//
// # Roles
//
// The same binary plays every role that needs user code; FLOE_ROLE
// (contract.EnvRole) chooses:
//
//   - unset or "local": Execute runs the job in-process on an embedded
//     JobManager with Options.LocalTaskManagers TaskManagers of
//     Options.LocalSlots slots (localcluster.Run), and returns when the
//     job ends (an interrupt cancels it; a failure is a *JobError);
//   - "plan": Execute prints the serialized job graph on standard output
//     and returns; no record is processed (floe run uses this);
//   - "taskmanager": Execute connects to the JobManager named in the
//     environment and runs the subtasks it is given, exchanging records
//     with other TaskManagers over TCP (taskexec.RunProcess). It refuses
//     a job graph whose fingerprint differs from the one main() built here.
//
// # Configuration and checkpointing
//
// A job's options (execution.checkpointing.*, state.*, restart-strategy.*)
// come, lowest first, from floe-conf.yaml ($FLOE_CONF_DIR), then -D, then
// the job's code: EnableCheckpointing(interval, mode) and Configure(key,
// value) (Flink's env.enableCheckpointing and env.configure). As in Flink,
// what the code sets wins over the configuration and the command line. The
// code's options travel in the job graph (graph.JobGraph.Config), so the
// JobManager on YARN applies them too (jobmanager.JobConfigLookup). Local
// execution reads floe-conf.yaml and the -D options `floe run -t local`
// hands over in contract.EnvDynamicProperties, and checkpoints exactly as a
// cluster does (localcluster.Options.Checkpointing); with checkpointing on
// and no restart strategy set it restarts with exponential-delay.
//
//	env.EnableCheckpointing(time.Second, stream.ExactlyOnce)
//	env.Configure("state.checkpoints.dir", "hdfs:///checkpoints")
//	env.Configure("state.backend.type", "pebble")
//
// A source that cannot replay (SocketTextStream) is marked in the job graph
// (graph.Node.NonReplayable): a job checkpointing in EXACTLY_ONCE mode that
// reads one is warned at submission that its records are processed
// at-most-once across a failover (jobmanager.ReplayWarning). A file sink
// is marked too (graph.Node.CommitsOnRoll): a job without checkpoints that
// writes an unbounded source into files is warned that its output is
// at-least-once (jobmanager.RollingCommitWarning).
//
// # Checkpointed sources and sinks
//
// A Source (FLIP-27 style) lists splits, deals them to parallel
// SplitReaders (AssignSplits) and each reader can Snapshot, at any record
// boundary, the SplitState of its splits: what the split is and how far it
// was read. Restoring hands the union of the snapshots out again, to the
// same or another number of readers, and reading resumes without losing
// or repeating a record. The built-ins are Sources: ReadTextFile (byte
// ranges of each file; the position is the offset of the next line; a
// reader seeks to it through hdfsstore.File rather than reading the bytes
// before it), FromSlice (the next index) and Generate (the next sequence
// number). SocketTextStream cannot be replayed; NonReplayableSources names
// such sources so that a submission in EXACTLY_ONCE mode can say what
// guarantee the job really has.
//
// A Source may deal its splits out itself (SplitAssigner: the Kafka
// source gives each partition to the subtask a fixed rule names, so a
// reader discovering a new partition knows whether it owns it), and a
// SplitReader may act when a checkpoint completes
// (SplitCheckpointListener, given the split states of that checkpoint).
//
// A TwoPhaseCommitWriter makes its output visible only when the checkpoint
// covering it completes; TwoPhaseCommitSink drives one through Snapshot
// (pre-commit at the barrier), NotifyCheckpointComplete (commit), Restore
// (commit the restored checkpoint's pending output, discard what came
// after) and EndOfInput. FileWriter is the file sink built on it (Flink's
// FileSink is the model): part files part-<uid>-<subtask>-<counter> are
// written under hidden names, roll by size, time and at every barrier, and
// are renamed to their visible names on commit. WriteText and FileSink use
// it; AddTwoPhaseCommitSink adds a sink around any writer, for
// connectors in other packages (stream/kafka's exactly-once sink). For
// the file sink: in a job that checkpoints, a part file is pre-committed
// at the barrier, committed when the checkpoint completes, and a restore commits
// the restored checkpoint's pending files and discards later ones; in a
// job that does not, a part file commits when it rolls and at the end of a
// bounded input. A folder
// holding visible files of another run is refused unless
// FileSinkOptions.Overwrite.
//
// # Operators in checkpoints
//
// Every operator is a runtime.Checkpointer. When the TaskManager deploys a
// subtask with checkpoint settings (runtime.OperatorContext.Checkpointing,
// which every deployed job has: one without periodic checkpoints still
// takes savepoints):
// split sources run with safe points (runtime.SafePointSource) and
// snapshot their readers' SplitStates as inline operator state; on restore
// at the same parallelism a source subtask keeps its own splits, at
// another it takes its share (AssignSplits) of the union of every old
// subtask's split states, so a rescaled job deals whole splits out again.
// Keyed Reduce, Process and ProcessWithEnd (whose end function visits
// every key of the backend) keep one value per key in a
// runtime/state backend (state.backend.type: hashmap or pebble), snapshot
// their key-group range at the barrier and upload it off the task
// goroutine: hashmap in the canonical format to
// <dir>/chk-<n>/<operator>-<vertex>-<subtask>-keyed, pebble as its own
// checkpoint files (with execution.checkpointing.incremental its SST files
// once each under <dir>/shared/, as Shared handles). A restore loads the
// key groups of the subtask's range from every handle that overlaps it.
// Without checkpointing keyed state stays on the heap, as before.
//
// main() must therefore build the same graph every time it runs with the
// same arguments.
//
// # Event time, timers and windows
//
// AssignTimestampsAndWatermarks gives records event timestamps (the
// WatermarkStrategy's timestamp assigner) and makes watermarks with the
// strategy's generator, one per parallel instance: ForBoundedOutOfOrderness
// (largest timestamp seen − d − 1 ms, emitted every
// pipeline.auto-watermark-interval, Options.AutoWatermarkInterval, default
// 200 ms), ForMonotonousTimestamps, or ForGenerator with a user
// WatermarkGenerator (OnEvent and OnPeriodicEmit, either may emit);
// WithIdleness marks an instance idle after a quiet spell so it does not
// hold the watermark back. Everything downstream carries timestamps; the
// runtime moves them and the watermarks (see package runtime). An
// assigner drops upstream watermarks except the final MaxWatermark of a
// bounded input, which fires every open window.
//
// KeyedProcess runs a KeyedProcessFunction (ProcessElement, OnTimer) with
// the key, the record's timestamp, per-key value state and a TimerService
// (event-time timers fire when the watermark reaches them, processing-time
// ones from the task's clock; one fires once per key, namespace and time;
// a deleted one never fires). Its state and timers live in the keyed
// state backend (runtime/state.TimerService: timers are entries of keyed
// state), so they are checkpointed, restored and rescaled with the key
// groups; without checkpointing the backend is a hashmap.
//
// Side outputs: NewOutputTag names a side stream of any type, a process or
// window function emits to it with Output(ctx, tag, v), and
// SideOutput(stream, tag) reads it. Every process function's context
// offers them: KeyedProcess's, Process's (and ProcessWithEndContext's end
// function's), ProcessStream's, the connected and broadcast ones' and the
// window functions'.
//
// Windows: Window(keyed, assigner) or WindowAll(stream, assigner) (one
// instance) give a WindowedStream; CountWindow fires every n records,
// CountWindowSlide every slide records with the last size (an evictor).
// Assigners: TumblingEventTimeWindows, SlidingEventTimeWindows,
// EventTimeSessionWindows (sessions merge when they overlap or touch),
// their processing-time variants and GlobalWindows; windows are aligned to
// the epoch (WindowStart, right for negative timestamps), [Start, End)
// with MaxTimestamp End − 1. Triggers: EventTimeTrigger and
// ProcessingTimeTrigger (the defaults), CountTrigger, PurgingTrigger,
// ContinuousEventTimeTrigger and ContinuousProcessingTimeTrigger (every
// interval, aligned to the epoch, and at the window's end). A window is late when MaxTimestamp +
// AllowedLateness <= the watermark; a record all of whose windows are late
// is dropped or sent to SideOutputLateData's tag; a late record within the
// allowed lateness fires its window again. Functions: Reduce and
// WindowAggregate fold incrementally, WindowProcess gets every record of
// the window, WindowAggregateProcess folds and then gets the window's
// context. Window contents, trigger state, session sets and timers are
// keyed state. Processing-time windows still open when a bounded input
// ends do not fire. Bad parameters (a size or gap of 0, a slide larger
// than the size, a malformed duration in ParseWindowSpec, an event-time
// window on a stream without timestamps) are errors when the job is
// built.
//
// # Joins
//
// Window joins (Flink's join and coGroup with a window): CoWindow(a, b,
// assigner) cuts two streams keyed by the same key type into the same
// windows, with Trigger and AllowedLateness as for Window; WindowJoin
// emits fn(a, b) for every pair of a key's window (an inner join: a window
// with records of one input only emits nothing) and WindowCoGroup hands fn
// both inputs' records of a key's window (either may be empty). It is one
// two-input operator that tags each record with its input and runs the
// window operator, so every assigner, trigger and session merge works as
// for Window; results carry the window's MaxTimestamp.
//
//	pairs := stream.WindowJoin(stream.CoWindow(bids, auctions, stream.TumblingEventTimeWindows(10*time.Second)),
//		func(b Bid, a Auction) Offer { … })
//
// Interval joins (Flink's intervalJoin, event time only):
// IntervalJoin(a, b, lower, upper) matches a record x of a with every
// record y of b with the same key and x.ts + lower <= y.ts <= x.ts +
// upper (LowerBoundExclusive, UpperBoundExclusive drop the ends; lower
// may be negative); IntervalJoinProcess calls fn for each pair with an
// IntervalJoinContext (key, LeftTimestamp, RightTimestamp), the result
// stamped with the larger timestamp. Each input's records wait in keyed
// state until the watermark (the minimum of both inputs') makes them
// unjoinable; records behind the watermark are dropped. Bounds that hold
// no timestamp (lower > upper) and inputs without timestamps are errors
// when the job is built.
package stream
