// Package checkpointtest is a checkpoint test job for the runtime's
// exchanges: sources that stop halfway until their checkpoint is
// triggered, a hash exchange, and counting subtasks whose snapshots must be
// the consistent cut. Tests of runtime (local exchange) and taskexec
// (network data plane between TaskManagers) run it with Run.
package checkpointtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// The checkpoint test job: `sources` source subtasks each emit n int64s
// (source s emits s*n … s*n+n-1), hash-partitioned by value to `counters`
// counting subtasks, each of which counts the records of every source.
// Source s stops halfway, until the test triggered its checkpoint, so the
// consistent cut is the first half of every source.

type i64Codec struct{}

func (i64Codec) Append(dst []byte, v int64) []byte {
	return binary.LittleEndian.AppendUint64(dst, uint64(v))
}

func (i64Codec) Decode(src []byte) (int64, int, error) {
	if len(src) < 8 {
		return 0, 0, runtime.ErrCorruptRecord
	}
	return int64(binary.LittleEndian.Uint64(src)), 8, nil
}

func hashI64(v int64) uint64 {
	return runtime.HashBytes(binary.LittleEndian.AppendUint64(nil, uint64(v)))
}

type cpJob struct {
	g       *graph.JobGraph
	n       int64
	halfway []chan struct{} // closed by source s when it waits for its trigger
	mu      sync.Mutex
	srcOps  []*cpSource
	cntOps  []*cpCounter
}

func newCPJob(sources, counters int, n int64) *cpJob {
	j := &cpJob{n: n, srcOps: make([]*cpSource, sources), cntOps: make([]*cpCounter, counters)}
	for range sources {
		j.halfway = append(j.halfway, make(chan struct{}))
	}
	j.g = &graph.JobGraph{
		Name: "checkpoints", MaxParallelism: 128,
		Operators: []graph.Operator{
			{ID: "src-uid", Node: graph.Node{Index: 0, Kind: "source", Name: "source"}, Vertex: 0},
			{ID: "count-uid", Node: graph.Node{Index: 1, Kind: "process", Name: "count"}, Vertex: 1},
		},
		Vertices: []graph.Vertex{
			{Index: 0, Name: "source", Parallelism: sources, Operators: []int{0}, Source: true},
			{Index: 1, Name: "count", Parallelism: counters, Operators: []int{1}},
		},
		Edges: []graph.JobEdge{{Index: 0, From: 0, To: 1, FromNode: 0, ToNode: 1, Partitioner: graph.Hash}},
	}
	return j
}

func (j *cpJob) Graph() *graph.JobGraph { return j.g }

func (j *cpJob) Factory(n int) runtime.OperatorFactory { return cpFactory{j: j, node: n} }

type cpFactory struct {
	j    *cpJob
	node int
}

func (f cpFactory) NewOutput(o runtime.Outputs) (any, error) {
	if f.node == 1 {
		return nil, nil
	}
	return runtime.Emitter(o.Network[0], runtime.Codec[int64](i64Codec{}), hashI64)
}

func (f cpFactory) Open(oc runtime.OperatorContext, out any) (runtime.Operator, error) {
	f.j.mu.Lock()
	defer f.j.mu.Unlock()
	if f.node == 0 {
		s := &cpSource{j: f.j, sub: oc.Subtask, emit: out.(func(int64)), completed: make(chan int64, 4)}
		f.j.srcOps[oc.Subtask] = s
		return s, nil
	}
	c := &cpCounter{j: f.j, counts: make([]int64, len(f.j.srcOps)), completed: make(chan int64, 4)}
	f.j.cntOps[oc.Subtask] = c
	return c, nil
}

// cpSource is a replayable source: its position is how many records it
// emitted.
type cpSource struct {
	j         *cpJob
	sub       int
	emit      func(int64)
	pos       int64
	emitted   atomic.Int64 // pos, for the test goroutine
	snapped   atomic.Bool
	completed chan int64
}

func (s *cpSource) Input() any                   { return nil }
func (s *cpSource) PushRecord([]byte) error      { return errors.New("source has no input") }
func (s *cpSource) Finish(context.Context) error { return nil }
func (s *cpSource) Close() error                 { return nil }

func (s *cpSource) Run(ctx context.Context, idle func()) error {
	return s.RunWithSafePoint(ctx, idle, func() {})
}

