package am

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/floe-yarn/floe/am/jobstore"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// jobStoreFS is what the ApplicationMaster needs of HDFS for the job store
// and for recovery: the store's operations and reading checkpoint
// _metadata.
type jobStoreFS interface {
	jobstore.FS
	Stat(ctx context.Context, path string) (hdfsstore.FileInfo, error)
}

// JobStoreDir is the job store's folder: high-availability.storageDir
// when set (then per application: <dir>/<appId>), else <staging>/ha.
func JobStoreDir(cfg *conf.Config, staging, app string) string {
	if d := strings.TrimRight(cfg.String(conf.HAStorageDir), "/"); d != "" {
		return d + "/" + app
	}
	return strings.TrimRight(staging, "/") + "/ha"
}

// CheckpointIDGap is how many checkpoint ids a new attempt skips after the
// highest it found: a zombie attempt may trigger a few more before it
// learns it was fenced (at its next ResourceManager heartbeat), and they
// must never share a chk-<n> folder with the new attempt's.
const CheckpointIDGap = 1000

// recorder is the JobManager's JobRecorder on the job store.
type recorder struct {
	store *jobstore.Store
	fs    jobStoreFS
	seq   atomic.Int64
	now   func() time.Time
}

func newRecorder(st *jobstore.Store, fsys jobStoreFS, jobs int) *recorder {
	r := &recorder{store: st, fs: fsys, now: time.Now}
	r.seq.Store(int64(jobs))
	return r
}

func (r *recorder) JobSubmitted(ctx context.Context, id string, s jobmanager.Submission) error {
	g, err := s.Graph.Marshal()
	if err != nil {
		return err
	}
	rec := jobstore.JobRecord{ID: id, Name: s.Graph.Name, Seq: r.seq.Add(1), Graph: g, Pool: s.Pool, Binary: s.Binary, Args: s.Args,
		Env: s.Env, Restart: s.Restart, SubmittedMillis: r.now().UnixMilli(), SavepointPath: s.SavepointPath, AllowNonRestored: s.AllowNonRestored}
	if s.Checkpointing != nil {
		if rec.Checkpointing, err = json.Marshal(s.Checkpointing); err != nil {
			return err
		}
	}
	if s.Binary != "" {
		fi, err := r.fs.Stat(ctx, s.Binary)
		if err != nil {
			return fmt.Errorf("job binary %s: %w", s.Binary, err)
		}
		rec.BinarySize, rec.BinaryModMillis = fi.Size, fi.ModTimeMillis()
	}
	return r.store.PutJob(ctx, rec)
}

func (r *recorder) CheckpointCompleted(ctx context.Context, job string, id int64, metadata string, savepoint bool) error {
	if savepoint {
		return r.store.Check(ctx)
	}
	return r.store.PutCheckpoint(ctx, job, id, metadata)
}

func (r *recorder) JobEnded(ctx context.Context, st api.JobStatus) error {
	return r.store.PutFinal(ctx, st.ID, st.State, st.Cause, r.now())
}

// recoveredJob is a job a former attempt recorded, ready to resubmit (Sub)
// or, when it had ended, its final status (and Sub lists it as ended,
// Recovery.Ended).
type recoveredJob struct {
	Sub   jobmanager.Submission
	Final *api.JobStatus
}

// recoverJobs turns the job store's records into submissions that resume
// each unfinished job from its latest completed checkpoint. cause goes to
// each job's exception history.
func recoverJobs(ctx context.Context, fsys jobStoreFS, st jobstore.State, cause string) ([]recoveredJob, error) {
	var out []recoveredJob
	for _, j := range st.Jobs {
		r := j.Submission
		g, err := graph.Unmarshal(r.Graph)
		if err != nil {
			return nil, fmt.Errorf("job store: job %s: graph: %w", r.ID, err)
		}
		sub := jobmanager.Submission{ID: r.ID, Graph: g, Pool: r.Pool, Binary: r.Binary, Args: r.Args, Env: r.Env, Restart: r.Restart,
			SavepointPath: r.SavepointPath, AllowNonRestored: r.AllowNonRestored}
		if f := j.Final; f != nil {
			sub.Recover = &jobmanager.Recovery{Ended: &jobmanager.JobEnd{State: f.State, Cause: f.Cause,
				Submitted: time.UnixMilli(r.SubmittedMillis), Ended: time.UnixMilli(f.TimeMillis)}}
			out = append(out, recoveredJob{Sub: sub, Final: &api.JobStatus{Version: api.Version, ID: r.ID, Name: r.Name, State: f.State, Cause: f.Cause}})
			continue
		}
		rec := &jobmanager.Recovery{Cause: cause, SkipIDs: CheckpointIDGap}
		if len(r.Checkpointing) > 0 {
			sub.Checkpointing = &jobmanager.JobCheckpointing{}
			if err := json.Unmarshal(r.Checkpointing, sub.Checkpointing); err != nil {
				return nil, fmt.Errorf("job store: job %s: checkpointing: %w", r.ID, err)
			}
		}
		if sub.Checkpointing.Enabled() {
			dir := jobmanager.JobCheckpointDir(sub.Checkpointing.Dir, r.ID)
			if rec.Found, err = checkpointFolders(ctx, fsys, dir); err != nil {
				return nil, err
			}
			if c := j.Checkpoint; c != nil {
				if rec.Checkpoint, err = readMetadata(ctx, fsys, c.Metadata); err != nil {
					return nil, fmt.Errorf("job %s: latest completed checkpoint %d: %w", r.ID, c.ID, err)
				}
				rec.Cause += fmt.Sprintf("; resumed from checkpoint %d", c.ID)
			}
		}
		if rec.Checkpoint == nil && r.SavepointPath != "" {
			out = append(out, recoveredJob{Sub: sub}) // no checkpoint of its own yet: start from the savepoint again
			continue
		}
		sub.Recover = rec
		out = append(out, recoveredJob{Sub: sub})
	}
	return out, nil
}

// checkpointFolders lists the chk-<n> folders under a job's checkpoint
// folder, as dir/chk-<n> (what the coordinator cleans and counts past).
func checkpointFolders(ctx context.Context, fsys jobStoreFS, dir string) ([]string, error) {
	fis, err := fsys.List(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints %s: %w", dir, err)
	}
	var out []string
	for _, fi := range fis {
		if name := path.Base(fi.Path); fi.IsDir && strings.HasPrefix(name, "chk-") {
			out = append(out, dir+"/"+name)
		}
	}
	return out, nil
}

func readMetadata(ctx context.Context, fsys jobStoreFS, p string) (*jobmanager.CheckpointMetadata, error) {
	f, err := fsys.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	m, err := jobmanager.DecodeCheckpointMetadata(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}
