package jobmanager

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrNoSavepointTarget is TriggerSavepoint's answer when no target folder
// is given (the client resolves state.savepoints.dir into it).
var ErrNoSavepointTarget = errors.New("no savepoint target directory (give one or set state.savepoints.dir)")

// TriggerSavepoint takes a savepoint of a running job under target and
// blocks until it completes, fails or ctx ends; it returns the savepoint's
// folder, target/savepoint-<short job id>-<random>, which holds _metadata.
// A savepoint that fails (a decline, a timeout, the job stopping) returns
// the coordinator's reason; the job goes on running.
func (jm *JobManager) TriggerSavepoint(ctx context.Context, id, target string) (string, error) {
	if target == "" {
		return "", fmt.Errorf("savepoint of job %s: %w", id, ErrNoSavepointTarget)
	}
	if _, err := jm.Status(id); err != nil {
		return "", fmt.Errorf("savepoint of job %s: %w", id, err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("savepoint of job %s: %w", id, err)
	}
	dir := SavepointDir(target, id, hex.EncodeToString(b[:]))
	done := make(chan error, 1)
	jm.mu.Lock()
	jm.spWait[dir] = done
	jm.mu.Unlock()
	defer func() {
		jm.mu.Lock()
		delete(jm.spWait, dir)
		jm.mu.Unlock()
	}()
	jm.post(CheckpointReport{Job: id, Event: SavepointRequested{Dir: dir}})
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("savepoint of job %s to %s: %w", id, dir, err)
		}
		return dir, nil
	case <-ctx.Done():
		return "", fmt.Errorf("savepoint of job %s to %s: %w", id, dir, context.Cause(ctx))
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
