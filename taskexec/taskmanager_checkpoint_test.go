package taskexec_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/stream"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// checkpointJM is a fakeJM that also takes checkpoint reports.
type checkpointJM struct {
	fakeJM
	cmu      sync.Mutex
	acks     []api.AcknowledgeCheckpoint
	declines []api.DeclineCheckpoint
}

func (f *checkpointJM) AcknowledgeCheckpoint(_ context.Context, a api.AcknowledgeCheckpoint) error {
	f.cmu.Lock()
	defer f.cmu.Unlock()
	f.acks = append(f.acks, a)
	return nil
}

func (f *checkpointJM) DeclineCheckpoint(_ context.Context, d api.DeclineCheckpoint) error {
	f.cmu.Lock()
	defer f.cmu.Unlock()
	f.declines = append(f.declines, d)
	return nil
}

func (f *checkpointJM) reports() (acks []api.AcknowledgeCheckpoint, declines []api.DeclineCheckpoint) {
	f.cmu.Lock()
	defer f.cmu.Unlock()
	return append(acks, f.acks...), append(declines, f.declines...)
}

// TestTaskManagerRoutesCheckpointTriggers checks how a TaskManager answers
// triggers: a source that finished acknowledges with no state (FLIP-147),
// a subtask it does not run declines, and a running source's
// acknowledgement carries its split state written under Dir/chk-<n>/.
func TestTaskManagerRoutesCheckpointTriggers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckp", "j")
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	stream.FromSlice(env, []int{1, 2, 3}).Discard()
	gen := stream.Generate(env, func(i int64) int64 { return i }, stream.GeneratorOptions{RatePerSecond: 50})
	gen.Discard()
	p, err := env.Program("t")
	if err != nil {
		t.Fatal(err)
	}
	jm := &checkpointJM{}
	tm, err := taskexec.New(context.Background(), taskexec.Options{ID: "tm", Slots: 1, Program: p, Exchange: runtime.NewLocalExchange(),
		JobManager: jm, Logger: zerolog.Nop(), LocalDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = tm.Run(context.Background()) }()
	t.Cleanup(func() { tm.Shutdown(); <-done })
	g := p.Graph()
	ckp := &api.TaskCheckpointing{Mode: "EXACTLY_ONCE", Dir: dir, Backend: "hashmap"}
	for _, v := range g.Vertices {
		if err := tm.Deploy(context.Background(), api.DeployTask{Job: "j", Attempt: 1, Vertex: v.Index, Subtask: 0, Slot: 0,
			Fingerprint: g.Fingerprint, Checkpointing: ckp}); err != nil {
			t.Fatal(err)
		}
	}
	finite, endless := 0, 1 // vertices: the slice source chain ends, the generator does not
	testutil.WaitFor(t, 30*time.Second, "the finite source to finish", func() bool {
		return jm.final()[[2]int{finite, 0}].State == api.Finished
	})
	err = tm.TriggerCheckpoint(context.Background(), api.TriggerCheckpoint{Job: "j", Attempt: 1, Checkpoint: 7,
		Subtasks: []api.SubtaskRef{{Vertex: finite}, {Vertex: endless}, {Vertex: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 30*time.Second, "two acknowledgements and a decline", func() bool {
		a, d := jm.reports()
		return len(a) == 2 && len(d) == 1
	})
	acks, declines := jm.reports()
	if declines[0].Vertex != 5 || declines[0].Checkpoint != 7 {
		t.Errorf("decline %+v: want vertex 5's, checkpoint 7", declines[0])
	}
	for _, a := range acks {
		switch a.Vertex {
		case finite:
			if len(a.Handles) != 0 {
				t.Errorf("finished source acknowledged with handles %+v, want none", a.Handles)
			}
		case endless:
			if len(a.Handles) != 1 || filepath.Dir(a.Handles[0].Path) != dir+"/chk-7" || a.Handles[0].Operator == "" || a.Handles[0].Size == 0 {
				t.Errorf("running source acknowledged with %+v, want its split state under %s/chk-7", a.Handles, dir)
			}
		default:
			t.Errorf("acknowledgement of vertex %d", a.Vertex)
		}
	}
}

// TestKeyedEndWithCheckpointedState runs ProcessWithEnd with its state in
// each backend (a subtask deployed with checkpointing): the end function
// sees every key's final state.
func TestKeyedEndWithCheckpointedState(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			var mu sync.Mutex
			got := map[string]int{}
			env := stream.NewEnvironment(stream.Options{Parallelism: 2})
			words := stream.FromSlice(env, []string{"a", "b", "a", "c", "a", "b"})
			counts := stream.ProcessWithEnd(stream.KeyBy(words, func(w string) string { return w }),
				func(c *stream.KeyedContext[string, int], _ string, _ func(string)) {
					n, _ := c.Value()
					c.Update(n + 1)
				},
				func(k string, n int, emit func(string)) { emit(k + "=" + string(rune('0'+n))) })
			stream.ForEach(counts, func(s string) {
				mu.Lock()
				defer mu.Unlock()
				k, v, _ := strings.Cut(s, "=")
				got[k] = int(v[0] - '0')
			})
			p, err := env.Program("end")
			if err != nil {
				t.Fatal(err)
			}
			jm := &checkpointJM{}
			tm, err := taskexec.New(context.Background(), taskexec.Options{ID: "tm", Slots: 2, Program: p, Exchange: runtime.NewLocalExchange(),
				JobManager: jm, Logger: zerolog.Nop(), LocalDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { defer close(done); _ = tm.Run(context.Background()) }()
			t.Cleanup(func() { tm.Shutdown(); <-done })
			g := p.Graph()
			ckp := &api.TaskCheckpointing{Dir: filepath.Join(t.TempDir(), "ckp"), Backend: backend}
			for _, v := range g.Vertices {
				for i := 0; i < v.Parallelism; i++ {
					if err := tm.Deploy(context.Background(), api.DeployTask{Job: "j", Attempt: 1, Vertex: v.Index, Subtask: i, Slot: i,
						Fingerprint: g.Fingerprint, Checkpointing: ckp}); err != nil {
						t.Fatal(err)
					}
				}
			}
			testutil.WaitFor(t, 30*time.Second, "every subtask to end", func() bool { return len(jm.final()) == g.Subtasks() })
			for k, u := range jm.final() {
				if u.State != api.Finished {
					t.Fatalf("subtask %v: %s %s", k, u.State, u.Cause)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if got["a"] != 3 || got["b"] != 2 || got["c"] != 1 || len(got) != 3 {
				t.Fatalf("end counts %v", got)
			}
		})
	}
}
