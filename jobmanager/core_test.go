package jobmanager

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The core's tests are scripts in testdata/*.txt: blocks of commands, a
// "----" line, and the actions the commands produce (one per line), with
// blank lines between blocks. Run with -update to rewrite the expectations.
//
//	submit JOB pool=P par=2,3 [restart=N/DELAYms]   (a source of parallelism 2 hashed into 3 sinks)
//	submit … strategy=TYPE[:KEY=VALUE,…]         (restart-strategy.* read by ParseRestartStrategy; see scriptStrategy)
//	register TM pool=P slots=N
//	heartbeat TM
//	exited TM pool=P CAUSE…
//	task JOB ATTEMPT V/S STATE [unrecoverable] [CAUSE…]
//	cancel JOB
//	advance DURATION      (time passes, then a tick)
//	status JOB            (prints the job's state and subtasks)
//	exceptions JOB        (prints the job's exception history)
//	submit … checkpoint=INTERVAL [retention=R]  (checkpoints every INTERVAL into /ck/JOB)
//	ack JOB ID vV/S [OP@PATH:SIZE[:KGSTART-KGEND]…]  (a subtask acknowledges checkpoint ID; OP HEAD is the vertex's head)
//	decline JOB ID vV/S REASON…
//	written JOB ID [ERROR…]  (the shell wrote _metadata, or failed to)
//	deleted JOB PATH…        (the shell deleted PATHs)
//	checkpoints JOB          (prints the job's checkpoint stats)
func TestCoreScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScript(t, f) })
	}
}