// waitFor calls safePoint (idle, when it flushes) until cond holds.
func waitFor(ctx context.Context, point func(), cond func() bool) error {
	for !cond() {
		point()
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

func (s *cpSource) RunWithSafePoint(ctx context.Context, idle, safePoint func()) error {
	for ; s.pos < s.j.n; s.pos++ {
		if s.pos == s.j.n/2 {
			close(s.j.halfway[s.sub])
			if err := waitFor(ctx, idle, s.snapped.Load); err != nil {
				return err
			}
		}
		s.emit(int64(s.sub)*s.j.n + s.pos)
		s.emitted.Store(s.pos + 1)
		safePoint()
	}
	// Stay until the checkpoint is complete, so the notification finds us.
	return waitFor(ctx, idle, func() bool { return len(s.completed) > 0 })
}

func (s *cpSource) SnapshotState(_ context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	s.snapped.Store(true)
	return runtime.OperatorSnapshot{State: binary.LittleEndian.AppendUint64(nil, uint64(s.pos))}, nil
}

func (s *cpSource) NotifyCheckpointComplete(id int64) error { s.completed <- id; return nil }
func (s *cpSource) NotifyCheckpointAborted(int64)           {}

// cpCounter counts records per source and snapshots the counts, uploading
// them asynchronously.
type cpCounter struct {
	j         *cpJob
	counts    []int64
	completed chan int64
}

func (c *cpCounter) Input() any { return nil }

func (c *cpCounter) PushRecord(rec []byte) error {
	v, _, err := i64Codec{}.Decode(rec)
	if err != nil {
		return err
	}
	c.counts[v/c.j.n]++
	return nil
}

func (c *cpCounter) Run(context.Context, func()) error { return errors.New("not a source") }
func (c *cpCounter) Finish(context.Context) error      { return nil }
func (c *cpCounter) Close() error                      { return nil }

func (c *cpCounter) SnapshotState(_ context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	counts := append([]int64(nil), c.counts...) // the synchronous copy
	return runtime.OperatorSnapshot{Upload: func(ctx context.Context) ([]runtime.StateHandle, error) {
		var b []byte
		for _, n := range counts {
			b = binary.LittleEndian.AppendUint64(b, uint64(n))
		}
		return []runtime.StateHandle{{Path: fmt.Sprintf("mem:%x", b), Size: int64(len(b))}}, nil
	}}, nil
}

func (c *cpCounter) NotifyCheckpointComplete(id int64) error { c.completed <- id; return nil }
func (c *cpCounter) NotifyCheckpointAborted(int64)           {}

type cpAck struct {
	id        int64
	snaps     []runtime.OperatorSnapshot
	alignment time.Duration
}

// Run runs the checkpoint job with 2 sources and 2 counters; subtask i of
// either runs on exchange(i), in job slot slots[i] (nil in one process).
// Each source is triggered halfway (source 0 first, and it goes on emitting
// while source 1 still waits); every subtask must acknowledge the
// checkpoint exactly once, and each counter's snapshot must hold exactly
// the records of the first halves routed to it in exactly-once mode (at
// least those in at-least-once mode). Each source emits n records. Completion then reaches every
// operator. inFlight, when not 0, bounds how many records source 0 may
// emit past its barrier while the counters block its channels
// (exactly-once): the backpressure of aligned channels.
func Run(t *testing.T, mode runtime.CheckpointingMode, exchange func(subtask int) runtime.Exchange, slots []runtime.Location, n, inFlight int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const sources, counters = 2, 2
	if inFlight >= n/2 {
		t.Fatalf("in-flight bound %d does not show backpressure with %d records", inFlight, n)
	}
	j := newCPJob(sources, counters, n)
	var mu sync.Mutex
	acks := map[[2]int][]cpAck{}
	var declines []error
	ackCount := func(v, sub int) int { mu.Lock(); defer mu.Unlock(); return len(acks[[2]int{v, sub}]) }
	cmds := map[[2]int]chan runtime.CheckpointCommand{}
	errc := make(chan error, sources+counters)
	for v, par := range []int{sources, counters} {
		for sub := range par {
			key := [2]int{v, sub}
			c := make(chan runtime.CheckpointCommand, 4)
			cmds[key] = c
			opts := runtime.TaskOptions{Program: j, Job: "cp", Vertex: v, Subtask: sub, Exchange: exchange(sub), Slots: slots, Logger: zerolog.Nop(),
				Checkpoints: runtime.CheckpointHooks{Mode: mode, Commands: c,
					Ack: func(cp runtime.CheckpointMeta, snaps []runtime.OperatorSnapshot, alignment time.Duration) {
						id := cp.ID
						mu.Lock()
						defer mu.Unlock()
						acks[key] = append(acks[key], cpAck{id, snaps, alignment})
					},
					Decline: func(id int64, err error) {
						mu.Lock()
						defer mu.Unlock()
						declines = append(declines, fmt.Errorf("checkpoint %d: %w", id, err))
					},
				}}
			go func() { errc <- runtime.RunTask(ctx, opts) }()
		}
	}
	meta := runtime.CheckpointMeta{ID: 7, Timestamp: 1234, Mode: mode}
	for s := range sources {
		select {
		case <-j.halfway[s]:
		case <-ctx.Done():
			t.Fatalf("source %d never got halfway", s)
		}
		if s == 1 {
			// Source 0 goes on past its barrier; in exactly-once mode the
			// counters block its channels and it is held back.
			src0 := j.srcOps[0]
			testutil.WaitFor(t, 30*time.Second, "source 0 past its barrier", func() bool { return src0.emitted.Load() >= n/2+1000 })
			if mode == runtime.ExactlyOnce && inFlight > 0 {
				// Wait until it stops: held back by the blocked channels
				// (or, were it not, done with all its records).
				last := int64(-1)
				testutil.WaitFor(t, 30*time.Second, "source 0 to stop", func() bool {
					e := src0.emitted.Load()
					stopped := e == last
					last = e
					return stopped
				})
			}
			if after := src0.emitted.Load() - n/2; mode == runtime.ExactlyOnce && inFlight > 0 && after > inFlight {
				t.Fatalf("source 0 emitted %d records past its barrier into blocked channels, bound %d", after, inFlight)
			}
			t.Logf("source 0: %d records past its barrier before source 1's", src0.emitted.Load()-n/2)
		}
		cmds[[2]int{0, s}] <- runtime.CheckpointCommand{Kind: runtime.TriggerCheckpoint, Meta: meta}
		testutil.WaitFor(t, 30*time.Second, fmt.Sprintf("ack of source %d", s), func() bool { return ackCount(0, s) == 1 })
	}
	testutil.WaitFor(t, 30*time.Second, "acks of every counter", func() bool {
		for c := range counters {
			if ackCount(1, c) == 0 {
				return false
			}
		}
		return true
	})

	// The cut: the first half of every source.
	want := make([][]int64, counters)
	for c := range want {
		want[c] = make([]int64, sources)
	}
	for s := range int64(sources) {
		for v := s * n; v < s*n+n/2; v++ {
			want[runtime.SubtaskForKeyGroup(runtime.KeyGroup(hashI64(v), 128), 128, counters)][s]++
		}
	}
	mu.Lock()
	if len(declines) > 0 {
		t.Errorf("declined: %v", declines)
	}
	for key, as := range acks {
		if len(as) != 1 || as[0].id != meta.ID {
			t.Fatalf("subtask %v acknowledged %+v, want checkpoint %d once", key, as, meta.ID)
		}
		a := as[0]
		if len(a.snaps) != 1 {
			t.Fatalf("subtask %v: %d snapshots, want 1", key, len(a.snaps))
		}
		snap := a.snaps[0]
		if key[0] == 0 {
			if snap.Operator != "src-uid" || int64(binary.LittleEndian.Uint64(snap.State)) != n/2 {
				t.Errorf("source %d snapshot %+v, want src-uid at position %d", key[1], snap, n/2)
			}
			continue
		}
		if snap.Operator != "count-uid" || len(snap.Handles) != 1 || snap.Upload != nil {
			t.Fatalf("counter %d snapshot %+v, want one uploaded handle of count-uid", key[1], snap)
		}
		var got []int64
		var b []byte
		if _, err := fmt.Sscanf(snap.Handles[0].Path, "mem:%x", &b); err != nil {
			t.Fatalf("counter %d: handle %q: %v", key[1], snap.Handles[0].Path, err)
		}
		for ; len(b) >= 8; b = b[8:] {
			got = append(got, int64(binary.LittleEndian.Uint64(b)))
		}
		t.Logf("counter %d: counts %v at the barrier, cut %v, alignment %v", key[1], got, want[key[1]], a.alignment)
		for s := range sources {
			switch {
			case mode == runtime.ExactlyOnce && got[s] != want[key[1]][s]:
				t.Errorf("counter %d: %d records of source %d in the snapshot, the cut has %d", key[1], got[s], s, want[key[1]][s])
			case mode == runtime.AtLeastOnce && got[s] < want[key[1]][s]:
				t.Errorf("counter %d: %d records of source %d in the snapshot, the cut has %d", key[1], got[s], s, want[key[1]][s])
			}
		}
	}
	mu.Unlock()

	// Completion reaches the counters, then the sources (which wait for it
	// before they end).
	for c := range counters {
		cmds[[2]int{1, c}] <- runtime.CheckpointCommand{Kind: runtime.CompleteCheckpoint, Meta: meta}
	}
	testutil.WaitFor(t, 30*time.Second, "counters notified", func() bool {
		for _, c := range j.cntOps {
			if len(c.completed) == 0 {
				return false
			}
		}
		return true
	})
	for s := range sources {
		cmds[[2]int{0, s}] <- runtime.CheckpointCommand{Kind: runtime.CompleteCheckpoint, Meta: meta}
	}
	for range sources + counters {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	total := make([]int64, sources)
	for _, c := range j.cntOps {
		if id := <-c.completed; id != meta.ID {
			t.Errorf("counter notified of %d, want %d", id, meta.ID)
		}
		for s, k := range c.counts {
			total[s] += k
		}
	}
	for s, k := range total {
		if k != n {
			t.Errorf("source %d: %d records counted, want %d", s, k, n)
		}
	}
}
