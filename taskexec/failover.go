package taskexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// ApplicationMaster failover, the TaskManager's side: a TaskManager whose
// JobManager is gone (its ApplicationMaster attempt died) looks in the job
// store (RemoteOptions.JobStoreDir, contract.EnvJobStoreDir) for the
// attempt that took over: the newest <dir>/attempt-<n>/_ready names its
// JobManager's address. It then drops every task of the old JobManager
// (their updates are not sent: the new JobManager redeploys the jobs from
// their latest checkpoint), and registers afresh with its container and
// pool, so that the new JobManager adopts it. From then on it talks only to
// the new JobManager: a former attempt, even one that is still alive, can
// no longer reach it (TaskManagers dial their JobManager, never the
// reverse).

// leaderRecord is the part of the job store's _ready the TaskManager reads.
type leaderRecord struct {
	Attempt int    `json:"attempt"`
	Address string `json:"address"`
}

// jobStoreLeader returns the newest attempt's JobManager address from the
// job store at dir.
func jobStoreLeader(ctx context.Context, dir string) (leaderRecord, error) {
	st, err := openCheckpointStore(ctx, dir)
	if err != nil {
		return leaderRecord{}, err
	}
	defer func() { _ = st.Close() }() // read-only
	fis, err := st.List(ctx, dir)
	if err != nil {
		return leaderRecord{}, fmt.Errorf("job store %s: %w", dir, err)
	}
	best := leaderRecord{}
	for _, fi := range fis {
		n, err := strconv.Atoi(strings.TrimPrefix(path.Base(fi.Path), "attempt-"))
		if !fi.IsDir || !strings.HasPrefix(path.Base(fi.Path), "attempt-") || err != nil || n <= best.Attempt {
			continue
		}
		f, err := st.Open(ctx, strings.TrimSuffix(dir, "/")+"/attempt-"+strconv.Itoa(n)+"/_ready")
		if err != nil {
			continue // its takeover is not complete
		}
		b, err := io.ReadAll(f)
		_ = f.Close() // read-only
		var r leaderRecord
		if err != nil || json.Unmarshal(b, &r) != nil || r.Address == "" {
			continue
		}
		best = r
	}
	if best.Address == "" {
		return best, fmt.Errorf("job store %s: no attempt with a JobManager address", dir)
	}
	return best, nil
}

// followLeader moves the gateway to the JobManager the job store names,
// when it is not the one it talks to: the tasks of the old one are dropped
// (without g.dial: their last messages must not wait for it) and the
// TaskManager registers afresh.
func (g *channelGateway) followLeader(ctx context.Context) (bool, error) {
	if g.storeDir == "" || g.container == "" || g.pool == "" {
		return false, nil
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l, err := jobStoreLeader(lctx, g.storeDir)
	g.mu.Lock()
	same := l.Address == g.addr
	g.mu.Unlock()
	if err != nil || same {
		return false, err
	}
	g.log.Warn().Str("jobmanager", l.Address).Int("attempt", l.Attempt).Msg("JobManager failed over; dropping the old one's tasks and registering with the new one")
	g.tm.abandonAll(30 * time.Second)
	g.dial.Lock()
	defer g.dial.Unlock()
	g.mu.Lock()
	if g.ch != nil || g.released {
		g.mu.Unlock()
		return g.ch != nil, nil
	}
	g.addr = l.Address
	reg := g.reg
	g.mu.Unlock()
	reg.Reconnect, reg.Container, reg.Pool = false, g.container, g.pool
	if _, err := g.connect(ctx, reg); err != nil {
		if errors.Is(err, api.ErrRemote) {
			g.mu.Lock()
			g.released = true
			g.mu.Unlock()
			g.log.Info().Err(err).Msg("the new JobManager does not adopt this TaskManager")
			return false, errReleased
		}
		return false, err
	}
	g.log.Info().Str("jobmanager", l.Address).Int("attempt", l.Attempt).Msg("registered with the JobManager of the new attempt")
	return true, nil
}

// abandonAll cancels every task for good: their state updates are not
// reported (the JobManager they ran for is gone), and Run's partitions of
// their jobs are released. It waits (bounded) for them to end.
func (tm *TaskManager) abandonAll(bound time.Duration) {
	tm.mu.Lock()
	jobs := map[string]bool{}
	for k, rt := range tm.tasks {
		tm.abandoned[k] = true
		jobs[k.job] = true
		rt.cancel()
	}
	for k := range tm.finished {
		jobs[k.job] = true
	}
	tm.finished = map[taskKey]struct{}{}
	tm.mu.Unlock()
	deadline := time.Now().Add(bound)
	for {
		tm.mu.Lock()
		n := len(tm.tasks)
		tm.mu.Unlock()
		if n == 0 || time.Now().After(deadline) {
			if n > 0 {
				tm.log.Warn().Int("tasks", n).Msg("tasks of the former JobManager still ending")
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for job := range jobs {
		tm.releasePartitions(job, func(int) bool { return true })
	}
}

// isAbandoned reports whether a subtask ran for a JobManager that failed
// over: nothing of it goes to the new one.
func (tm *TaskManager) isAbandoned(job string, attempt, vertex, subtask int) bool {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.abandoned[taskKey{job, attempt, vertex, subtask}]
}
