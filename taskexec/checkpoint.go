package taskexec

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// CheckpointGateway is implemented by JobManager gateways that carry
// checkpoint acknowledgements; with one that does not, a TaskManager logs
// and drops them (the coordinator then times the checkpoint out).
type CheckpointGateway interface {
	AcknowledgeCheckpoint(ctx context.Context, a api.AcknowledgeCheckpoint) error
	DeclineCheckpoint(ctx context.Context, d api.DeclineCheckpoint) error
}

// commandBuffer is how many checkpoint commands wait for a task; a trigger
// that finds the buffer full is declined, a notification dropped (the next
// completion commits the earlier checkpoints too), so the control reader
// never blocks on a busy task.
const commandBuffer = 64

// storeStorage is runtime.CheckpointStorage on an hdfsstore.Store.
type storeStorage struct{ s *hdfsstore.Store }

func (st storeStorage) Create(ctx context.Context, p string) (io.WriteCloser, error) {
	if err := st.s.MkdirAll(ctx, hdfsstore.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return st.s.Create(ctx, p, 0o644)
}

func (st storeStorage) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	return st.s.Open(ctx, p)
}

// lazyStorage is storeStorage on a store opened at its first use: most
// subtasks never write or read checkpoint files (every subtask of a job
// without periodic checkpoints until a savepoint).
type lazyStorage struct {
	dir string
	*hdfsstore.Lazy
}

func newLazyStorage(dir string) lazyStorage {
	return lazyStorage{dir, hdfsstore.NewLazy(func(ctx context.Context) (*hdfsstore.Store, error) {
		return openCheckpointStore(ctx, dir)
	})}
}

func (l lazyStorage) get(ctx context.Context) (storeStorage, error) {
	s, err := l.Get(ctx)
	if err != nil {
		where := l.dir
		if where == "" {
			where = "the savepoint folder"
		}
		return storeStorage{}, fmt.Errorf("checkpoint storage for %s: %w", where, err)
	}
	return storeStorage{s}, nil
}

func (l lazyStorage) Create(ctx context.Context, p string) (io.WriteCloser, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Create(ctx, p)
}

func (l lazyStorage) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	st, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return st.Open(ctx, p)
}

