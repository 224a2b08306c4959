package jobmanager

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// ErrNoSavepointTarget is TriggerSavepoint's answer when no target folder
// is given (the client resolves state.savepoints.dir into it).
var ErrNoSavepointTarget = errors.New("no savepoint target directory (give one or set state.savepoints.dir)")

// TriggerSavepoint takes a savepoint of a running job under target and
// blocks until it completes, fails or ctx ends; it returns the savepoint's
// folder, target/savepoint-<short job id>-<random>, which holds _metadata
// and every state file of the savepoint. A savepoint that fails (a
// decline, a timeout, the job stopping) returns the coordinator's reason;
// the job goes on running.
func (jm *JobManager) TriggerSavepoint(ctx context.Context, id, target string) (string, error) {
	dir, err := jm.savepoint(ctx, id, target, SavepointRequested{})
	if err != nil {
		return "", fmt.Errorf("savepoint of job %s%s: %w", id, to(dir), err)
	}
	return dir, nil
}

// StopWithSavepoint is Flink's stop: a synchronous savepoint of a running
// job under target, after which its sources end, its sinks having
// committed; it blocks until the job has finished (or ctx ends) and
// returns the savepoint's folder. With drain the input ends first (a MAX
// watermark: event-time timers fire). A savepoint that fails leaves the
// job running and its files removed.
func (jm *JobManager) StopWithSavepoint(ctx context.Context, id, target string, drain bool) (string, error) {
	dir, err := jm.savepoint(ctx, id, target, SavepointRequested{Stop: true, Drain: drain})
	if err != nil {
		return "", fmt.Errorf("stop job %s with a savepoint%s: %w", id, to(dir), err)
	}
	st, err := jm.Wait(ctx, id)
	if err != nil {
		return dir, fmt.Errorf("stop job %s with savepoint %s: the savepoint completed, waiting for the job to finish: %w", id, dir, err)
	}
	if st.State != api.JobFinished {
		return dir, fmt.Errorf("stop job %s with savepoint %s: the savepoint completed but the job ended %s: %s", id, dir, st.State, st.Cause)
	}
	return dir, nil
}

func to(dir string) string {
	if dir == "" {
		return ""
	}
	return " to " + dir
}

// savepoint requests a savepoint (sp's Stop and Drain) of job id under
// target and waits for its outcome; dir is the savepoint's folder once
// chosen, also with an error.
func (jm *JobManager) savepoint(ctx context.Context, id, target string, sp SavepointRequested) (dir string, err error) {
	if target == "" {
		return "", ErrNoSavepointTarget
	}
	if _, err := jm.Status(id); err != nil {
		return "", err
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	sp.Dir = SavepointDir(target, id, hex.EncodeToString(b[:]))
	done := make(chan error, 1)
	jm.mu.Lock()
	jm.spWait[sp.Dir] = done
	jm.mu.Unlock()
	defer func() {
		jm.mu.Lock()
		delete(jm.spWait, sp.Dir)
		jm.mu.Unlock()
	}()
	jm.post(CheckpointReport{Job: id, Event: sp})
	select {
	case err := <-done:
		return sp.Dir, err
	case <-ctx.Done():
		return sp.Dir, context.Cause(ctx)
	}
}

// savepointDone hands a savepoint's outcome to its waiter, if any.
func (jm *JobManager) savepointDone(dir string, err error) {
	jm.mu.Lock()
	defer jm.mu.Unlock()
	if ch, ok := jm.spWait[dir]; ok {
		ch <- err // buffered, and each savepoint ends once
		delete(jm.spWait, dir)
	}
	if err != nil {
		jm.log.Warn().Str("savepoint", dir).Err(err).Msg("savepoint failed")
	} else {
		jm.log.Info().Str("savepoint", dir).Msg("savepoint completed")
	}
}
