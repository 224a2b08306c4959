// Package stream is the public Go API for writing Floe jobs, and the role
// switch of a job binary (local, plan, taskmanager).
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
// benchmarks). Transformations: Map, FlatMap, Filter, KeyBy with Reduce
// (rolling), Process and ProcessWithEnd (a keyed function with per-key
// value state), AsKeyed, Union, and the partitioners Forward, Rebalance,
// Broadcast and hash (KeyBy). Sinks: Print, WriteText (part files), ForEach,
// ForEachSubtask, AddSink, Discard. Every operator has Name, UID,
// Parallelism and DisableChaining; the environment has a default
// parallelism and a switch to turn chaining off.
//
// Go methods cannot have type parameters, so operators that change the
// record type are functions (Map(s, f)) while the others are methods too.
//
// # Roles
//
// The same binary plays every role that needs user code; FLOE_ROLE
// (contract.EnvRole) chooses:
//
//   - unset or "local": Execute runs the job in-process on an embedded
//     JobManager with Options.LocalTaskManagers TaskManagers of
//     Options.LocalSlots slots, and returns when the job ends (an
//     interrupt cancels it);
//   - "plan": Execute prints the serialized job graph on standard output
//     and returns; no record is processed (floe run uses this);
//   - "taskmanager": Execute connects to the JobManager named in the
//     environment and runs the subtasks it is given, exchanging records
//     with other TaskManagers over TCP. It refuses a job graph whose
//     fingerprint differs from the one main() built here.
//
// main() must therefore build the same graph every time it runs with the
// same arguments.
package stream
