package jobmanager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/rs/zerolog"
)

// The shell's side of checkpointing: TriggerCheckpoint and NotifyCheckpoint
// go to the TaskManagers over their control channels, their
// acknowledgements and declines come back as CheckpointReport events, and
// the checkpoint storage work (_metadata writes, deletions) runs on one
// worker goroutine, in order, off the core's goroutine, its results fed back
// as events too.

// CheckpointGateway is implemented by TaskManager gateways that carry
// checkpoint messages (the control channel's does).
type CheckpointGateway interface {
	TriggerCheckpoint(ctx context.Context, t api.TriggerCheckpoint) error
	NotifyCheckpoint(ctx context.Context, n api.NotifyCheckpoint) error
}

// CheckpointStorage is where checkpoints live: HDFS or local disk.
type CheckpointStorage interface {
	// WriteAtomic makes data appear at path all at once (write a
	// temporary file in the same folder, then rename).
	WriteAtomic(ctx context.Context, path string, data []byte) error
	// RemoveAll deletes path, a folder recursively; a missing path is
	// not an error.
	RemoveAll(ctx context.Context, path string) error
}

// StoreCheckpointStorage keeps checkpoints through an hdfsstore.Store
// (hdfs:// paths and local ones).
func StoreCheckpointStorage(s *hdfsstore.Store) CheckpointStorage { return storeStorage{s} }

type storeStorage struct{ s *hdfsstore.Store }

func (st storeStorage) WriteAtomic(ctx context.Context, p string, data []byte) error {
	f, err := st.s.CreateAtomic(ctx, p, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Commit(ctx)
}

// Read returns the file at p (a savepoint's _metadata).
func (st storeStorage) Read(ctx context.Context, p string) ([]byte, error) {
	f, err := st.s.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	return io.ReadAll(f)
}

func (st storeStorage) RemoveAll(ctx context.Context, p string) error {
	if err := st.s.RemoveAll(ctx, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// lazyStorage is the default CheckpointStorage: an hdfsstore.Store with
// Hadoop's defaults, made on first use (a JobManager whose jobs never
// checkpoint makes none).
type lazyStorage struct{ *hdfsstore.Lazy }

func newLazyStorage(log zerolog.Logger) lazyStorage {
	return lazyStorage{hdfsstore.NewLazy(func(ctx context.Context) (*hdfsstore.Store, error) {
		return hdfsstore.New(ctx, hdfsstore.Options{Logger: log})
	})}
}

func (l lazyStorage) get(ctx context.Context) (storeStorage, error) {
	s, err := l.Get(ctx)
	if err != nil {
		return storeStorage{}, fmt.Errorf("checkpoint storage: %w", err)
	}
	return storeStorage{s}, nil
}

func (l lazyStorage) WriteAtomic(ctx context.Context, p string, data []byte) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.WriteAtomic(ctx, p, data)
}

func (l lazyStorage) Read(ctx context.Context, p string) ([]byte, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.Read(ctx, p)
}

func (l lazyStorage) RemoveAll(ctx context.Context, p string) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.RemoveAll(ctx, p)
}

// storageWorker runs checkpoint storage actions one at a time, in the
// order the core emitted them (a deletion of a job's folder comes after
// the writes into it).
type storageWorker struct {
	jm *JobManager

	mu    sync.Mutex
	queue []Action
	wake  chan struct{}
}

func (w *storageWorker) add(a Action) {
	w.mu.Lock()
	w.queue = append(w.queue, a)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// drainTimeout bounds the storage work left when the JobManager stops: a
// per-job cluster stops right after its job ended, and the deletion of the
// job's checkpoints (or a last _metadata write) must still happen.
const drainTimeout = 30 * time.Second

// run works until ctx ends, then finishes what is queued within
// drainTimeout; what is left after that stays on the storage (a later
// run's CheckpointRestored finds it).
func (w *storageWorker) run(ctx context.Context, st CheckpointStorage) {
	for {
		q := w.take()
		for i, a := range q {
			if ctx.Err() != nil {
				w.requeue(q[i:]...) // for the drain below
				break
			}
			w.doUncut(ctx, st, a)
		}
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
			defer cancel()
			for _, a := range w.take() {
				if dctx.Err() != nil {
					w.jm.log.Warn().Err(dctx.Err()).Msg("checkpoint storage work left undone at shutdown")
					return
				}
				w.do(dctx, st, a)
			}
			return
		case <-w.wake:
		}
	}
}

func (w *storageWorker) take() []Action {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue = nil
	return q
}

// requeue puts actions back in front of the queue.
func (w *storageWorker) requeue(a ...Action) {
	w.mu.Lock()
	w.queue = append(a, w.queue...)
	w.mu.Unlock()
}

// doUncut does a without letting the JobManager's stop (ctx ending) cut
// it short: a per-job cluster stops right after its job ended, maybe while
// the deletion of a subsumed checkpoint is under way, which must not be
// left half done. From the stop on, a gets drainTimeout.
func (w *storageWorker) doUncut(ctx context.Context, st CheckpointStorage, a Action) {
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(drainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-actx.Done():
		}
	})
	defer stop()
	w.do(actx, st, a)
}

