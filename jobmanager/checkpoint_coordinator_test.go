package jobmanager

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The coordinator's tests are scripts in testdata/checkpoint/*.txt, in the
// format of the Core's (blocks of commands, "----", the actions produced;
// go test -update rewrites the expectations). The job is j1, its checkpoint
// folder /c.
//
//	config interval=D [timeout=D] [min-pause=D] [tolerable=N] [retained=N]
//	       [incremental] [mode=AT_LEAST_ONCE] [maxpar=N]   (first; a new coordinator)
//	running attempt=N tasks=v0/0,v1/0 sources=v0/0 [restored=ID] [finished=v0/1]
//	stopped CAUSE…
//	advance D                       (time passes, then a tick)
//	ack ID vV/S [align=D] FILE…     (FILE = path:size[:kgFIRST-LAST][:shared])
//	decline ID vV/S REASON…
//	written ID [ERROR…]             (the shell wrote _metadata, or failed)
//	deleted PATH… [failed=P,P]      (the shell deleted files)
//	restart [found=P,P]             (a new coordinator, as after an AM failover,
//	                                 given the old one's retained checkpoints read
//	                                 back through the _metadata codec, and the
//	                                 paths listed under its folder)
//	savepoint ID                    (a new coordinator restored from a savepoint
//	                                 of id ID it does not own)
//	take-savepoint DIR              (a savepoint requested into folder DIR)
//	stop-savepoint DIR [drain]      (a stop-with-savepoint requested)
//	finished vV/S                   (a subtask finished while the job runs)
//	stats | retained | history
//	wake                            (when the coordinator next needs a tick)
//	latest [vV/S kg=FIRST-LAST]     (the checkpoint a failover restores, and what
//	                                 that subtask gets from it)
func TestCheckpointCoordinatorScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/checkpoint/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runCheckpointScript(t, f) })
	}
}

type checkpointScript struct {
	t    *testing.T
	opts CheckpointCoordinatorOptions
	c    *CheckpointCoordinator
	now  time.Time
}

var checkpointEpoch = time.Unix(1_000_000, 0)

func runCheckpointScript(t *testing.T, path string) {
	s := &checkpointScript{t: t, now: checkpointEpoch}
	runGoldenScript(t, path, s.run)
}