// openCheckpointStore opens the store of a checkpoint folder: HDFS (with
// $HADOOP_CONF_DIR when set) for hdfs:// paths and for a job without one
// (its savepoints go where they are asked to, on YARN usually HDFS), local
// disk otherwise.
func openCheckpointStore(ctx context.Context, dir string) (*hdfsstore.Store, error) {
	var h *conf.Hadoop
	if dir == "" || strings.HasPrefix(dir, "hdfs://") {
		for _, k := range []string{contract.EnvHadoopConfDir, contract.EnvYarnConfDir} {
			if d := os.Getenv(k); d != "" {
				var err error
				if h, err = conf.LoadHadoop(d); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	return hdfsstore.New(ctx, hdfsstore.Options{Hadoop: h})
}

// taskCheckpoints builds a subtask's checkpoint hooks and settings: the
// commands channel the TaskManager feeds, acknowledgements that first
// write inline operator state to Dir/chk-<n>/…-state (a savepoint's to its
// own folder), and declines.
func (tm *TaskManager) taskCheckpoints(ctx context.Context, d api.DeployTask, cmds chan runtime.CheckpointCommand, log zerolog.Logger) (runtime.CheckpointHooks, *runtime.CheckpointSettings, *runtime.TaskRestore, func(), error) {
	c := d.Checkpointing
	mode, err := runtime.ParseCheckpointingMode(c.Mode)
	if err != nil {
		return runtime.CheckpointHooks{}, nil, nil, nil, err
	}
	store := newLazyStorage(c.Dir)
	set := &runtime.CheckpointSettings{Dir: c.Dir, Backend: c.Backend, LocalDir: tm.opts.LocalDir, Incremental: c.Incremental, SavepointsOnly: c.SavepointsOnly, Storage: store}
	ref := api.AcknowledgeCheckpoint{TaskManager: tm.opts.ID, Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex, Subtask: d.Subtask}
	hooks := runtime.CheckpointHooks{Mode: mode, Commands: cmds,
		Ack: func(cp runtime.CheckpointMeta, snaps []runtime.OperatorSnapshot, alignment time.Duration) {
			id := cp.ID
			a := ref
			a.Checkpoint, a.AlignmentMillis = id, alignment.Milliseconds()
			for _, s := range snaps {
				if len(s.State) > 0 {
					p := set.StateFile(cp, s.Operator, d.Vertex, d.Subtask, "state")
					if err := writeFile(ctx, set.Storage, p, s.State); err != nil {
						tm.decline(d, id, fmt.Errorf("write operator state of %s: %w", s.Operator, err), log)
						return
					}
					a.Handles = append(a.Handles, api.StateHandle{Operator: s.Operator, Path: p, Size: int64(len(s.State))})
				}
				for _, h := range s.Handles {
					a.Handles = append(a.Handles, api.StateHandle{Operator: h.Operator, Path: h.Path, Size: h.Size,
						KeyGroupStart: h.KeyGroupStart, KeyGroupEnd: h.KeyGroupEnd, Shared: h.Shared})
				}
			}
			tm.acknowledge(a, log)
		},
		Decline: func(id int64, err error) { tm.decline(d, id, err, log) },
	}
	var restore *runtime.TaskRestore
	if d.Restore != nil {
		restore = &runtime.TaskRestore{Checkpoint: d.Restore.Checkpoint, Fresh: d.Restore.Fresh}
		for _, h := range d.Restore.Handles {
			restore.Handles = append(restore.Handles, runtime.StateHandle{Operator: h.Operator, Path: h.Path, Size: h.Size,
				KeyGroupStart: h.KeyGroupStart, KeyGroupEnd: h.KeyGroupEnd, Shared: h.Shared})
		}
	}
	return hooks, set, restore, func() { _ = store.Close() }, nil // files are closed as written
}

func writeFile(ctx context.Context, st runtime.CheckpointStorage, p string, b []byte) error {
	w, err := st.Create(ctx, p)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

func (tm *TaskManager) acknowledge(a api.AcknowledgeCheckpoint, log zerolog.Logger) {
	g, ok := tm.opts.JobManager.(CheckpointGateway)
	if !ok {
		log.Warn().Int64("checkpoint", a.Checkpoint).Msg("the JobManager gateway carries no checkpoint acknowledgements; dropped")
		return
	}
	ctx, cancel := context.WithTimeout(tm.base, 10*time.Second)
	defer cancel()
	if err := g.AcknowledgeCheckpoint(ctx, a); err != nil {
		log.Warn().Err(err).Int64("checkpoint", a.Checkpoint).Msg("acknowledge checkpoint")
	}
}

func (tm *TaskManager) decline(d api.DeployTask, id int64, cause error, log zerolog.Logger) {
	log.Info().Err(cause).Int64("checkpoint", id).Msg("checkpoint declined")
	g, ok := tm.opts.JobManager.(CheckpointGateway)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(tm.base, 10*time.Second)
	defer cancel()
	dc := api.DeclineCheckpoint{TaskManager: tm.opts.ID, Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex, Subtask: d.Subtask,
		Checkpoint: id, Cause: cause.Error()}
	if err := g.DeclineCheckpoint(ctx, dc); err != nil {
		log.Warn().Err(err).Int64("checkpoint", id).Msg("decline checkpoint")
	}
}

// TriggerCheckpoint hands a checkpoint trigger to the listed source
// subtasks without waiting for them. A subtask that already finished
// acknowledges with no state (as Flink's FLIP-147: its splits are all
// read, so the checkpoint completes without it); one that is not running
// otherwise, or whose command buffer is full, declines.
func (tm *TaskManager) TriggerCheckpoint(_ context.Context, t api.TriggerCheckpoint) error {
	meta := runtime.CheckpointMeta{ID: t.Checkpoint, Timestamp: t.TimestampMillis, Savepoint: t.SavepointDir,
		Stop: t.Stop, Drain: t.Drain}
	var replies []func() // answered off the caller's goroutine (the JobManager's)
	defer func() { tm.reply(replies) }()
	for _, s := range t.Subtasks {
		key := taskKey{t.Job, t.Attempt, s.Vertex, s.Subtask}
		d := api.DeployTask{Job: t.Job, Attempt: t.Attempt, Vertex: s.Vertex, Subtask: s.Subtask}
		// Sent under the lock, so a task that ends either takes the
		// trigger with its last commands or is not found here.
		tm.mu.Lock()
		rt, running := tm.tasks[key]
		_, finished := tm.finished[key]
		sent := false
		if running && rt.cmds != nil {
			select {
			case rt.cmds <- runtime.CheckpointCommand{Kind: runtime.TriggerCheckpoint, Meta: meta}:
				sent = true
			default:
			}
		}
		tm.mu.Unlock()
		switch {
		case sent:
		case running:
			replies = append(replies, func() {
				tm.decline(d, t.Checkpoint, fmt.Errorf("subtask busy: %d checkpoint commands waiting", commandBuffer), tm.taskLog(d))
			})
		default:
			replies = append(replies, func() { tm.endedTrigger(d, t.Checkpoint, finished) })
		}
	}
	return nil
}

// reply sends the answers in a goroutine of the TaskManager, so a caller
// that handles them synchronously (an in-process JobManager's event loop)
// is never called back from inside its own call.
func (tm *TaskManager) reply(fns []func()) {
	if len(fns) == 0 {
		return
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.base.Err() != nil {
		return // shutting down: the JobManager fails the attempt anyway
	}
	tm.wg.Add(1)
	go func() {
		defer tm.wg.Done()
		for _, fn := range fns {
			fn()
		}
	}()
}

// endedTrigger answers a trigger for a subtask that is not running: a
// finished one acknowledges with no state, another declines.
func (tm *TaskManager) endedTrigger(d api.DeployTask, id int64, finished bool) {
	log := tm.taskLog(d)
	if !finished {
		tm.decline(d, id, fmt.Errorf("subtask not running on TaskManager %s", tm.opts.ID), log)
		return
	}
	tm.acknowledge(api.AcknowledgeCheckpoint{TaskManager: tm.opts.ID, Job: d.Job, Attempt: d.Attempt,
		Vertex: d.Vertex, Subtask: d.Subtask, Checkpoint: id}, log)
}

func (tm *TaskManager) taskLog(d api.DeployTask) zerolog.Logger {
	return tm.log.With().Str("job", d.Job).Int("attempt", d.Attempt).Int("vertex", d.Vertex).Int("subtask", d.Subtask).Logger()
}

// NotifyCheckpoint passes a completion or abort notice to every running
// subtask of the job attempt, without waiting for them.
func (tm *TaskManager) NotifyCheckpoint(_ context.Context, n api.NotifyCheckpoint) error {
	kind := runtime.CompleteCheckpoint
	if n.Aborted {
		kind = runtime.AbortCheckpoint
	}
	c := runtime.CheckpointCommand{Kind: kind, Meta: runtime.CheckpointMeta{ID: n.Checkpoint}}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	for k, rt := range tm.tasks {
		if k.job != n.Job || k.attempt != n.Attempt || rt.cmds == nil {
			continue
		}
		select {
		case rt.cmds <- c:
		default:
			tm.log.Warn().Str("job", n.Job).Int("vertex", k.vertex).Int("subtask", k.subtask).Int64("checkpoint", n.Checkpoint).
				Msg("checkpoint notice dropped: subtask busy (a later completion commits it)")
		}
	}
	return nil
}