func (w *storageWorker) do(ctx context.Context, st CheckpointStorage, a Action) {
	log := w.jm.log
	switch a := a.(type) {
	case WriteCheckpointMetadata:
		ev := CheckpointMetadataWritten{ID: a.ID}
		if err := st.WriteAtomic(ctx, a.Path, EncodeCheckpointMetadata(a.Metadata)); err != nil {
			ev.Err = fmt.Sprintf("write %s: %v", a.Path, err)
			log.Warn().Str("job", a.Job).Int64("checkpoint", a.ID).Err(err).Msg("checkpoint metadata")
		} else if err := w.jm.recordCheckpoint(ctx, a); err != nil {
			// Not in the job store: a new attempt would not restore it,
			// so it must not complete (nor be notified).
			ev.Err = err.Error()
			log.Warn().Str("job", a.Job).Int64("checkpoint", a.ID).Err(err).Msg("checkpoint not recorded")
		}
		w.jm.post(CheckpointReport{Job: a.Job, Event: ev})
	case DeleteCheckpointFiles:
		var ev CheckpointFilesDeleted
		for _, p := range a.Paths {
			if err := st.RemoveAll(ctx, p); err != nil {
				log.Warn().Str("job", a.Job).Str("path", p).Err(err).Msg("delete checkpoint files")
				ev.Failed = append(ev.Failed, p)
				continue
			}
			ev.Paths = append(ev.Paths, p)
		}
		w.jm.post(CheckpointReport{Job: a.Job, Event: ev})
	case recordJobEnd:
		// Not cut short by the JobManager's stop: a per-job cluster stops
		// right after its job ended, and a later attempt must not run the
		// job again.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainTimeout)
		defer cancel()
		if err := w.jm.opts.Recorder.JobEnded(rctx, a.st); err != nil {
			log.Warn().Str("job", a.st.ID).Str("state", string(a.st.State)).Err(err).Msg("final state not recorded in the job store")
		}
	}
}

// sendCheckpoint carries a SendTrigger or SendNotify to its TaskManager.
// A TaskManager that is gone or cannot take it is left to the coordinator:
// the checkpoint times out, or the failover that follows the loss aborts it.
func (jm *JobManager) sendCheckpoint(tm string, send func(CheckpointGateway) error) {
	jm.mu.Lock()
	gw := jm.tms[tm]
	jm.mu.Unlock()
	cg, ok := gw.(CheckpointGateway)
	if !ok {
		jm.log.Debug().Str("tm", tm).Msg("no checkpoint gateway for TaskManager; message dropped")
		return
	}
	if err := send(cg); err != nil {
		jm.log.Warn().Str("tm", tm).Err(err).Msg("checkpoint message")
	}
}

// AcknowledgeCheckpoint records a subtask's acknowledgement of a checkpoint.
func (jm *JobManager) AcknowledgeCheckpoint(a api.AcknowledgeCheckpoint) {
	jm.post(CheckpointReport{Job: a.Job, Event: AcknowledgedEvent(a)})
}

// DeclineCheckpoint records a subtask's refusal of a checkpoint.
func (jm *JobManager) DeclineCheckpoint(d api.DeclineCheckpoint) {
	jm.post(CheckpointReport{Job: d.Job, Event: CheckpointDeclined{ID: d.Checkpoint,
		Task: CheckpointTask{Vertex: d.Vertex, Subtask: d.Subtask}, Reason: d.Cause}})
}

// CheckpointStats returns a job's checkpoint figures as of the last event
// batch; false when the job is unknown or recovered as ended.
func (jm *JobManager) CheckpointStats(id string) (CheckpointStats, bool) {
	jm.mu.Lock()
	defer jm.mu.Unlock()
	st, ok := jm.ckptStats[id]
	return st, ok
}
