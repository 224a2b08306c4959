// Package twoinputtest is a test job for two-input tasks over the runtime's
// exchanges: two sources of different record types (int64 and string),
// both hash-partitioned into one two-input operator, and a checkpoint whose
// barriers the two-input task must align over the channels of both inputs.
// Tests of runtime (local exchange) and taskexec (network data plane
// between TaskManagers) run it with Run.
package twoinputtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// The job: source subtask s of input in (0: int64s, 1: strings "w<v>")
// emits the values s*n … s*n+n-1, stopping halfway until its checkpoint
// is triggered. Subtask c of the two-input operator counts the records of
// every (input, source subtask) and snapshots the counts, which must be
// the consistent cut: the first half of every source routed to it.
const (
	par     = 2
	maxPar  = 128
	coName  = "co"
	coUID   = "co-uid"
	inputs  = 2
	timeout = 60 * time.Second
)

type i64Codec struct{}

func (i64Codec) Append(dst []byte, v int64) []byte {
	return binary.LittleEndian.AppendUint64(dst, uint64(v))
}

func (i64Codec) Decode(src []byte) (int64, int, error) {
	if len(src) != 8 {
		return 0, 0, runtime.ErrCorruptRecord
	}
	return int64(binary.LittleEndian.Uint64(src)), 8, nil
}

type strCodec struct{}

func (strCodec) Append(dst []byte, v string) []byte { return append(dst, v...) }

func (strCodec) Decode(src []byte) (string, int, error) {
	if len(src) < 2 || src[0] != 'w' {
		return "", 0, runtime.ErrCorruptRecord
	}
	return string(src), len(src), nil
}

func hashValue(v int64) uint64 {
	return runtime.HashBytes(binary.LittleEndian.AppendUint64(nil, uint64(v)))
}

func hashWord(w string) uint64 { return hashValue(wordValue(w)) }

func wordValue(w string) int64 {
	v, _ := strconv.ParseInt(strings.TrimPrefix(w, "w"), 10, 64)
	return v
}

type job struct {
	g       *graph.JobGraph
	n       int64
	halfway [inputs][par]chan struct{}
	mu      sync.Mutex
	srcs    [inputs][par]*source
	cos     [par]*coCounter
}

func newJob(n int64) *job {
	j := &job{n: n}
	for in := range inputs {
		for s := range par {
			j.halfway[in][s] = make(chan struct{})
		}
	}
	j.g = &graph.JobGraph{
		Name: "two-inputs", MaxParallelism: maxPar,
		Operators: []graph.Operator{
			{ID: "ints-uid", Node: graph.Node{Index: 0, Kind: "source", Name: "ints"}, Vertex: 0},
			{ID: "words-uid", Node: graph.Node{Index: 1, Kind: "source", Name: "words"}, Vertex: 1},
			{ID: coUID, Node: graph.Node{Index: 2, Kind: "coprocess", Name: coName}, Vertex: 2},
		},
		Vertices: []graph.Vertex{
			{Index: 0, Name: "ints", Parallelism: par, Operators: []int{0}, Source: true},
			{Index: 1, Name: "words", Parallelism: par, Operators: []int{1}, Source: true},
			{Index: 2, Name: coName, Parallelism: par, Operators: []int{2}},
		},
		Edges: []graph.JobEdge{
			{Index: 0, From: 0, To: 2, FromNode: 0, ToNode: 2, Partitioner: graph.Hash},
			{Index: 1, From: 1, To: 2, FromNode: 1, ToNode: 2, Partitioner: graph.Hash, Input: 1},
		},
	}
	return j
}

func (j *job) Graph() *graph.JobGraph { return j.g }

func (j *job) Factory(n int) runtime.OperatorFactory { return factory{j: j, node: n} }

type factory struct {
	j    *job
	node int
}

func (f factory) NewOutput(o runtime.Outputs) (any, error) {
	switch f.node {
	case 0:
		return runtime.Emitter(o.Network[0], runtime.Codec[int64](i64Codec{}), hashValue)
	case 1:
		return runtime.Emitter(o.Network[0], runtime.Codec[string](strCodec{}), hashWord)
	}
	return nil, nil
}

func (f factory) Open(oc runtime.OperatorContext, out any) (runtime.Operator, error) {
	f.j.mu.Lock()
	defer f.j.mu.Unlock()
	switch f.node {
	case 0, 1:
		s := &source{j: f.j, in: f.node, sub: oc.Subtask, completed: make(chan int64, 4)}
		if f.node == 0 {
			emit := out.(func(int64))
			s.emit = emit
		} else {
			emit := out.(func(string))
			s.emit = func(v int64) { emit("w" + strconv.FormatInt(v, 10)) }
		}
		f.j.srcs[f.node][oc.Subtask] = s
		return s, nil
	}
	c := &coCounter{j: f.j, completed: make(chan int64, 4)}
	f.j.cos[oc.Subtask] = c
	return c, nil
}

// source emits its n values, stopping halfway until it was snapshotted,
// then stays until the checkpoint completed.
type source struct {
	j         *job
	in, sub   int
	emit      func(int64)
	pos       int64
	snapped   atomic.Bool
	completed chan int64
}

func (s *source) Input() any                   { return nil }
func (s *source) PushRecord([]byte) error      { return errors.New("source has no input") }
func (s *source) Finish(context.Context) error { return nil }
func (s *source) Close() error                 { return nil }

func (s *source) Run(ctx context.Context, idle func()) error {
	return s.RunWithSafePoint(ctx, idle, func() {})
}

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

