package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
)

// CheckpointDirTimeout bounds CheckCheckpointDir: a NameNode that does not
// answer within it is reported as unreachable.
const CheckpointDirTimeout = 20 * time.Second

// CheckCheckpointDir verifies, before anything is deployed, that a job can
// write its checkpoints under dir (state.checkpoints.dir) as the user st
// acts as: its file system answers, and a file can be created there. A job
// that cannot would otherwise start, fail its first checkpoint and fail
// over again and again. The probe file is removed, and a folder the probe
// had to create is removed again, so a refused submission leaves nothing
// behind. Each error names the option, the folder, the cause and the fix,
// and matches ErrBadInput.
func CheckCheckpointDir(ctx context.Context, st *hdfsstore.Store, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, CheckpointDirTimeout)
	defer cancel()
	dir = strings.TrimRight(dir, "/")
	created := false
	fi, err := st.Stat(ctx, dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err = st.MkdirAll(ctx, dir, 0o755); err == nil {
			created = true
		}
	case err == nil && !fi.IsDir:
		return fmt.Errorf("%w: %s %s is a file, not a folder: point it at a folder", ErrBadInput, conf.CheckpointsDir, dir)
	}
	if err == nil {
		err = probeWrite(ctx, st, dir)
	}
	if created {
		// The JobManager makes it again when the job runs.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = st.RemoveAll(rctx, dir) // best effort: an empty folder
		cancel()
	}
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %s %s: user %s may not write there (%v): grant the user write permission on it or choose another folder",
			ErrBadInput, conf.CheckpointsDir, dir, st.User(), err)
	case errors.Is(err, hdfsstore.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %s %s: its file system cannot be reached (%v): start its NameNode or fix the folder's address",
			ErrBadInput, conf.CheckpointsDir, dir, err)
	}
	return fmt.Errorf("%w: %s %s: checkpoints cannot be written there: %v", ErrBadInput, conf.CheckpointsDir, dir, err)
}

// probeWrite creates and removes a hidden empty file in dir.
func probeWrite(ctx context.Context, st *hdfsstore.Store, dir string) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	p := dir + "/.floe-write-probe-" + hex.EncodeToString(b)
	w, err := st.Create(ctx, p, 0o600)
	if err != nil {
		return err
	}
	err = w.Close()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := st.RemoveAll(rctx, p); err == nil {
		err = rerr
	}
	return err
}
