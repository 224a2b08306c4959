package jobmanager

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestCheckpointCoordinatorInvariants drives coordinators with random but
// seeded sequences of events (acks in any order, late and duplicate acks,
// declines, failed and late _metadata writes, failovers, failed deletions,
// an AM failover) against a model of the file system, and checks after
// every step that
//
//   - no deleted path is referenced by a retained or the pending checkpoint,
//   - checkpoint ids only increase and at most one is in progress,
//   - a checkpoint is notified only after its _metadata write succeeded,
//
// and at the end, once every outstanding message is delivered, that the
// files left are exactly those of the retained checkpoints (no leak).
func TestCheckpointCoordinatorInvariants(t *testing.T) {
	for seed := int64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runCheckpointModel(t, seed) })
	}
}

type ackPlan struct {
	id   int64
	task CheckpointTask
	hs   []StateHandle
}

type checkpointModel struct {
	t       *testing.T
	rng     *rand.Rand
	opts    CheckpointCoordinatorOptions
	c       *CheckpointCoordinator
	now     time.Time
	tasks   []CheckpointTask
	attempt int
	disk    map[string]bool
	acks    []ackPlan // uploaded or about to be, not yet delivered
	writes  []int64   // _metadata writes in flight
	written map[int64]bool
	lastID  int64
	fileSeq int
}

func runCheckpointModel(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	m := &checkpointModel{t: t, rng: rng, now: checkpointEpoch, disk: map[string]bool{}, written: map[int64]bool{},
		tasks: []CheckpointTask{{0, 0}, {1, 0}, {1, 1}}}
	m.opts = CheckpointCoordinatorOptions{Job: "j1", Dir: "/c", MaxParallelism: 128, Config: CheckpointConfig{
		Interval: 10 * time.Second, Timeout: 30 * time.Second, MinPause: time.Duration(rng.Intn(3)) * 5 * time.Second,
		TolerableFailures: rng.Intn(4), NumRetained: 1 + rng.Intn(3), Incremental: true}}
	var err error
	if m.c, err = NewCheckpointCoordinator(m.opts); err != nil {
		t.Fatal(err)
	}
	running := false
	for step := 0; step < 400; step++ {
		switch r := rng.Intn(100); {
		case !running && r < 30:
			m.attempt++
			m.step(CheckpointJobRunning{Attempt: m.attempt, Tasks: m.tasks, Sources: m.tasks[:1]})
			running = true
		case r < 35 && running:
			m.step(CheckpointJobStopped{Cause: "boom"})
			running = false
		case r < 37:
			m.amFailover()
			running = false
		case r < 60:
			m.now = m.now.Add(time.Duration(rng.Intn(12)) * time.Second)
			m.step(CheckpointTick{})
		case r < 85 && len(m.acks) > 0:
			i := rng.Intn(len(m.acks))
			a := m.acks[i]
			if rng.Intn(10) > 0 { // sometimes the same ack comes twice
				m.acks = append(m.acks[:i], m.acks[i+1:]...)
			}
			for _, h := range a.hs {
				m.disk[h.Path] = true
			}
			m.step(CheckpointAcknowledged{ID: a.id, Task: a.task, Handles: a.hs})
		case r < 88 && len(m.acks) > 0:
			a := m.acks[rng.Intn(len(m.acks))]
			m.step(CheckpointDeclined{ID: a.id, Task: a.task, Reason: "no"})
		case r < 100 && len(m.writes) > 0:
			m.deliverWrite(rng.Intn(len(m.writes)), rng.Intn(8) > 0)
		}
	}
	// Drain: the job stops, every message in flight arrives, deletions
	// are retried until they succeed.
	m.step(CheckpointJobStopped{Cause: "end"})
	for len(m.acks) > 0 {
		a := m.acks[0]
		m.acks = m.acks[1:]
		for _, h := range a.hs {
			m.disk[h.Path] = true
		}
		m.step(CheckpointAcknowledged{ID: a.id, Task: a.task, Handles: a.hs})
	}
	for len(m.writes) > 0 {
		m.deliverWrite(0, true)
	}
	m.rng = rand.New(rand.NewSource(0)) // no more failed deletions
	m.now = m.now.Add(time.Hour)
	m.step(CheckpointTick{})
	m.checkNoLeak()
}

// amFailover replaces the coordinator by one restored from the retained
// checkpoints and the listing of the folder, as the AM does after a
// restart. Messages addressed to the old one are lost; the new one must
// delete the files they leave behind.
func (m *checkpointModel) amFailover() {
	var ms []*CheckpointMetadata
	for _, r := range m.c.Retained() {
		back, err := DecodeCheckpointMetadata(EncodeCheckpointMetadata(r))
		if err != nil {
			m.t.Fatal(err)
		}
		ms = append(ms, back)
	}
	// A write in flight may still land; acks to the old AM are lost.
	for _, id := range m.writes {
		if m.rng.Intn(2) == 0 {
			m.disk[fmt.Sprintf("/c/chk-%d/_metadata", id)] = true
		}
	}
	m.acks, m.writes = nil, nil
	var err error
	if m.c, err = NewCheckpointCoordinator(m.opts); err != nil {
		m.t.Fatal(err)
	}
	var found []string
	m.lastID = 0
	for p := range m.disk {
		found = append(found, p)
		var n int64
		if _, err := fmt.Sscanf(strings.TrimPrefix(p, "/c/"), "chk-%d", &n); err == nil && n > m.lastID {
			m.lastID = n // ids continue after the highest one left on disk
		}
	}
	sort.Strings(found)
	m.step(CheckpointRestored{Checkpoints: ms, Owned: true, Found: found})
}

