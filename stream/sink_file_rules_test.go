package stream

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFileSinkRefusesAnotherRunsFolder proves a fresh sink refuses a
// folder holding visible files of another run, naming the folder, the
// files and the fixes; that Overwrite replaces them; and that hidden
// files and files of the same job are not another run's.
func TestFileSinkRefusesAnotherRunsFolder(t *testing.T) {
	tests := []struct {
		name      string
		existing  []string // written before the sink starts
		fromJob   string   // a run of this job writes into the folder first
		overwrite bool
		wantErr   []string // substrings of the error; nil: no error
		wantLeft  int      // visible files of the earlier run left
	}{
		{"empty folder", nil, "", false, nil, 0},
		{"only hidden files and markers", []string{".part-x.inprogress", "_SUCCESS"}, "", false, nil, 0},
		{"old part files", []string{"part-0", "part-1", "part-2", "notes.txt"}, "", false,
			[]string{"already holds 4 files of another run", "notes.txt, part-0, part-1 and 1 more", "checkpoint or savepoint", "overwrite"}, 4},
		{"another job's committed parts", nil, "other-job", false, []string{"holds 1 file of another run", "part-"}, 1},
		{"overwrite replaces them", []string{"part-0", "notes.txt"}, "", true, nil, 0},
		{"overwrite replaces another job's parts", nil, "other-job", true, nil, 0},
		{"the same job's earlier run is replaced by it", nil, "job", false, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFileSinkFixture(t)
			if err := os.MkdirAll(f.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.existing {
				if err := os.WriteFile(filepath.Join(f.dir, n), []byte("old\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.fromJob != "" {
				s, _ := f.writer(tc.fromJob, 0, 0, FileSinkOptions{})
				f.begin(s)
				f.write(s, "old")
				if err := s.EndOfInput(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			s, _ := f.writer("job", 0, 0, FileSinkOptions{Overwrite: tc.overwrite})
			err := s.Begin(context.Background())
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				f.write(s, "new")
				if err := s.EndOfInput(context.Background()); err != nil {
					t.Fatal(err)
				}
				f.wantOutput("new")
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.wantErr, f.dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if visible, _ := f.files(); len(visible) != tc.wantLeft {
				t.Errorf("%d visible files left, want %d", len(visible), tc.wantLeft)
			}
		})
	}
}

// TestFileSinkRestartWithoutCheckpoint proves a job restarted from the
// beginning (no checkpoint) replaces each subtask's earlier output rather
// than adding to it, and leaves the other subtasks' files alone.
func TestFileSinkRestartWithoutCheckpoint(t *testing.T) {
	f := newFileSinkFixture(t)
	o := FileSinkOptions{RollSize: 4, CommitOnRoll: true}
	s0, _ := f.writer("job", 0, 0, o)
	s1, _ := f.writer("job", 0, 1, o)
	f.begin(s0)
	f.begin(s1)
	f.write(s0, "aaaa", "bbbb") // both roll and commit: at-least-once
	f.write(s1, "cccc")
	f.wantOutput("aaaa", "bbbb", "cccc")
	// Subtask 0 fails; the job restarts from the beginning.
	r0, _ := f.writer("job", 1, 0, o)
	f.begin(r0)
	f.wantOutput("cccc")
	f.write(r0, "aaaa", "bbbb")
	f.wantOutput("aaaa", "bbbb", "cccc")
}

// TestFileSinkRolling proves part files roll by size, by time (given as
// an input) and at every barrier, with counters in order.
func TestFileSinkRolling(t *testing.T) {
	tests := []struct {
		name  string
		opts  FileSinkOptions
		steps func(f *fileSinkFixture, s *TwoPhaseCommitSink[string], w *FileWriter[string])
		want  []string // contents of the parts, by counter
	}{
		{"by size", FileSinkOptions{RollSize: 6}, func(f *fileSinkFixture, s *TwoPhaseCommitSink[string], _ *FileWriter[string]) {
			f.write(s, "aa", "bb", "cc", "dddddd", "e")
		}, []string{"aa bb", "cc dddddd", "e"}},
		{"by time at a write", FileSinkOptions{RollInterval: time.Minute}, func(f *fileSinkFixture, s *TwoPhaseCommitSink[string], _ *FileWriter[string]) {
			f.write(s, "a")
			f.now = f.now.Add(30 * time.Second)
			f.write(s, "b")
			f.now = f.now.Add(30 * time.Second)
			f.write(s, "c")
		}, []string{"a b", "c"}},
		{"by time while idle", FileSinkOptions{RollInterval: time.Minute}, func(f *fileSinkFixture, s *TwoPhaseCommitSink[string], w *FileWriter[string]) {
			f.write(s, "a")
			if err := w.OnTime(context.Background(), f.now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			f.write(s, "b")
		}, []string{"a", "b"}},
		{"never by time", FileSinkOptions{RollInterval: -1}, func(f *fileSinkFixture, s *TwoPhaseCommitSink[string], _ *FileWriter[string]) {
			f.write(s, "a")
			f.now = f.now.Add(24 * time.Hour)
			f.write(s, "b")
		}, []string{"a b"}},
		{"at every barrier", FileSinkOptions{}, func(f *fileSinkFixture, s *TwoPhaseCommitSink[string], _ *FileWriter[string]) {
			f.write(s, "a")
			f.snapshot(s, 1)
			f.snapshot(s, 2) // nothing written: no empty part
			f.write(s, "b", "c")
			f.snapshot(s, 3)
			f.write(s, "d")
		}, []string{"a", "b c", "d"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFileSinkFixture(t)
			s, w := f.writer("job", 0, 3, tc.opts)
			f.begin(s)
			tc.steps(f, s, w)
			if err := s.EndOfInput(context.Background()); err != nil {
				t.Fatal(err)
			}
			visible, hidden := f.files()
			if len(hidden) > 0 {
				t.Fatalf("hidden files after end of input: %q", hidden)
			}
			var got []string
			for i, n := range visible {
				want := "part-" + w.uid + "-3-" + strconv.Itoa(i)
				if n != want {
					t.Fatalf("part %d named %s, want %s", i, n, want)
				}
				b, _ := os.ReadFile(filepath.Join(f.dir, n))
				got = append(got, strings.Join(strings.Fields(string(b)), " "))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("parts %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFileSinkNamesUniqueAcrossRuns proves two runs of one job (resumed
// from the same savepoint) never pick a name already used: a resumed run
// cannot overwrite a committed file.
func TestFileSinkNamesUniqueAcrossRuns(t *testing.T) {
	f := newFileSinkFixture(t)
	s, _ := f.writer("job", 0, 0, FileSinkOptions{})
	f.begin(s)
	f.write(s, "a")
	savepoint := f.snapshot(s, 1)
	f.notify(s, 1)
	f.write(s, "b") // the job goes on after the savepoint …
	f.snapshot(s, 2)
	f.notify(s, 2)
	f.wantOutput("a", "b")
	// … and is later started again from the savepoint, twice, with the
	// same job id and attempt.
	for run := 0; run < 2; run++ {
		r, _ := f.writer("job", 0, 0, FileSinkOptions{})
		f.restore(r, savepoint)
		f.write(r, "c")
		f.snapshot(r, 2)
		f.notify(r, 2)
	}
	f.wantOutput("a", "b", "c", "c")
	visible, _ := f.files()
	if len(visible) != 4 {
		t.Fatalf("files %q, want 4 distinct", visible)
	}
}

// TestFileSinkAbort proves Abort removes the in-progress file and pending
// files no checkpoint holds, and keeps those a checkpoint named.
func TestFileSinkAbort(t *testing.T) {
	f := newFileSinkFixture(t)
	s, _ := f.writer("job", 0, 0, FileSinkOptions{RollSize: 4})
	f.begin(s)
	f.write(s, "aaaa") // rolled: pending, in no checkpoint yet
	e := f.snapshot(s, 1)
	f.write(s, "bbbb", "c") // one rolled after the barrier, one in progress
	if err := s.Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, hidden := f.files(); len(hidden) != 1 {
		t.Fatalf("hidden files %q, want only the checkpointed pending one", hidden)
	}
	r, _ := f.writer("job", 1, 0, FileSinkOptions{})
	f.restore(r, e)
	f.wantOutput("aaaa")
	f.wantNoHidden()
}

// TestFileSinkCommitLostFile proves committing a pending file that is
// neither hidden nor visible any more is an error naming it, while a
// repeated commit is not.
func TestFileSinkCommitLostFile(t *testing.T) {
	f := newFileSinkFixture(t)
	_, w := f.writer("job", 0, 0, FileSinkOptions{})
	if err := w.Begin(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.write(NewTwoPhaseCommitSink[string](w), "a")
	cs, err := w.PreCommit(context.Background(), 1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("precommit: %v %q", err, cs)
	}
	for i := 0; i < 2; i++ {
		if err := w.Commit(context.Background(), cs); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	lost := Committable(partName{uid: w.uid, subtask: 0, counter: 7}.visible())
	if err := w.Commit(context.Background(), []Committable{lost}); err == nil || !strings.Contains(err.Error(), string(lost)) {
		t.Fatalf("commit of a lost file: %v", err)
	}
	if err := w.Commit(context.Background(), []Committable{Committable("../etc/passwd")}); err == nil {
		t.Fatal("bad committable accepted")
	}
}

func TestParsePart(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		want partName
	}{
		{"visible", "part-0123abcd89abcdef2-3-17", true, partName{uid: "0123abcd89abcdef2", subtask: 3, counter: 17}},
		{"hidden", ".part-0123abcd89abcdef0-0-0.inprogress", true, partName{uid: "0123abcd89abcdef0", hidden: true}},
		{"old naming", "part-0", false, partName{}},
		{"uid without attempt", "part-0123abcd89abcdef-1-2", false, partName{}},
		{"negative counter", "part-0123abcd89abcdef0-1--2", false, partName{}},
		{"hidden without suffix", ".part-0123abcd89abcdef0-0-0", false, partName{}},
		{"other file", "notes.txt", false, partName{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parsePart(tc.in)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("parsePart(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestSinkEntryDecodeErrors(t *testing.T) {
	good := encodeSinkEntry([]byte("state"), []Committable{Committable("a"), Committable("bc")})
	if st, cs, err := decodeSinkEntry(good); err != nil || string(st) != "state" || len(cs) != 2 || string(cs[1]) != "bc" {
		t.Fatalf("round trip: %q %q %v", st, cs, err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte(nil), good...), 1)},
		{"huge count", newSplitCodec().str("s").uint(1 << 40).b},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewTwoPhaseCommitSink[string](nil)
			if err := s.Restore(context.Background(), [][]byte{tc.b}); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestWriteTextIntoAnotherJobsFolder is the wordcount story of issue 9:
// a job with parallelism 3 and then one with parallelism 1 into the same
// folder used to leave stale part files behind. The second job is now
// refused with the folder named, and with overwrite its output replaces
// the first's.
func TestWriteTextIntoAnotherJobsFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	records := []string{"a", "b", "c", "d", "e"}
	run := func(p int, sink func(Stream[string])) error {
		env := NewEnvironment(Options{Parallelism: p})
		sink(FromSlice(env, records))
		return env.Execute("t")
	}
	if err := run(3, func(s Stream[string]) { WriteText(s, dir) }); err != nil {
		t.Fatal(err)
	}
	err := run(1, func(s Stream[string]) { WriteText(s, dir) })
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another run") {
		t.Fatalf("second job into the folder: %v", err)
	}
	if err := run(1, func(s Stream[string]) { FileSink(s, dir, FileSinkOptions{Overwrite: true}) }); err != nil {
		t.Fatal(err)
	}
	f := &fileSinkFixture{t: t, dir: dir}
	f.wantOutput(records...)
	f.wantNoHidden()
}

// TestFileSinkFailoverAfterAMFailover: a JobManager's attempts restart from
// 0 after an ApplicationMaster failover, so a failover in the new
// JobManager restores a checkpoint of attempt 0 while visible files of the
// old JobManager's attempt 5 are in the folder. Those are committed output
// and stay; only what the checkpoint's own writer committed after it goes
// (TestYarnChaos lost lines when every later-numbered attempt's files went).
func TestFileSinkFailoverAfterAMFailover(t *testing.T) {
	f := newFileSinkFixture(t)
	old, _ := f.writer("job", 5, 0, FileSinkOptions{})
	f.begin(old)
	f.write(old, "a")
	e1 := f.snapshot(old, 7)
	f.notify(old, 7)
	// The new JobManager's attempt 0 resumes from checkpoint 7.
	s0, _ := f.writer("job", 0, 0, FileSinkOptions{})
	f.restore(s0, e1)
	f.write(s0, "b")
	e2 := f.snapshot(s0, 1001)
	f.notify(s0, 1001)
	f.write(s0, "c")
	if err := s0.EndOfInput(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantOutput("a", "b", "c")
	// Another subtask fails: attempt 1 restores checkpoint 1001 and replays "c".
	s1, _ := f.writer("job", 1, 0, FileSinkOptions{})
	f.restore(s1, e2)
	f.wantOutput("a", "b")
	f.write(s1, "c")
	if err := s1.EndOfInput(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantOutput("a", "b", "c")
}
