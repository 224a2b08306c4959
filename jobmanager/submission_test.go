package jobmanager

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// jobIDForm is Flink's job id form: 32 lower-case hex digits.
var jobIDForm = regexp.MustCompile(`^[0-9a-f]{32}$`)

// nopDriver starts nothing: the jobs stay waiting for slots.
type nopDriver struct{}

func (nopDriver) StartTaskManager(context.Context, TaskManagerSpec, func(string)) error { return nil }
func (nopDriver) StopTaskManager(context.Context, string) error                         { return nil }
func (nopDriver) DescribeTaskManager(id string) string                                  { return id }

// TestSubmitChosenID: a per-job or application cluster's job keeps the id
// the client chose; without one the JobManager names the job itself.
func TestSubmitChosenID(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	jm, err := New(ctx, Options{Driver: nopDriver{}, Core: CoreOptions{SlotsPerTaskManager: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = jm.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })

	const chosen = "0123456789abcdef0123456789abcdef"
	id, err := jm.Submit(ctx, Submission{ID: chosen, Graph: testGraph(t, "a", []int{1}), Pool: "p"})
	if err != nil || id != chosen {
		t.Fatalf("Submit = %q, %v; want %s", id, err, chosen)
	}
	if st, err := jm.Status(chosen); err != nil || st.ID != chosen || st.Name != "a" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if _, err := jm.Submit(ctx, Submission{ID: chosen, Graph: testGraph(t, "b", []int{1}), Pool: "p"}); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("second job under the same id: %v", err)
	}
	// Without an id the JobManager makes one: 32 lower-case hex digits as
	// Flink's, different for every job.
	seen := map[string]bool{chosen: true}
	for _, name := range []string{"c", "c", "d"} {
		id, err := jm.Submit(ctx, Submission{Graph: testGraph(t, name, []int{1}), Pool: "p"})
		if err != nil || !jobIDForm.MatchString(id) || seen[id] {
			t.Fatalf("Submit %s without an id = %q, %v; want a new id of 32 hex digits", name, id, err)
		}
		seen[id] = true
	}
	bad := api.RestartStrategy{Type: api.RestartFailureRate}
	if _, err := jm.Submit(ctx, Submission{Graph: testGraph(t, "d", []int{1}), Pool: "p", Restart: bad}); err == nil ||
		!strings.Contains(err.Error(), "failure-rate") {
		t.Fatalf("Submit with a failure-rate strategy of no interval: %v", err)
	}
}

// TestSubmitListedAsTheCoreListsIt: a job a new attempt recovers is listed
// from the moment Submit returns as the core lists it once it has the job
// (the loop is not even running here): every subtask, in its final state
// when the job had ended, and the former attempt's end in the exception
// history. A client asking right after a failover sees the whole job.
func TestSubmitListedAsTheCoreListsIt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jm, err := New(ctx, Options{Driver: nopDriver{}, Core: CoreOptions{SlotsPerTaskManager: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		rec       Recovery
		state     api.JobState
		sub       api.ExecutionState
		exception string
	}{
		{Recovery{Ended: &JobEnd{State: api.JobCanceled}}, api.JobCanceled, api.Canceled, ""},
		{Recovery{Ended: &JobEnd{State: api.JobFinished}}, api.JobFinished, api.Finished, ""},
		{Recovery{Ended: &JobEnd{State: api.JobFailed, Cause: "boom"}}, api.JobFailed, api.Canceled, "boom"},
		{Recovery{Cause: "JobManager failover: exitCode: 137"}, api.JobCreated, api.Created, "JobManager failover: exitCode: 137"},
	} {
		jid := fmt.Sprintf("%032x", i+1)
		g := testGraph(t, "a", []int{2, 1})
		rec := tc.rec
		if _, err := jm.Submit(ctx, Submission{ID: jid, Graph: g, Pool: "p", Recover: &rec}); err != nil {
			t.Fatal(err)
		}
		st, err := jm.Status(jid)
		if err != nil || st.State != tc.state || len(st.Subtasks) != 3 {
			t.Fatalf("%s: status %+v (%v), want %s with 3 subtasks", tc.state, st, err, tc.state)
		}
		for _, s := range st.Subtasks {
			if s.State != tc.sub {
				t.Errorf("%s: subtask %+v, want %s", tc.state, s, tc.sub)
			}
		}
		if tc.exception == "" && len(st.Exceptions) != 0 || tc.exception != "" && (len(st.Exceptions) != 1 || st.Exceptions[0].Cause != tc.exception) {
			t.Errorf("%s: exception history %+v, want %q", tc.state, st.Exceptions, tc.exception)
		}
		jm.core.submit(JobSubmitted{Job: jid, Graph: g, Pool: "p", Ended: rec.Ended, RecoverCause: rec.Cause})
		core, _ := jm.core.Job(jid)
		if core.State != st.State || core.Cause != st.Cause || !slices.Equal(core.Subtasks, st.Subtasks) ||
			len(core.Exceptions) != len(st.Exceptions) || len(st.Exceptions) == 1 && core.Exceptions[0].Cause != st.Exceptions[0].Cause {
			t.Errorf("%s: the core lists %+v, Submit listed %+v", tc.state, core, st)
		}
	}
}
