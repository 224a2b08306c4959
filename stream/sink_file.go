package stream

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/hdfsstore"
)

// FileSinkOptions tune the exactly-once file sink (FileSink, WriteText).
type FileSinkOptions struct {
	// Overwrite replaces the visible files another run left in the output
	// folder (Flink's overwrite write mode). Without it such a folder is
	// refused, unless the sink resumes its own state.
	Overwrite bool
	// RollSize closes a part file once it holds this many bytes
	// (default 128 MiB).
	RollSize int64
	// RollInterval closes a part file this long after it was opened
	// (default 60 s; negative: never by time).
	RollInterval time.Duration
	// CommitOnRoll commits a part file as soon as it rolls (a savepoint's
	// barrier rolls it too), for a job without periodic checkpoints: its
	// output is then at-least-once (a restarted job writes it again).
	// With checkpointing a part file is committed only when the
	// checkpoint after it completes. FileSink sets it from the job.
	CommitOnRoll bool
}

func (o *FileSinkOptions) defaults() {
	if o.RollSize <= 0 {
		o.RollSize = 128 << 20
	}
	if o.RollInterval == 0 {
		o.RollInterval = 60 * time.Second
	}
}

// FileWriterOptions configure one subtask's FileWriter.
type FileWriterOptions[T any] struct {
	FileSinkOptions
	// Store and Dir are where the part files go.
	Store *hdfsstore.Store
	Dir   string
	// Job is the job's id: every subtask of a run derives the same run
	// id from it, so each can tell the run's files from others'. Empty
	// means a random run id.
	Job     string
	Attempt int
	Subtask int
	// Now is the clock of time-based rolling (default time.Now).
	Now func() time.Time
	// Format appends a record's line, without the newline (default
	// appendText).
	Format func(b []byte, v T) []byte
}

// FileWriter is the exactly-once file sink's TwoPhaseCommitWriter, modelled
// on Flink's FileSink. Records go as lines to a part file written under a
// hidden name (.part-<uid>-<subtask>-<counter>.inprogress); a part file
// rolls (closes) by size, by time and at every checkpoint barrier, and is
// then pending: still hidden, named in the checkpoint. Commit renames a
// pending file to its visible name part-<uid>-<subtask>-<counter>.
//
// The uid is the run id (8 hex digits from the job id, the same in every
// subtask, so each tells the run's files from another run's), a random
// nonce (8 hex digits, so no two writers ever pick the same name and a
// resumed run never overwrites a committed file) and the attempt.
type FileWriter[T any] struct {
	o       FileWriterOptions[T]
	run     string
	uid     string
	counter int64

	cur     *partFile
	rolled  []string // closed, not yet pre-committed
	line    []byte
	started bool
}

// partFile is the open in-progress part file.
type partFile struct {
	name   string // the visible name
	w      io.WriteCloser
	bw     *bufio.Writer
	size   int64
	opened time.Time
}

// NewFileWriter returns the writer of one subtask; call Begin or
// RecoverCommit before writing.
func NewFileWriter[T any](opts FileWriterOptions[T]) (*FileWriter[T], error) {
	if opts.Store == nil || opts.Dir == "" {
		return nil, fmt.Errorf("file sink: no store or folder")
	}
	opts.defaults()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Format == nil {
		opts.Format = appendText[T]
	}
	opts.Dir = strings.TrimSuffix(opts.Dir, "/")
	run, err := runID(opts.Job)
	if err != nil {
		return nil, err
	}
	nonce, err := randomHex()
	if err != nil {
		return nil, err
	}
	return &FileWriter[T]{o: opts, run: run, uid: run + nonce + strconv.Itoa(opts.Attempt)}, nil
}

// runID hashes a job id to 8 hex digits, or draws them at random.
func runID(job string) (string, error) {
	if job == "" {
		return randomHex()
	}
	h := fnv.New32a()
	h.Write([]byte(job))
	return fmt.Sprintf("%08x", h.Sum32()), nil
}