func (m *checkpointModel) deliverWrite(i int, ok bool) {
	id := m.writes[i]
	m.writes = append(m.writes[:i], m.writes[i+1:]...)
	e := CheckpointMetadataWritten{ID: id}
	if ok {
		m.disk[fmt.Sprintf("/c/chk-%d/_metadata", id)] = true
		m.written[id] = true
	} else {
		e.Err = "io error"
	}
	m.step(e)
}

func (m *checkpointModel) step(ev CheckpointEvent) {
	for _, a := range m.c.Step(m.now, ev) {
		m.check(ev, a)
	}
	if s := m.c.Stats(); s.InProgress > 1 {
		m.t.Fatalf("%d checkpoints in progress", s.InProgress)
	}
}

func (m *checkpointModel) check(ev CheckpointEvent, a CheckpointAction) {
	t := m.t
	switch a := a.(type) {
	case TriggerCheckpoint:
		if a.ID <= m.lastID {
			t.Fatalf("after %T: trigger chk-%d after chk-%d", ev, a.ID, m.lastID)
		}
		m.lastID = a.ID
		for _, task := range m.tasks {
			m.acks = append(m.acks, ackPlan{id: a.ID, task: task, hs: m.snapshot(a.ID, task)})
		}
	case WriteCheckpointMetadata:
		m.writes = append(m.writes, a.ID)
	case NotifyCheckpointComplete:
		if !m.written[a.ID] {
			t.Fatalf("after %T: chk-%d notified before its _metadata was written", ev, a.ID)
		}
	case DeleteCheckpointFiles:
		ref := m.referenced()
		var failed []string
		for _, p := range a.Paths {
			for r := range ref {
				if r == p || strings.HasPrefix(r, p+"/") {
					t.Fatalf("after %T: %s deletes %s, still referenced", ev, a, r)
				}
			}
			if m.rng.Intn(10) == 0 {
				failed = append(failed, p)
				continue
			}
			for d := range m.disk {
				if d == p || strings.HasPrefix(d, p+"/") {
					delete(m.disk, d)
				}
			}
		}
		done := CheckpointFilesDeleted{Failed: failed}
		for _, p := range a.Paths {
			if !contains(failed, p) {
				done.Paths = append(done.Paths, p)
			}
		}
		m.step(done)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// snapshot is what a task uploads for checkpoint id: an exclusive file,
// some shared files of the latest retained checkpoint, and a new shared one.
func (m *checkpointModel) snapshot(id int64, task CheckpointTask) []StateHandle {
	m.fileSeq++
	kg := KeyGroupRange{Start: task.Subtask * 64, End: task.Subtask*64 + 64}
	if task.Vertex == 0 {
		kg = KeyGroupRange{}
	}
	hs := []StateHandle{{Path: fmt.Sprintf("/c/chk-%d/%s-%d", id, strings.ReplaceAll(task.String(), "/", "_"), m.fileSeq), Size: 1, KeyGroups: kg}}
	if l := m.c.Latest(); l != nil && task.Vertex == 1 {
		for _, h := range l.RestoreHandles(task.Vertex, task.Subtask, kg) {
			if h.Shared && m.rng.Intn(2) == 0 {
				hs = append(hs, h)
			}
		}
	}
	if task.Vertex == 1 {
		hs = append(hs, StateHandle{Path: fmt.Sprintf("/c/shared/%d", m.fileSeq), Size: 10, KeyGroups: kg, Shared: true})
	}
	return hs
}

// referenced are the paths retained checkpoints hold (with their _metadata),
// and those the pending checkpoint's recorded acks hold.
func (m *checkpointModel) referenced() map[string]bool {
	ref := map[string]bool{}
	for _, r := range m.c.Retained() {
		ref[fmt.Sprintf("/c/chk-%d/_metadata", r.ID)] = true
		for _, h := range r.Handles() {
			ref[h.Path] = true
		}
	}
	if p := m.c.pending; p != nil {
		for _, hs := range p.acks {
			for _, h := range hs {
				ref[h.Path] = true
			}
		}
	}
	return ref
}

func (m *checkpointModel) checkNoLeak() {
	ref := m.referenced()
	var leaked, missing []string
	for p := range m.disk {
		if !ref[p] {
			leaked = append(leaked, p)
		}
	}
	for p := range ref {
		if !m.disk[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(leaked)
	sort.Strings(missing)
	if len(leaked)+len(missing) > 0 {
		m.t.Fatalf("leaked %v, missing %v (retained %d)", leaked, missing, len(m.c.Retained()))
	}
}