// run executes one command and returns its output lines.
func (s *checkpointScript) run(line string) []string {
	t := s.t
	f := strings.Fields(line)
	kv := map[string]string{}
	for _, w := range f[1:] {
		if k, v, ok := strings.Cut(w, "="); ok {
			kv[k] = v
		}
	}
	if f[0] != "config" && s.c == nil {
		t.Fatalf("%s: no config yet", line)
	}
	var ev CheckpointEvent
	switch f[0] {
	case "config":
		s.opts = CheckpointCoordinatorOptions{Job: "j1", Dir: "/c", MaxParallelism: 128}
		cfg := &s.opts.Config
		cfg.Interval = s.duration(kv["interval"])
		cfg.Timeout = s.duration(kv["timeout"])
		cfg.MinPause = s.duration(kv["min-pause"])
		cfg.TolerableFailures = s.atoi(kv["tolerable"])
		cfg.NumRetained = s.atoi(kv["retained"])
		cfg.Incremental = strings.Contains(line, " incremental")
		if m, ok := kv["mode"]; ok {
			var err error
			if cfg.Mode, err = ParseCheckpointMode(m); err != nil {
				t.Fatal(err)
			}
		}
		if p, ok := kv["maxpar"]; ok {
			s.opts.MaxParallelism = s.atoi(p)
		}
		if d, ok := kv["dir"]; ok {
			s.opts.Dir = d
		}
		s.c = s.newCoordinator()
		return nil
	case "running":
		ev = CheckpointJobRunning{Attempt: s.atoi(kv["attempt"]), Tasks: s.tasks(kv["tasks"]),
			Sources: s.tasks(kv["sources"]), Restored: int64(s.atoi(kv["restored"]))}
		if v := kv["finished"]; v != "" {
			e := ev.(CheckpointJobRunning)
			e.Finished = s.tasks(v)
			ev = e
		}
	case "stopped":
		ev = CheckpointJobStopped{Cause: strings.Join(f[1:], " ")}
	case "advance":
		s.now = s.now.Add(s.duration(f[1]))
		ev = CheckpointTick{}
	case "ack":
		e := CheckpointAcknowledged{ID: int64(s.atoi(f[1])), Task: s.task(f[2]), Alignment: s.duration(kv["align"])}
		for _, w := range f[3:] {
			if !strings.HasPrefix(w, "align=") {
				e.Handles = append(e.Handles, s.handle(w))
			}
		}
		ev = e
	case "decline":
		ev = CheckpointDeclined{ID: int64(s.atoi(f[1])), Task: s.task(f[2]), Reason: strings.Join(f[3:], " ")}
	case "written":
		ev = CheckpointMetadataWritten{ID: int64(s.atoi(f[1])), Err: strings.Join(f[2:], " ")}
	case "deleted":
		e := CheckpointFilesDeleted{}
		for _, w := range f[1:] {
			if v, ok := strings.CutPrefix(w, "failed="); ok {
				e.Failed = strings.Split(v, ",")
			} else {
				e.Paths = append(e.Paths, w)
			}
		}
		ev = e
	case "restart":
		var ms []*CheckpointMetadata
		for _, m := range s.c.Retained() {
			back, err := DecodeCheckpointMetadata(EncodeCheckpointMetadata(m))
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			ms = append(ms, back)
		}
		s.c = s.newCoordinator()
		e := CheckpointRestored{Checkpoints: ms, Owned: true}
		if v := kv["found"]; v != "" {
			e.Found = strings.Split(v, ",")
		}
		if v := kv["skip"]; v != "" {
			e.SkipIDs = int64(s.atoi(v))
		}
		ev = e
	case "savepoint":
		s.c = s.newCoordinator()
		ev = CheckpointRestored{Checkpoints: []*CheckpointMetadata{{Job: "j0", ID: int64(s.atoi(f[1])), MaxParallelism: 128,
			Operators: []OperatorState{{Vertex: 0, Parallelism: 1, Subtasks: []SubtaskState{{Handles: []StateHandle{{Path: "/sp/x", Size: 1}}}}}}}}}
	case "take-savepoint":
		ev = SavepointRequested{Dir: f[1]}
	case "stop-savepoint":
		ev = SavepointRequested{Dir: f[1], Stop: true, Drain: len(f) > 2 && f[2] == "drain"}
	case "finished":
		ev = CheckpointTaskFinished{Task: s.task(f[1])}
	case "stats":
		st := s.c.Stats()
		out := fmt.Sprintf("completed=%d failed=%d in-progress=%d restored=%d undeleted=%d", st.Completed, st.Failed, st.InProgress, st.Restored, st.UndeletedFiles)
		if l := st.Latest; l != nil {
			out += fmt.Sprintf(" latest=chk-%d path=%s size=%d uploaded=%d duration=%v alignment=%v", l.ID, l.Path, l.Size, l.Uploaded, l.Duration, l.Alignment)
		}
		if st.LastFailure != "" {
			out += "\nlast failure: " + st.LastFailure
		}
		return []string{out}
	case "history":
		var out []string
		for _, h := range s.c.Stats().History {
			l := fmt.Sprintf("chk-%d %s", h.ID, h.Status)
			if h.Stop {
				l += " stop-savepoint"
			} else if h.Savepoint {
				l += " savepoint"
			}
			l += fmt.Sprintf(" triggered=+%v acked=%d/%d", h.Triggered.Sub(checkpointEpoch), h.Acked, h.Subtasks)
			if !h.LatestAck.IsZero() {
				l += fmt.Sprintf(" last-ack=+%v", h.LatestAck.Sub(checkpointEpoch))
			}
			if !h.Ended.IsZero() {
				l += fmt.Sprintf(" ended=+%v", h.Ended.Sub(checkpointEpoch))
			}
			if h.Status == CheckpointCompleted {
				l += fmt.Sprintf(" size=%d uploaded=%d path=%s alignment=%v", h.Size, h.Uploaded, h.Path, h.Alignment)
			}
			if h.Failure != "" {
				l += ": " + h.Failure
			}
			out = append(out, l)
		}
		if len(out) == 0 {
			out = []string{"no history"}
		}
		return out
	case "wake":
		w := s.c.NextWake()
		if w.IsZero() {
			return []string{"wake never"}
		}
		return []string{fmt.Sprintf("wake at +%v", w.Sub(checkpointEpoch))}
	case "retained":
		var ids []string
		for _, m := range s.c.Retained() {
			ids = append(ids, fmt.Sprintf("chk-%d(%d bytes)", m.ID, m.Size()))
		}
		if len(ids) == 0 {
			return []string{"none retained"}
		}
		return []string{"retained " + strings.Join(ids, " ")}
	case "latest":
		m := s.c.Latest()
		if m == nil {
			return []string{"no completed checkpoint"}
		}
		out := []string{fmt.Sprintf("latest chk-%d mode=%s maxpar=%d duration=%v", m.ID, m.Mode, m.MaxParallelism, m.Duration())}
		if len(f) > 1 {
			task := s.task(f[1])
			a, b, _ := strings.Cut(kv["kg"], "-")
			kg := KeyGroupRange{Start: s.atoi(a), End: s.atoi(b) + 1}
			for _, h := range m.RestoreHandles(task.Vertex, task.Subtask, kg) {
				out = append(out, "  restore "+h.String())
			}
		}
		return out
	default:
		t.Fatalf("unknown command %q", f[0])
	}
	var got []string
	for _, a := range s.c.Step(s.now, ev) {
		got = append(got, fmt.Sprint(a))
	}
	return got
}

