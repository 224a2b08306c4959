package jobmanager

import (
	"sync"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// jobTimes keeps what Flink's REST API reports of a job beyond its status:
// its job graph and when it entered each state (Unix ms), as the shell saw
// them. It has its own lock: the REST handlers read it while the shell
// writes.
type jobTimes struct {
	mu   sync.Mutex
	jobs map[string]*jobTimeline
}

type jobTimeline struct {
	graph  *graph.JobGraph
	states map[api.JobState]int64 // first entry into each state
	last   api.JobState
	// lastChange is when the job last changed state (ms).
	lastChange int64
}

func (t *jobTimes) submitted(id string, g *graph.JobGraph, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.jobs == nil {
		t.jobs = map[string]*jobTimeline{}
	}
	ms := now.UnixMilli()
	t.jobs[id] = &jobTimeline{graph: g, states: map[api.JobState]int64{api.JobCreated: ms}, last: api.JobCreated, lastChange: ms}
}

func (t *jobTimes) changed(id string, st api.JobState, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j := t.jobs[id]
	if j == nil || j.last == st {
		return
	}
	ms := now.UnixMilli()
	// A restart runs again: RUNNING is the newest run's start.
	j.states[st] = ms
	j.last, j.lastChange = st, ms
}

// JobInfo is a job's graph and state times, for the REST API.
type JobInfo struct {
	Graph *graph.JobGraph
	// Times holds when the job entered each state (Unix ms), the newest
	// entry for states entered more than once.
	Times      map[api.JobState]int64
	LastChange int64
}

// Start is the submission time (ms).
func (i JobInfo) Start() int64 { return i.Times[api.JobCreated] }

// End is when the job reached a terminal state (ms), -1 while it runs.
func (i JobInfo) End(st api.JobState) int64 {
	if !st.Terminal() {
		return -1
	}
	return i.Times[st]
}

// JobInfo returns job id's graph and state times.
func (jm *JobManager) JobInfo(id string) (JobInfo, bool) {
	t := &jm.times
	t.mu.Lock()
	defer t.mu.Unlock()
	j := t.jobs[id]
	if j == nil {
		return JobInfo{}, false
	}
	times := make(map[api.JobState]int64, len(j.states))
	for k, v := range j.states {
		times[k] = v
	}
	return JobInfo{Graph: j.graph, Times: times, LastChange: j.lastChange}, true
}