func randomHex() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("file sink: random id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// partName is a parsed part file name.
type partName struct {
	uid     string
	subtask int
	counter int64
	hidden  bool
}

func (p partName) run() string { return p.uid[:8] }

func (p partName) attempt() int { a, _ := strconv.Atoi(p.uid[16:]); return a }

func (p partName) visible() string {
	return "part-" + p.uid + "-" + strconv.Itoa(p.subtask) + "-" + strconv.FormatInt(p.counter, 10)
}

// parsePart parses part-<uid>-<subtask>-<counter> and its hidden form.
func parsePart(name string) (partName, bool) {
	var p partName
	if s, ok := strings.CutPrefix(name, "."); ok {
		if name, ok = strings.CutSuffix(s, ".inprogress"); !ok {
			return p, false
		}
		p.hidden = true
	}
	rest, ok := strings.CutPrefix(name, "part-")
	f := strings.Split(rest, "-")
	if !ok || len(f) != 3 || len(f[0]) < 17 {
		return p, false
	}
	if _, err := strconv.Atoi(f[0][16:]); err != nil {
		return p, false
	}
	sub, err1 := strconv.Atoi(f[1])
	c, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || sub < 0 || c < 0 {
		return p, false
	}
	p.uid, p.subtask, p.counter = f[0], sub, c
	return p, true
}

func (w *FileWriter[T]) path(name string) string { return w.o.Dir + "/" + name }

func (w *FileWriter[T]) hiddenPath(visible string) string {
	return w.path(hdfsstore.InProgressName(visible))
}

// list returns the names in the output folder (none when it is missing).
func (w *FileWriter[T]) list(ctx context.Context) ([]string, error) {
	infos, err := w.o.Store.List(ctx, w.o.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("file sink: list %s: %w", w.o.Dir, err)
	}
	var names []string
	for _, fi := range infos {
		if !fi.IsDir {
			names = append(names, fi.Path[strings.LastIndex(fi.Path, "/")+1:])
		}
	}
	return names, nil
}

func (w *FileWriter[T]) remove(ctx context.Context, name string) error {
	if err := w.o.Store.RemoveAll(ctx, w.path(name)); err != nil {
		return fmt.Errorf("file sink: remove %s: %w", w.path(name), err)
	}
	return nil
}

// Write appends v as a line to the in-progress part file, opening one
// first and rolling it by time and size.
func (w *FileWriter[T]) Write(ctx context.Context, v T) error {
	if !w.started {
		return fmt.Errorf("file sink %s: write before Begin or RecoverCommit", w.o.Dir)
	}
	if err := w.OnTime(ctx, w.o.Now()); err != nil {
		return err
	}
	if w.cur == nil {
		if err := w.open(ctx); err != nil {
			return err
		}
	}
	w.line = append(w.o.Format(w.line[:0], v), '\n')
	if _, err := w.cur.bw.Write(w.line); err != nil {
		return fmt.Errorf("file sink: write %s: %w", w.hiddenPath(w.cur.name), err)
	}
	w.cur.size += int64(len(w.line))
	if w.cur.size >= w.o.RollSize {
		return w.roll(ctx)
	}
	return nil
}

// OnTime rolls the in-progress part file when it is older than
// RollInterval at now. Write calls it; a runtime may call it on a timer
// so that an idle sink's file rolls too.
func (w *FileWriter[T]) OnTime(ctx context.Context, now time.Time) error {
	if w.cur != nil && w.o.RollInterval > 0 && now.Sub(w.cur.opened) >= w.o.RollInterval {
		return w.roll(ctx)
	}
	return nil
}

func (w *FileWriter[T]) open(ctx context.Context) error {
	name := partName{uid: w.uid, subtask: w.o.Subtask, counter: w.counter}.visible()
	w.counter++
	f, err := w.o.Store.Create(ctx, w.hiddenPath(name), 0o644)
	if err != nil {
		return fmt.Errorf("file sink: create %s: %w", w.hiddenPath(name), err)
	}
	w.cur = &partFile{name: name, w: f, bw: bufio.NewWriterSize(f, 256<<10), opened: w.o.Now()}
	return nil
}

// roll closes the in-progress part file: it becomes pending, or is
// committed at once under CommitOnRoll.
func (w *FileWriter[T]) roll(ctx context.Context) error {
	p := w.cur
	if p == nil {
		return nil
	}
	w.cur = nil
	if err := errors.Join(p.bw.Flush(), p.w.Close()); err != nil {
		return fmt.Errorf("file sink: close %s: %w", w.hiddenPath(p.name), err)
	}
	if w.o.CommitOnRoll {
		return w.Commit(ctx, []Committable{Committable(p.name)})
	}
	w.rolled = append(w.rolled, p.name)
	return nil
}

// PreCommit rolls the in-progress part file and returns every pending
// file not yet handed to a checkpoint.
func (w *FileWriter[T]) PreCommit(ctx context.Context, _ int64) ([]Committable, error) {
	if err := w.roll(ctx); err != nil {
		return nil, err
	}
	cs := make([]Committable, len(w.rolled))
	for i, n := range w.rolled {
		cs[i] = Committable(n)
	}
	w.rolled = nil
	return cs, nil
}

// State is the writer's uid, subtask and next part counter:
//
//	+---------+-----------+---------+---------+
//	| version | uid (str) | subtask | counter |
//	+---------+-----------+---------+---------+
//
// A restored writer discards the hidden files of that uid and subtask
// numbered from counter on: they were written after the checkpoint.
func (w *FileWriter[T]) State() ([]byte, error) {
	return newSplitCodec().str(w.uid).uint(uint64(w.o.Subtask)).uint(uint64(w.counter)).b, nil
}

// Abort closes and removes the in-progress part file and the pending
// files no checkpoint holds; files named in a checkpoint stay for its
// restore to commit.
func (w *FileWriter[T]) Abort(ctx context.Context) error {
	var errs []error
	if p := w.cur; p != nil {
		w.cur = nil
		errs = append(errs, p.w.Close(), w.remove(ctx, hdfsstore.InProgressName(p.name)))
	}
	for _, n := range w.rolled {
		errs = append(errs, w.remove(ctx, hdfsstore.InProgressName(n)))
	}
	w.rolled = nil
	return errors.Join(errs...)
}
