package stream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/hdfsstore"
)

// fileSinkFixture is an output folder on local disk and the store
// writers use to reach it.
type fileSinkFixture struct {
	t     *testing.T
	dir   string
	store *hdfsstore.Store
	now   time.Time
}

func newFileSinkFixture(t *testing.T) *fileSinkFixture {
	t.Helper()
	s, err := hdfsstore.New(context.Background(), hdfsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &fileSinkFixture{t: t, dir: filepath.Join(t.TempDir(), "out"), store: s, now: time.Unix(1_700_000_000, 0)}
}

// writer returns a sink for job, attempt and subtask over the fixture's
// folder and clock.
func (f *fileSinkFixture) writer(job string, attempt, subtask int, o FileSinkOptions) (*TwoPhaseCommitSink[string], *FileWriter[string]) {
	f.t.Helper()
	w, err := NewFileWriter(FileWriterOptions[string]{FileSinkOptions: o, Store: f.store, Dir: f.dir,
		Job: job, Attempt: attempt, Subtask: subtask, Now: func() time.Time { return f.now }})
	if err != nil {
		f.t.Fatal(err)
	}
	return NewTwoPhaseCommitSink[string](w), w
}

func (f *fileSinkFixture) begin(s *TwoPhaseCommitSink[string]) {
	f.t.Helper()
	if err := s.Begin(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fileSinkFixture) write(s *TwoPhaseCommitSink[string], recs ...string) {
	f.t.Helper()
	for _, r := range recs {
		if err := s.Write(context.Background(), r); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fileSinkFixture) snapshot(s *TwoPhaseCommitSink[string], id int64) []byte {
	f.t.Helper()
	b, err := s.Snapshot(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fileSinkFixture) notify(s *TwoPhaseCommitSink[string], id int64) {
	f.t.Helper()
	if err := s.NotifyCheckpointComplete(context.Background(), id); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fileSinkFixture) restore(s *TwoPhaseCommitSink[string], entries ...[]byte) {
	f.t.Helper()
	if err := s.Restore(context.Background(), entries); err != nil {
		f.t.Fatal(err)
	}
}

// files returns the visible and the hidden file names in the folder.
func (f *fileSinkFixture) files() (visible, hidden []string) {
	f.t.Helper()
	ents, err := os.ReadDir(f.dir)
	if err != nil && !os.IsNotExist(err) {
		f.t.Fatal(err)
	}
	for _, e := range ents {
		switch {
		case strings.HasPrefix(e.Name(), "_"): // a marker, neither
		case strings.HasPrefix(e.Name(), "."):
			hidden = append(hidden, e.Name())
		default:
			visible = append(visible, e.Name())
		}
	}
	return visible, hidden
}

// output returns the sorted lines of the visible part files.
func (f *fileSinkFixture) output() []string {
	f.t.Helper()
	visible, _ := f.files()
	var lines []string
	for _, n := range visible {
		b, err := os.ReadFile(filepath.Join(f.dir, n))
		if err != nil {
			f.t.Fatal(err)
		}
		lines = append(lines, strings.Fields(string(b))...)
	}
	slices.Sort(lines)
	return lines
}

func (f *fileSinkFixture) wantOutput(want ...string) {
	f.t.Helper()
	slices.Sort(want)
	if got := f.output(); !slices.Equal(got, want) {
		f.t.Fatalf("visible output %q, want %q", got, want)
	}
}

func (f *fileSinkFixture) wantNoHidden() {
	f.t.Helper()
	if _, hidden := f.files(); len(hidden) > 0 {
		f.t.Fatalf("hidden files left: %q", hidden)
	}
}

// TestFileSinkCrashScenarios replays a job that writes, checkpoints and
// crashes at different steps, then restores from its latest completed
// checkpoint: the visible output holds exactly the records that checkpoint
// covers, once, and nothing written after it survives.
func TestFileSinkCrashScenarios(t *testing.T) {
	small := FileSinkOptions{RollSize: 8}
	tests := []struct {
		name string
		opts FileSinkOptions
		// run drives attempt 0 and returns the state entries of the
		// checkpoint to restore, and the records that checkpoint covers.
		run  func(f *fileSinkFixture) ([][]byte, []string)
		more []string // records attempt 1 writes and commits after restoring
	}{
		{"crash after write, before any barrier", FileSinkOptions{}, func(f *fileSinkFixture) ([][]byte, []string) {
			s, _ := f.writer("job", 0, 0, FileSinkOptions{})
			f.begin(s)
			f.write(s, "a", "b")
			return nil, nil
		}, []string{"a", "b"}},
		{"crash after precommit, before commit", FileSinkOptions{}, func(f *fileSinkFixture) ([][]byte, []string) {
			s, _ := f.writer("job", 0, 0, FileSinkOptions{})
			f.begin(s)
			f.write(s, "a", "b", "c")
			e := f.snapshot(s, 1)
			f.write(s, "d", "e")
			if out := f.output(); len(out) != 0 {
				t.Fatalf("visible before commit: %q", out)
			}
			return [][]byte{e}, []string{"a", "b", "c"}
		}, []string{"d", "e"}},
		{"crash after commit, with a later checkpoint pending", FileSinkOptions{}, func(f *fileSinkFixture) ([][]byte, []string) {
			s, _ := f.writer("job", 0, 0, FileSinkOptions{})
			f.begin(s)
			f.write(s, "a", "b")
			f.snapshot(s, 1)
			f.notify(s, 1)
			f.write(s, "c")
			e := f.snapshot(s, 2)
			f.write(s, "d")
			return [][]byte{e}, []string{"a", "b", "c"}
		}, []string{"d"}},
		{"commit already done before the crash", FileSinkOptions{}, func(f *fileSinkFixture) ([][]byte, []string) {
			s, _ := f.writer("job", 0, 0, FileSinkOptions{})
			f.begin(s)
			f.write(s, "a", "b")
			e := f.snapshot(s, 1)
			f.notify(s, 1)
			f.write(s, "c")
			return [][]byte{e}, []string{"a", "b"}
		}, []string{"c"}},
		{"completion notices lost for two checkpoints", FileSinkOptions{}, func(f *fileSinkFixture) ([][]byte, []string) {
			s, _ := f.writer("job", 0, 0, FileSinkOptions{})
			f.begin(s)
			f.write(s, "a")
			f.snapshot(s, 1)
			f.write(s, "b")
			e := f.snapshot(s, 2)
			f.write(s, "c")
			return [][]byte{e}, []string{"a", "b"}
		}, []string{"c"}},
		{"end of input committed after the checkpoint, then another subtask failed", FileSinkOptions{}, func(f *fileSinkFixture) ([][]byte, []string) {
			s, _ := f.writer("job", 0, 0, FileSinkOptions{})
			f.begin(s)
			f.write(s, "a", "b")
			e := f.snapshot(s, 1)
			f.notify(s, 1)
			f.write(s, "c", "d")
			if err := s.EndOfInput(context.Background()); err != nil {
				t.Fatal(err)
			}
			f.wantOutput("a", "b", "c", "d")
			return [][]byte{e}, []string{"a", "b"}
		}, []string{"c", "d"}},
		{"files rolled by size around the barrier", small, func(f *fileSinkFixture) ([][]byte, []string) {
			s, _ := f.writer("job", 0, 0, small)
			f.begin(s)
			f.write(s, "aaaa", "bbbb", "cccc", "dddd", "e")
			e := f.snapshot(s, 1)
			f.write(s, "ffff", "gggg", "hhhh", "i")
			return [][]byte{e}, []string{"aaaa", "bbbb", "cccc", "dddd", "e"}
		}, []string{"ffff", "gggg", "hhhh", "i"}},
		{"three subtasks restored into two", FileSinkOptions{}, func(f *fileSinkFixture) ([][]byte, []string) {
			var es [][]byte
			for sub := 0; sub < 3; sub++ {
				s, _ := f.writer("job", 0, sub, FileSinkOptions{})
				f.begin(s)
				f.write(s, fmt.Sprint("s", sub, "a"), fmt.Sprint("s", sub, "b"))
				es = append(es, f.snapshot(s, 4))
				f.write(s, fmt.Sprint("s", sub, "late"))
			}
			return es, []string{"s0a", "s0b", "s1a", "s1b", "s2a", "s2b"}
		}, []string{"x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFileSinkFixture(t)
			entries, covered := tc.run(f)
			// Attempt 1: two subtasks share the restored entries.
			var sinks []*TwoPhaseCommitSink[string]
			shares := [][][]byte{nil, nil}
			for i, e := range entries {
				shares[i%2] = append(shares[i%2], e)
			}
			for sub := 0; sub < 2; sub++ {
				s, _ := f.writer("job", 1, sub, tc.opts)
				if entries == nil {
					f.begin(s)
				} else {
					f.restore(s, shares[sub]...)
				}
				sinks = append(sinks, s)
			}
			f.wantOutput(covered...)
			f.wantNoHidden()
			// Restoring the same checkpoint again (a second failure) changes nothing.
			if entries != nil {
				s, _ := f.writer("job", 2, 0, tc.opts)
				f.restore(s, entries...)
				f.wantOutput(covered...)
			}
			f.write(sinks[0], tc.more...)
			f.snapshot(sinks[0], 10)
			f.snapshot(sinks[1], 10)
			f.notify(sinks[0], 10)
			f.notify(sinks[1], 10)
			f.wantOutput(append(slices.Clone(covered), tc.more...)...)
			f.wantNoHidden()
		})
	}
}