func (s *checkpointScript) newCoordinator() *CheckpointCoordinator {
	c, err := NewCheckpointCoordinator(s.opts)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

func (s *checkpointScript) duration(v string) time.Duration {
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

func (s *checkpointScript) atoi(v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func (s *checkpointScript) task(v string) CheckpointTask {
	a, b, ok := strings.Cut(strings.TrimPrefix(v, "v"), "/")
	if !ok {
		s.t.Fatalf("task %q: want vV/S", v)
	}
	return CheckpointTask{Vertex: s.atoi(a), Subtask: s.atoi(b)}
}

func (s *checkpointScript) tasks(v string) []CheckpointTask {
	var ts []CheckpointTask
	for _, w := range strings.Split(v, ",") {
		if w != "" {
			ts = append(ts, s.task(w))
		}
	}
	return ts
}

// handle parses path:size[:kgFIRST-LAST][:shared].
func (s *checkpointScript) handle(v string) StateHandle {
	parts := strings.Split(v, ":")
	if len(parts) < 2 {
		s.t.Fatalf("file %q: want path:size[:kgA-B][:shared]", v)
	}
	h := StateHandle{Path: parts[0], Size: int64(s.atoi(parts[1]))}
	for _, p := range parts[2:] {
		switch {
		case p == "shared":
			h.Shared = true
		case strings.HasPrefix(p, "kg"):
			a, b, _ := strings.Cut(strings.TrimPrefix(p, "kg"), "-")
			h.KeyGroups = KeyGroupRange{Start: s.atoi(a), End: s.atoi(b) + 1}
		default:
			s.t.Fatalf("file %q: unknown part %q", v, p)
		}
	}
	return h
}

// TestCheckpointConfigFrom reads Flink's keys.
func TestCheckpointConfigFrom(t *testing.T) {
	cases := []struct {
		name    string
		conf    map[string]string
		want    CheckpointConfig
		wantDir string
		wantErr string
	}{
		{name: "unset is off with Flink's defaults", conf: map[string]string{},
			want: CheckpointConfig{Timeout: 10 * time.Minute, NumRetained: 1}},
		{name: "every key", conf: map[string]string{
			"execution.checkpointing.interval": "1 s", "execution.checkpointing.mode": "at_least_once",
			"execution.checkpointing.timeout": "30 s", "execution.checkpointing.min-pause": "500 ms",
			"execution.checkpointing.tolerable-failed-checkpoints": "3", "state.checkpoints.num-retained": "2",
			"execution.checkpointing.incremental": "true", "state.checkpoints.dir": "hdfs:///chk"},
			want: CheckpointConfig{Interval: time.Second, Mode: AtLeastOnce, Timeout: 30 * time.Second,
				MinPause: 500 * time.Millisecond, TolerableFailures: 3, NumRetained: 2, Incremental: true},
			wantDir: "hdfs:///chk"},
		{name: "bad mode", conf: map[string]string{"execution.checkpointing.mode": "ONCE"}, wantErr: "EXACTLY_ONCE or AT_LEAST_ONCE"},
		{name: "bad interval", conf: map[string]string{"execution.checkpointing.interval": "soon"}, wantErr: "execution.checkpointing.interval"},
		{name: "zero retained", conf: map[string]string{"state.checkpoints.num-retained": "0"}, wantErr: "at least 1"},
		{name: "negative tolerable", conf: map[string]string{"execution.checkpointing.tolerable-failed-checkpoints": "-1"}, wantErr: "< 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, dir, err := CheckpointConfigFrom(func(k string) (string, bool) { v, ok := tc.conf[k]; return v, ok })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || dir != tc.wantDir {
				t.Fatalf("got %+v %q %v, want %+v %q", got, dir, err, tc.want, tc.wantDir)
			}
		})
	}
}

// TestCheckpointCoordinatorNeedsDir: an interval without a folder to write
// to is refused up front.
func TestCheckpointCoordinatorNeedsDir(t *testing.T) {
	_, err := NewCheckpointCoordinator(CheckpointCoordinatorOptions{Job: "j1", Config: CheckpointConfig{Interval: time.Second}})
	if err == nil || !strings.Contains(err.Error(), "state.checkpoints.dir") {
		t.Fatalf("err = %v, want one naming state.checkpoints.dir", err)
	}
}
