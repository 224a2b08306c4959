package stream

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
)

// recordingWriter is a TwoPhaseCommitWriter that records the calls it
// gets; each PreCommit hands out one committable per record written since
// the last.
type recordingWriter struct {
	calls   []string
	written []string
	n       int
}

func (w *recordingWriter) log(f string, a ...any) { w.calls = append(w.calls, fmt.Sprintf(f, a...)) }

func (w *recordingWriter) Begin(context.Context) error { w.log("begin"); return nil }

func (w *recordingWriter) Write(_ context.Context, v string) error {
	w.written = append(w.written, v)
	return nil
}

func (w *recordingWriter) PreCommit(_ context.Context, id int64) ([]Committable, error) {
	var cs []Committable
	for _, v := range w.written {
		cs = append(cs, Committable(v))
	}
	w.written = nil
	w.n++
	return cs, nil
}

func (w *recordingWriter) State() ([]byte, error) { return []byte(fmt.Sprint("state", w.n)), nil }

func (w *recordingWriter) Commit(_ context.Context, cs []Committable) error {
	w.log("commit %s", joinCommittables(cs))
	return nil
}

func (w *recordingWriter) RecoverCommit(_ context.Context, states [][]byte, pending []Committable) error {
	var st []string
	for _, s := range states {
		st = append(st, string(s))
	}
	w.log("recover %s %s", strings.Join(st, ","), joinCommittables(pending))
	return nil
}

func (w *recordingWriter) Abort(context.Context) error { w.log("abort"); return nil }

func joinCommittables(cs []Committable) string {
	var s []string
	for _, c := range cs {
		s = append(s, string(c))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TestTwoPhaseCommitSink drives the sink through recorded scripts:
// commits follow completion notices in checkpoint order, a snapshot
// carries every checkpoint not known complete, and a restore hands the
// writer the states and pending committables of all its entries.
func TestTwoPhaseCommitSink(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, s *TwoPhaseCommitSink[string]) []string // returns extra observations
		want string
	}{
		{"commit on notify", func(t *testing.T, s *TwoPhaseCommitSink[string]) []string {
			must(t, s.Write(ctx, "a"))
			mustEntry(t)(s.Snapshot(ctx, 1))
			must(t, s.Write(ctx, "b"))
			mustEntry(t)(s.Snapshot(ctx, 2))
			must(t, s.NotifyCheckpointComplete(ctx, 1))
			must(t, s.NotifyCheckpointComplete(ctx, 2))
			return nil
		}, "begin; commit [a]; commit [b]"},
		{"a late notice commits the earlier checkpoints too", func(t *testing.T, s *TwoPhaseCommitSink[string]) []string {
			must(t, s.Write(ctx, "a"))
			mustEntry(t)(s.Snapshot(ctx, 1))
			must(t, s.Write(ctx, "b"))
			mustEntry(t)(s.Snapshot(ctx, 2))
			must(t, s.Write(ctx, "c"))
			mustEntry(t)(s.Snapshot(ctx, 3))
			must(t, s.NotifyCheckpointComplete(ctx, 2))
			must(t, s.NotifyCheckpointComplete(ctx, 1)) // stale: nothing left
			return nil
		}, "begin; commit [a]; commit [b]"},
		{"end of input commits everything", func(t *testing.T, s *TwoPhaseCommitSink[string]) []string {
			must(t, s.Write(ctx, "a"))
			mustEntry(t)(s.Snapshot(ctx, 1))
			must(t, s.Write(ctx, "b"))
			must(t, s.EndOfInput(ctx))
			return nil
		}, "begin; commit [a]; commit [b]"},
		{"a snapshot carries the pending of uncompleted checkpoints", func(t *testing.T, s *TwoPhaseCommitSink[string]) []string {
			must(t, s.Write(ctx, "a"))
			mustEntry(t)(s.Snapshot(ctx, 1))
			must(t, s.Write(ctx, "b"))
			e, _ := s.Snapshot(ctx, 2)
			st, cs, err := decodeSinkEntry(e)
			return []string{fmt.Sprintf("%s %s %v", st, joinCommittables(cs), err)}
		}, "begin; state2 [a b] <nil>"},
		{"restore from several entries", func(t *testing.T, s *TwoPhaseCommitSink[string]) []string {
			err := s.Restore(ctx, [][]byte{
				encodeSinkEntry([]byte("s0"), []Committable{Committable("x")}),
				encodeSinkEntry([]byte("s1"), nil),
				encodeSinkEntry([]byte("s2"), []Committable{Committable("y"), Committable("z")}),
			})
			return []string{fmt.Sprint(err)}
		}, "begin; recover s0,s1,s2 [x y z]; <nil>"},
		{"abort", func(t *testing.T, s *TwoPhaseCommitSink[string]) []string {
			must(t, s.Write(ctx, "a"))
			must(t, s.Abort(ctx))
			return nil
		}, "begin; abort"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &recordingWriter{}
			s := NewTwoPhaseCommitSink[string](w)
			must(t, s.Begin(ctx))
			extra := tc.run(t, s)
			if got := strings.Join(append(w.calls, extra...), "; "); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestWriteTextUnboundedCommitsOnRoll proves an unbounded job that does
// not checkpoint makes its output visible as part files roll, instead of
// never.
func TestWriteTextUnboundedCommitsOnRoll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	env := NewEnvironment(Options{Parallelism: 2})
	src := Generate(env, func(i int64) string { return fmt.Sprint("record-", i) }, GeneratorOptions{RatePerSecond: 20000})
	FileSink(src, dir, FileSinkOptions{RollSize: 4 << 10})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- env.ExecuteContext(ctx, "unbounded") }()
	f := &fileSinkFixture{t: t, dir: dir}
	testutil.WaitFor(t, time.Minute, "committed part files of both subtasks", func() bool {
		visible, _ := f.files()
		subs := map[string]bool{}
		for _, n := range visible {
			if p, ok := parsePart(n); ok {
				subs[fmt.Sprint(p.subtask)] = true
			}
		}
		return len(subs) == 2
	})
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled job ended with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("job did not end after cancel")
	}
	// Every committed line is whole and appears once.
	seen := map[string]bool{}
	for _, l := range f.output() {
		if !strings.HasPrefix(l, "record-") || seen[l] {
			t.Fatalf("bad or repeated line %q", l)
		}
		seen[l] = true
	}
	f.wantNoHidden()
}

// must fails t on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mustEntry fails t when a Snapshot fails.
func mustEntry(t *testing.T) func([]byte, error) {
	return func(_ []byte, err error) {
		t.Helper()
		must(t, err)
	}
}
