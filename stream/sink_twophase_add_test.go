package stream

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
)

type closeCounter struct {
	mu sync.Mutex
	n  int
}

func (c *closeCounter) Close() error { c.mu.Lock(); c.n++; c.mu.Unlock(); return nil }

// TestAddTwoPhaseCommitSink runs a bounded local job (no checkpoints)
// into writers opened by AddTwoPhaseCommitSink: each begins, commits its
// records at the end of the input and is closed; an open error fails the
// job naming the sink.
func TestAddTwoPhaseCommitSink(t *testing.T) {
	var mu sync.Mutex
	writers := map[int]*recordingWriter{}
	closer := &closeCounter{}
	env := NewEnvironment(Options{Parallelism: 2})
	in := FromSlice(env, []string{"a", "b", "c", "d"}).Rebalance()
	AddTwoPhaseCommitSink(in, "rec", func(_ context.Context, sc SinkContext) (TwoPhaseCommitWriter[string], io.Closer, error) {
		if sc.Checkpointing || sc.RestoredCheckpoint != 0 || sc.Parallelism != 2 {
			t.Errorf("sink context %+v: want parallelism 2, no checkpoints, no restore", sc)
		}
		w := &recordingWriter{}
		mu.Lock()
		writers[sc.Subtask] = w
		mu.Unlock()
		return w, closer, nil
	})
	if err := env.Execute("two-phase"); err != nil {
		t.Fatal(err)
	}
	var committed []string
	for sub, w := range writers {
		if len(w.calls) < 2 || w.calls[0] != "begin" || !strings.HasPrefix(w.calls[len(w.calls)-1], "commit") {
			t.Errorf("subtask %d calls %v: want begin … commit", sub, w.calls)
		}
		for _, c := range w.calls {
			if s, ok := strings.CutPrefix(c, "commit ["); ok {
				committed = append(committed, strings.Fields(strings.TrimSuffix(s, "]"))...)
			}
		}
	}
	slices.Sort(committed)
	if !slices.Equal(committed, []string{"a", "b", "c", "d"}) || len(writers) != 2 || closer.n != 2 {
		t.Fatalf("committed %v by %d writers, %d closed; want a b c d by 2, 2 closed", committed, len(writers), closer.n)
	}

	env = NewEnvironment(Options{})
	AddTwoPhaseCommitSink(FromSlice(env, []string{"x"}), "broken", func(context.Context, SinkContext) (TwoPhaseCommitWriter[string], io.Closer, error) {
		return nil, nil, errors.New("no broker")
	})
	if err := env.Execute("two-phase-broken"); err == nil || !strings.Contains(err.Error(), "sink broken") || !strings.Contains(err.Error(), "no broker") {
		t.Fatalf("open error: %v", err)
	}
}

// reversingSource deals splits out in reverse, to see that a Source's own
// SplitAssigner is used.
type reversingSource struct{ Source[int] }

func (reversingSource) AssignSplits(splits []SplitState, p int) [][]SplitState {
	out := make([][]SplitState, p)
	for i, s := range splits {
		out[p-1-i%p] = append(out[p-1-i%p], s)
	}
	return out
}

func TestAssignSplitsUsesSourceAssigner(t *testing.T) {
	splits := []SplitState{{ID: "0"}, {ID: "1"}, {ID: "2"}}
	if got := assignSplits(reversingSource{}, splits, 2); got[1][0].ID != "0" || got[0][0].ID != "1" || got[1][1].ID != "2" {
		t.Fatalf("own assigner not used: %v", got)
	}
	if got := assignSplits(struct{}{}, splits, 2); got[0][0].ID != "0" || got[1][0].ID != "1" || got[0][1].ID != "2" {
		t.Fatalf("default assignment: %v", got)
	}
}