func testGraph(t *testing.T, name string, par []int) *graph.JobGraph {
	t.Helper()
	l := &graph.Logical{Name: name}
	for i, p := range par {
		kind := "map"
		if i == 0 {
			kind = "source"
		}
		l.AddNode(graph.Node{Kind: kind, Name: fmt.Sprintf("op%d", i), Parallelism: p})
		if i > 0 {
			l.AddEdge(graph.Edge{From: i - 1, To: i, Partitioner: graph.Hash})
		}
	}
	g, err := graph.Build(l)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func runScript(t *testing.T, path string) {
	c, err := NewCore(CoreOptions{SlotsPerTaskManager: 2, HeartbeatTimeout: 10 * time.Second, SlotRequestTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_000_000, 0)
	runGoldenScript(t, path, func(line string) (got []string) {
		f := strings.Fields(line)
		// A malformed line fails the test instead of reading as zero.
		bad := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("%s: %q: %s", path, line, fmt.Sprintf(format, a...))
		}
		arg := func(i int) string {
			t.Helper()
			if i >= len(f) {
				bad("missing argument %d", i)
			}
			return f[i]
		}
		num := func(what, v string) int {
			t.Helper()
			n, err := strconv.Atoi(v)
			if err != nil {
				bad("%s: %v", what, err)
			}
			return n
		}
		kv := map[string]string{}
		for _, w := range f[1:] {
			if k, v, ok := strings.Cut(w, "="); ok {
				kv[k] = v
			}
		}
		var ev Event
		switch f[0] {
		case "submit":
			var par []int
			for _, p := range strings.Split(kv["par"], ",") {
				par = append(par, num("par", p))
			}
			e := JobSubmitted{Job: arg(1), Graph: testGraph(t, f[1], par), Pool: kv["pool"]}
			if r := kv["restart"]; r != "" {
				a, d, _ := strings.Cut(r, "/")
				e.Restart.Attempts = num("restart attempts", a)
				dd, err := time.ParseDuration(d)
				if err != nil {
					bad("restart delay: %v", err)
				}
				e.Restart.DelayMillis = dd.Milliseconds()
			}
			if s := kv["strategy"]; s != "" {
				e.Restart = scriptStrategy(t, s)
			}
			if iv := kv["checkpoint"]; iv != "" {
				d, err := time.ParseDuration(iv)
				if err != nil {
					bad("checkpoint interval: %v", err)
				}
				e.Checkpointing = &JobCheckpointing{Config: CheckpointConfig{Interval: d, Timeout: time.Minute, NumRetained: 1},
					Dir: "/ck", Backend: "hashmap", Retention: CheckpointRetention(kv["retention"])}
			}
			ev = e
		case "ack", "decline":
			id := int64(num("checkpoint", arg(2)))
			vs, ss, ok := strings.Cut(arg(3), "/")
			if !ok || !strings.HasPrefix(vs, "v") {
				bad("want vV/S, got %q", arg(3))
			}
			task := CheckpointTask{Vertex: num("vertex", strings.TrimPrefix(vs, "v")), Subtask: num("subtask", ss)}
			if f[0] == "decline" {
				ev = CheckpointReport{Job: f[1], Event: CheckpointDeclined{ID: id, Task: task, Reason: strings.Join(f[4:], " ")}}
				break
			}
			var hs []StateHandle
			for _, w := range f[4:] {
				op, rest, _ := strings.Cut(w, "@")
				parts := strings.Split(rest, ":")
				if len(parts) < 2 {
					bad("want OP@PATH:SIZE[:A-B], got %q", w)
				}
				if j := c.jobs[f[1]]; op == "HEAD" && j != nil {
					op = j.g.Vertices[task.Vertex].ID // the vertex's head operator
				}
				h := StateHandle{Operator: op, Path: parts[0], Size: int64(num("size", parts[1]))}
				if len(parts) > 2 {
					a, b, _ := strings.Cut(parts[2], "-")
					h.KeyGroups = KeyGroupRange{Start: num("kg start", a), End: num("kg end", b)}
				}
				hs = append(hs, h)
			}
			ev = CheckpointReport{Job: f[1], Event: CheckpointAcknowledged{ID: id, Task: task, Handles: hs}}
		case "written":
			ev = CheckpointReport{Job: arg(1), Event: CheckpointMetadataWritten{ID: int64(num("checkpoint", arg(2))), Err: strings.Join(f[3:], " ")}}
		case "deleted":
			ev = CheckpointReport{Job: arg(1), Event: CheckpointFilesDeleted{Paths: f[2:]}}
		case "checkpoints":
			st, ok := c.CheckpointStats(arg(1))
			if !ok {
				got = append(got, "no checkpoints for "+f[1])
				return got
			}
			line := fmt.Sprintf("completed=%d failed=%d in_progress=%d restored=%d", st.Completed, st.Failed, st.InProgress, st.Restored)
			if l := st.Latest; l != nil {
				line += fmt.Sprintf(" latest=chk-%d %s size=%d", l.ID, l.Path, l.Size)
			}
			got = append(got, line)
			return got
		case "register":
			ev = TaskManagerRegistered{TaskManager: arg(1), Pool: kv["pool"], Slots: num("slots", kv["slots"]), DataAddress: f[1] + ":1"}
		case "heartbeat":
			ev = Heartbeat{TaskManager: arg(1)}
		case "exited":
			ev = TaskManagerExited{TaskManager: arg(1), Pool: kv["pool"], Cause: strings.Join(f[min(3, len(f)):], " ")}
		case "task":
			attempt := num("attempt", arg(2))
			vs, ss, ok := strings.Cut(arg(3), "/")
			if !ok || !strings.HasPrefix(vs, "v") {
				bad("want vV/S, got %q", f[3])
			}
			v := num("vertex", strings.TrimPrefix(vs, "v"))
			s := num("subtask", ss)
			e := TaskStateChanged{TaskManager: "tm?", Job: f[1], Attempt: attempt, Vertex: v, Subtask: s, State: api.ExecutionState(arg(4))}
			rest := f[5:]
			if len(rest) > 0 && rest[0] == "unrecoverable" {
				e.Unrecoverable, rest = true, rest[1:]
			}
			e.Cause = strings.Join(rest, " ")
			ev = e
		case "cancel":
			ev = JobCancelRequested{Job: arg(1)}
		case "advance":
			d, err := time.ParseDuration(arg(1))
			if err != nil {
				bad("%v", err)
			}
			now = now.Add(d)
			ev = Tick{}
		case "exceptions":
			st, _ := c.Job(arg(1))
			for _, e := range st.Exceptions {
				got = append(got, fmt.Sprintf("+%v #%d %s", time.UnixMilli(e.TimeMillis).Sub(time.Unix(1_000_000, 0)), e.Attempt, e.Cause))
			}
			if len(st.Exceptions) == 0 {
				got = append(got, "no exceptions")
			}
			return got
		case "status":
			st, ok := c.Job(arg(1))
			if !ok {
				got = append(got, "no job "+f[1])
				return got
			}
			var subs []string
			for _, s := range st.Subtasks {
				subs = append(subs, fmt.Sprintf("v%d/%d=%s@%s", s.Vertex, s.Subtask, s.State, s.TaskManager))
			}
			got = append(got, fmt.Sprintf("%s %s attempt=%d restarts=%d %s", st.ID, st.State, st.Attempt, st.Restarts, strings.Join(subs, " ")))
			if st.Cause != "" {
				got = append(got, "cause: "+st.Cause)
			}
			if st.Waiting != "" {
				got = append(got, "waiting: "+st.Waiting)
			}
			return got
		default:
			t.Fatalf("%s: unknown command %q", path, f[0])
		}
		for _, a := range c.Step(now, ev) {
			got = append(got, fmt.Sprint(a))
		}
		return got
	})
}