func (s *source) RunWithSafePoint(ctx context.Context, idle, safePoint func()) error {
	for ; s.pos < s.j.n; s.pos++ {
		if s.pos == s.j.n/2 {
			close(s.j.halfway[s.in][s.sub])
			if err := waitFor(ctx, idle, s.snapped.Load); err != nil {
				return err
			}
		}
		s.emit(int64(s.sub)*s.j.n + s.pos)
		safePoint()
	}
	return waitFor(ctx, idle, func() bool { return len(s.completed) > 0 })
}

func (s *source) SnapshotState(context.Context, runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	s.snapped.Store(true)
	return runtime.OperatorSnapshot{}, nil
}

func (s *source) NotifyCheckpointComplete(id int64) error { s.completed <- id; return nil }
func (s *source) NotifyCheckpointAborted(int64)           {}

// coCounter is the two-input operator: it counts records per input and
// source subtask, each input decoded with its own codec.
type coCounter struct {
	j         *job
	counts    [inputs][par]int64
	completed chan int64
}

func (c *coCounter) Input() any { return nil }

func (c *coCounter) PushRecord(rec []byte) error {
	v, _, err := i64Codec{}.Decode(rec)
	if err != nil {
		return fmt.Errorf("input 0: %w", err)
	}
	c.counts[0][v/c.j.n]++
	return nil
}

func (c *coCounter) PushRecord2(rec []byte) error {
	w, _, err := strCodec{}.Decode(rec)
	if err != nil {
		return fmt.Errorf("input 1: %w", err)
	}
	c.counts[1][wordValue(w)/c.j.n]++
	return nil
}

func (c *coCounter) Run(context.Context, func()) error { return errors.New("not a source") }
func (c *coCounter) Finish(context.Context) error      { return nil }
func (c *coCounter) Close() error                      { return nil }

func (c *coCounter) SnapshotState(context.Context, runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	return runtime.OperatorSnapshot{State: []byte(fmt.Sprint(c.counts))}, nil
}

func (c *coCounter) NotifyCheckpointComplete(id int64) error { c.completed <- id; return nil }
func (c *coCounter) NotifyCheckpointAborted(int64)           {}

// Run runs the job: subtask i of every vertex on exchange(i), in job slot
// slots[i] (nil in one process). Every source is triggered when it is
// halfway, one after another, so the two-input subtasks must block the
// channels of whichever input delivered its barriers first. Each
// two-input subtask's snapshot must hold exactly the first halves routed
// to it, per input; at the end every record reached its own input once.
func Run(t *testing.T, exchange func(subtask int) runtime.Exchange, slots []runtime.Location, n int64) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	j := newJob(n)
	var mu sync.Mutex
	acks := map[[2]int][]runtime.OperatorSnapshot{}
	var declines []error
	cmds := map[[2]int]chan runtime.CheckpointCommand{}
	errc := make(chan error, 3*par)
	for v := range 3 {
		for sub := range par {
			key := [2]int{v, sub}
			c := make(chan runtime.CheckpointCommand, 4)
			cmds[key] = c
			opts := runtime.TaskOptions{Program: j, Job: "two", Vertex: v, Subtask: sub, Exchange: exchange(sub), Slots: slots, Logger: zerolog.Nop(),
				Checkpoints: runtime.CheckpointHooks{Mode: runtime.ExactlyOnce, Commands: c,
					Ack: func(_ runtime.CheckpointMeta, snaps []runtime.OperatorSnapshot, _ time.Duration) {
						mu.Lock()
						defer mu.Unlock()
						acks[key] = append(acks[key], snaps...)
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
	meta := runtime.CheckpointMeta{ID: 3, Timestamp: 1, Mode: runtime.ExactlyOnce}
	for in := range inputs {
		for s := range par {
			select {
			case <-j.halfway[in][s]:
			case <-ctx.Done():
				t.Fatalf("source %d of input %d never got halfway", s, in)
			}
			cmds[[2]int{in, s}] <- runtime.CheckpointCommand{Kind: runtime.TriggerCheckpoint, Meta: meta}
		}
	}
	testutil.WaitFor(t, timeout, "acks of the two-input subtasks", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acks[[2]int{2, 0}]) > 0 && len(acks[[2]int{2, 1}]) > 0
	})
	var want, total [par][inputs][par]int64
	for s := range int64(par) {
		for v := s * n; v < s*n+n; v++ {
			c := runtime.SubtaskForKeyGroup(runtime.KeyGroup(hashValue(v), maxPar), maxPar, par)
			for in := range inputs {
				total[c][in][s]++
				if v < s*n+n/2 {
					want[c][in][s]++
				}
			}
		}
	}
	mu.Lock()
	if len(declines) > 0 {
		t.Errorf("declined: %v", declines)
	}
	for c := range par {
		snaps := acks[[2]int{2, c}]
		if len(snaps) != 1 || snaps[0].Operator != coUID {
			t.Fatalf("two-input subtask %d acknowledged %+v, want one snapshot of %s", c, snaps, coUID)
		}
		if got := string(snaps[0].State); got != fmt.Sprint(want[c]) {
			t.Errorf("two-input subtask %d: counts %s at the barrier, the cut is %v", c, got, want[c])
		}
	}
	mu.Unlock()
	for v := range 3 {
		for s := range par {
			cmds[[2]int{v, s}] <- runtime.CheckpointCommand{Kind: runtime.CompleteCheckpoint, Meta: meta}
		}
	}
	for range 3 * par {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	for c, co := range j.cos {
		if co.counts != total[c] {
			t.Errorf("two-input subtask %d: counts %v at the end, want %v", c, co.counts, total[c])
		}
	}
}
