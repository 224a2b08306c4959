package jobtest

import (
	"context"
	"strings"
	"sync"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// Coordinator is a test JobManager for one TaskManager at a time: it
// records task states and checkpoint acknowledgements, and plays the
// checkpoint coordinator's part by hand (trigger, collect, notify,
// restore handles).
type Coordinator struct {
	mu       sync.Mutex
	states   map[[3]int]api.ExecutionState // attempt, vertex, subtask
	causes   []string
	acks     map[int64][]api.AcknowledgeCheckpoint
	declines []api.DeclineCheckpoint
	lastID   int64
}

// NewCoordinator returns a coordinator that has seen nothing.
func NewCoordinator() *Coordinator {
	return &Coordinator{states: map[[3]int]api.ExecutionState{}, acks: map[int64][]api.AcknowledgeCheckpoint{}}
}

// NextID is the next checkpoint id.
func (c *Coordinator) NextID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastID++
	return c.lastID
}

// Register implements taskexec's JobManager.
func (c *Coordinator) Register(context.Context, api.Registration) (api.RegistrationReply, error) {
	return api.RegistrationReply{Version: api.Version}, nil
}

// Heartbeat implements taskexec's JobManager.
func (c *Coordinator) Heartbeat(context.Context, string) (bool, error) { return true, nil }

// UpdateTask records a subtask's state and cause.
func (c *Coordinator) UpdateTask(_ context.Context, u api.TaskUpdate) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.states[[3]int{u.Attempt, u.Vertex, u.Subtask}] = u.State
	if u.Cause != "" {
		c.causes = append(c.causes, u.Cause)
	}
	return nil
}

// AcknowledgeCheckpoint records an acknowledgement.
func (c *Coordinator) AcknowledgeCheckpoint(_ context.Context, a api.AcknowledgeCheckpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acks[a.Checkpoint] = append(c.acks[a.Checkpoint], a)
	return nil
}

// DeclineCheckpoint records a decline (Failures reports it).
func (c *Coordinator) DeclineCheckpoint(_ context.Context, d api.DeclineCheckpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.declines = append(c.declines, d)
	return nil
}

// Count returns how many subtasks of attempt are in state s.
func (c *Coordinator) Count(attempt int, s api.ExecutionState) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, st := range c.states {
		if k[0] == attempt && st == s {
			n++
		}
	}
	return n
}

// Acked returns the acknowledgements of checkpoint id so far.
func (c *Coordinator) Acked(id int64) []api.AcknowledgeCheckpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]api.AcknowledgeCheckpoint(nil), c.acks[id]...)
}

// Failures joins every decline and failure cause seen ("" for none).
func (c *Coordinator) Failures() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s []string
	for _, d := range c.declines {
		s = append(s, "declined: "+d.Cause)
	}
	return strings.Join(append(s, c.causes...), "; ")
}

// snapshot returns a copy of the subtask states and causes, for logs.
func (c *Coordinator) snapshot() (map[[3]int]api.ExecutionState, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := make(map[[3]int]api.ExecutionState, len(c.states))
	for k, v := range c.states {
		st[k] = v
	}
	return st, append([]string(nil), c.causes...)
}
