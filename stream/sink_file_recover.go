package stream

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Begin starts a writer that restores no state. The output folder must
// not hold visible files of another run: they would mix with this run's
// output (the counts of two runs read back doubled). With Overwrite they
// are removed instead. This subtask's own files from an earlier run of
// the same job (an attempt restarted from the beginning, or the same job
// run again) are removed too, since it writes them again.
func (w *FileWriter[T]) Begin(ctx context.Context) error {
	names, err := w.list(ctx)
	if err != nil {
		return err
	}
	var foreign []string
	for _, n := range names {
		p, ok := parsePart(n)
		switch {
		case ok && p.run() == w.run:
			if p.subtask == w.o.Subtask {
				if err := w.remove(ctx, n); err != nil {
					return err
				}
			}
		case strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_"):
			// Hidden: another writer's in-progress file, or a marker.
		default:
			foreign = append(foreign, n)
		}
	}
	if len(foreign) > 0 && !w.o.Overwrite {
		shown := foreign[:min(len(foreign), 3)]
		more := ""
		if len(foreign) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(foreign)-len(shown))
		}
		plural := "s"
		if len(foreign) == 1 {
			plural = ""
		}
		return fmt.Errorf("file sink: output folder %s already holds %d file%s of another run (%s%s): "+
			"resume this job from a checkpoint or savepoint of this sink, write to an empty folder, "+
			"or set the sink's overwrite write mode (FileSinkOptions.Overwrite) to replace them",
			w.o.Dir, len(foreign), plural, strings.Join(shown, ", "), more)
	}
	for _, n := range foreign {
		if err := w.remove(ctx, n); err != nil {
			return err
		}
	}
	if err := w.o.Store.MkdirAll(ctx, w.o.Dir, 0o755); err != nil {
		return fmt.Errorf("file sink: make %s: %w", w.o.Dir, err)
	}
	w.started = true
	return nil
}

// restoredWriter is one decoded FileWriter.State.
type restoredWriter struct {
	uid     string
	subtask int
	counter int64
}

// decodeWriterState reads what FileWriter.State wrote.
func decodeWriterState(b []byte) (restoredWriter, error) {
	d := newSplitDecoder("file sink", b)
	r := restoredWriter{uid: d.str(), subtask: int(d.uint()), counter: int64(d.uint())}
	if err := d.done(); err != nil {
		return r, err
	}
	if r.subtask < 0 || r.counter < 0 {
		return r, fmt.Errorf("file sink state: subtask %d, counter %d", r.subtask, r.counter)
	}
	if p, ok := parsePart(partName{uid: r.uid, subtask: r.subtask, counter: r.counter}.visible()); !ok || p.uid != r.uid {
		return r, fmt.Errorf("file sink state: bad uid %q", r.uid)
	}
	return r, nil
}

// RecoverCommit restores the writer from the states of a checkpoint (any
// number, after a rescale): it commits the checkpoint's pending files and
// removes the hidden files written after it — those of each restored uid
// and subtask numbered from its counter on, and those of attempts that ran
// after the checkpoint was taken and failed. In a failover (the
// checkpoint is this job's own, from an earlier attempt; not a resume
// from a savepoint, whose later output stays, as in Flink) it also removes
// the visible files the checkpoint's own writers committed after it
// (committedAfter): a subtask that reached the end of its input committed
// its files then, with no checkpoint after them, and the replay from the
// checkpoint writes them again (without this, a failure of another
// subtask after that commit duplicated them). The folder is not checked
// for other runs' files: the job resumes its own output.
func (w *FileWriter[T]) RecoverCommit(ctx context.Context, states [][]byte, pending []Committable) error {
	var rs []restoredWriter
	for i, b := range states {
		r, err := decodeWriterState(b)
		if err != nil {
			return fmt.Errorf("file sink %s: restored state %d: %w", w.o.Dir, i, err)
		}
		rs = append(rs, r)
		w.counter = max(w.counter, r.counter)
	}
	if err := w.Commit(ctx, pending); err != nil {
		return fmt.Errorf("file sink: recommit restored pending files: %w", err)
	}
	if len(rs) > 0 {
		names, err := w.list(ctx)
		if err != nil {
			return err
		}
		ck := partName{uid: rs[0].uid}
		failover := ck.run() == w.run && w.o.Attempt > ck.attempt()
		for _, n := range names {
			p, ok := parsePart(n)
			if ok && (p.hidden && w.writtenAfter(p, rs) || failover && committedAfter(p, rs)) {
				if err := w.remove(ctx, n); err != nil {
					return err
				}
			}
		}
	}
	if err := w.o.Store.MkdirAll(ctx, w.o.Dir, 0o755); err != nil {
		return fmt.Errorf("file sink: make %s: %w", w.o.Dir, err)
	}
	w.started = true
	return nil
}

// committedAfter tells whether visible part p was written after the
// checkpoint the states rs come from by the very writer that took it (its
// uid, unique per writer instance, and subtask, numbered from its restored
// counter on): committed at the end of its input, or as it rolled in a job
// without periodic checkpoints. A visible file of any other writer is
// never removed: a JobManager's attempts restart from 0 after an
// ApplicationMaster failover, so the attempt numbers of other writers do
// not tell whether they wrote before or after the checkpoint.
func committedAfter(p partName, rs []restoredWriter) bool {
	for _, r := range rs {
		if p.uid == r.uid && p.subtask == r.subtask {
			return p.counter >= r.counter
		}
	}
	return false
}

// writtenAfter tells whether hidden part p was written after the
// checkpoint the states rs come from. Every writer of one checkpoint had
// the same uid (a job restarts all subtasks together).
func (w *FileWriter[T]) writtenAfter(p partName, rs []restoredWriter) bool {
	for _, r := range rs {
		if p.uid == r.uid {
			if p.subtask == r.subtask {
				return p.counter >= r.counter
			}
			return false // another subtask's state: its holder decides
		}
	}
	if p.run() == w.run && p.attempt() == w.o.Attempt {
		return false // this attempt's files (or, the job id reused, ones it cannot tell from them)
	}
	ck := partName{uid: rs[0].uid}
	switch p.run() {
	case ck.run(): // a later attempt of the checkpoint's run that failed
		return p.attempt() > ck.attempt()
	case w.run: // an earlier attempt of this run that failed
		return p.attempt() < w.o.Attempt
	}
	return false
}

// Commit renames pending files to their visible names. A file already
// committed (its hidden name gone, its visible name there) is skipped, so
// committing again after a restore is harmless.
func (w *FileWriter[T]) Commit(ctx context.Context, cs []Committable) error {
	for _, c := range cs {
		p, ok := parsePart(string(c))
		if !ok || p.hidden {
			return fmt.Errorf("file sink %s: bad committable %q", w.o.Dir, c)
		}
		name := p.visible()
		err := w.o.Store.Rename(ctx, w.hiddenPath(name), w.path(name))
		if err == nil {
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("file sink: commit %s: %w", w.path(name), err)
		}
		if _, serr := w.o.Store.Stat(ctx, w.path(name)); serr != nil {
			return fmt.Errorf("file sink: commit %s: pending file lost (%w), and no committed file: %v", w.path(name), err, serr)
		}
	}
	return nil
}
