package jobstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/floe-yarn/floe/hdfsstore"
)

// ErrFenced is returned by every write (and by Open) of an attempt that is
// no longer the newest: a later attempt took the store over.
var ErrFenced = errors.New("job store: a later application attempt took over")

// FS is the part of hdfsstore.Store the job store uses.
type FS interface {
	CreateAtomic(ctx context.Context, p string, perm fs.FileMode) (*hdfsstore.AtomicFile, error)
	Open(ctx context.Context, p string) (hdfsstore.File, error)
	List(ctx context.Context, dir string) ([]hdfsstore.FileInfo, error)
	MkdirAll(ctx context.Context, p string, perm fs.FileMode) error
	RemoveAll(ctx context.Context, p string) error
}

const (
	readyFile      = "_ready"
	attemptPrefix  = "attempt-"
	extJob         = ".job"
	extCheckpoint  = ".checkpoint"
	extFinal       = ".final"
	recordsVersion = 1
)

// Store is one attempt's handle on the job store.
type Store struct {
	fs      FS
	root    string
	attempt int
	dir     string

	mu sync.Mutex // one write at a time: CreateAtomic's hidden names are per file
}

// State is what Open found: the jobs former attempts recorded, in
// submission order, and the attempt they were read from (0: none, the
// first attempt).
type State struct {
	From int
	Jobs []Job
}

// Job is everything recorded about one job.
type Job struct {
	Submission JobRecord
	// Checkpoint is the latest completed checkpoint (nil: none).
	Checkpoint *CheckpointRecord
	// Final is set once the job ended.
	Final *FinalRecord
}

// Open takes the store at root over for attempt (see the package doc):
// it creates attempt-<attempt>, reads the newest complete former attempt's
// records, copies them and marks the takeover complete. It fails with
// ErrFenced when a later attempt already exists.
//
// address is the new attempt's JobManager address, written to _ready for
// the TaskManagers of former attempts to find (Leader).
func Open(ctx context.Context, fsys FS, root string, attempt int, address string) (*Store, State, error) {
	if attempt <= 0 {
		return nil, State{}, fmt.Errorf("job store %s: attempt %d: want a positive attempt number", root, attempt)
	}
	root = strings.TrimSuffix(root, "/")
	s := &Store{fs: fsys, root: root, attempt: attempt, dir: root + "/" + attemptPrefix + strconv.Itoa(attempt)}
	if err := fsys.MkdirAll(ctx, s.dir, 0o700); err != nil {
		return nil, State{}, fmt.Errorf("job store: take over %s: %w", s.dir, err)
	}
	attempts, err := s.attempts(ctx)
	if err != nil {
		return nil, State{}, err
	}
	var st State
	for i := len(attempts) - 1; i >= 0; i-- {
		k := attempts[i]
		if k > attempt {
			return nil, State{}, fmt.Errorf("%w: attempt %d exists, this is attempt %d", ErrFenced, k, attempt)
		}
		if k == attempt || st.From != 0 {
			continue
		}
		jobs, ok, err := s.readAttempt(ctx, k)
		if err != nil {
			return nil, State{}, err
		}
		if ok {
			st.From, st.Jobs = k, jobs
		}
	}
	for _, j := range st.Jobs {
		if err := s.write(ctx, j.Submission.ID+extJob, j.Submission); err != nil {
			return nil, State{}, err
		}
		if j.Checkpoint != nil {
			if err := s.write(ctx, j.Submission.ID+extCheckpoint, j.Checkpoint); err != nil {
				return nil, State{}, err
			}
		}
		if j.Final != nil {
			if err := s.write(ctx, j.Submission.ID+extFinal, j.Final); err != nil {
				return nil, State{}, err
			}
		}
	}
	if err := s.write(ctx, readyFile, readyRecord{Version: recordsVersion, Attempt: attempt, From: st.From, Address: address}); err != nil {
		return nil, State{}, err
	}
	// The former attempts' folders are read no more.
	for _, k := range attempts {
		if k < attempt {
			_ = fsys.RemoveAll(ctx, root+"/"+attemptPrefix+strconv.Itoa(k)) // best effort: a leftover is never read again
		}
	}
	return s, st, nil
}

// Attempt is the attempt this handle writes as.
func (s *Store) Attempt() int { return s.attempt }

// Dir is this attempt's folder.
func (s *Store) Dir() string { return s.dir }

type readyRecord struct {
	Version int    `json:"version"`
	Attempt int    `json:"attempt"`
	From    int    `json:"from,omitempty"`
	Address string `json:"address,omitempty"`
}

// attempts lists the attempt numbers under the root, ascending.
func (s *Store) attempts(ctx context.Context) ([]int, error) {
	fis, err := s.fs.List(ctx, s.root)
	if err != nil {
		return nil, fmt.Errorf("job store: list %s: %w", s.root, err)
	}
	var out []int
	for _, fi := range fis {
		n, err := strconv.Atoi(strings.TrimPrefix(path.Base(fi.Path), attemptPrefix))
		if fi.IsDir && strings.HasPrefix(path.Base(fi.Path), attemptPrefix) && err == nil && n > 0 {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}

// checkFence fails with ErrFenced when a later attempt exists.
func (s *Store) checkFence(ctx context.Context) error {
	as, err := s.attempts(ctx)
	if err != nil {
		return err
	}
	switch {
	case len(as) == 0:
		return fmt.Errorf("%w: %s holds no attempt folder any more (the application ended?)", ErrFenced, s.root)
	case as[len(as)-1] > s.attempt:
		return fmt.Errorf("%w: attempt %d exists, this is attempt %d", ErrFenced, as[len(as)-1], s.attempt)
	}
	return nil
}

// readAttempt reads attempt k's records; ok is false when its takeover
// never completed (no _ready).
func (s *Store) readAttempt(ctx context.Context, k int) ([]Job, bool, error) {
	dir := s.root + "/" + attemptPrefix + strconv.Itoa(k)
	fis, err := s.fs.List(ctx, dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("job store: list %s: %w", dir, err)
	}
	ready := false
	byID := map[string]*Job{}
	get := func(id string) *Job {
		if byID[id] == nil {
			byID[id] = &Job{}
		}
		return byID[id]
	}
	for _, fi := range fis {
		name := path.Base(fi.Path)
		if fi.IsDir || strings.HasPrefix(name, ".") {
			continue // in-progress writes
		}
		var dst any
		switch ext := path.Ext(name); {
		case name == readyFile:
			ready = true
			continue
		case ext == extJob:
			dst = &get(strings.TrimSuffix(name, ext)).Submission
		case ext == extCheckpoint:
			j := get(strings.TrimSuffix(name, ext))
			j.Checkpoint = &CheckpointRecord{}
			dst = j.Checkpoint
		case ext == extFinal:
			j := get(strings.TrimSuffix(name, ext))
			j.Final = &FinalRecord{}
			dst = j.Final
		default:
			continue
		}
		if err := s.read(ctx, dir+"/"+name, dst); err != nil {
			return nil, false, err
		}
	}
	if !ready {
		return nil, false, nil
	}
	var jobs []Job
	for id, j := range byID {
		if j.Submission.ID != id {
			return nil, false, fmt.Errorf("job store: %s holds records of job %s but not its submission (%s%s)", dir, id, id, extJob)
		}
		jobs = append(jobs, *j)
	}
	sort.Slice(jobs, func(a, b int) bool {
		x, y := jobs[a].Submission, jobs[b].Submission
		if x.Seq != y.Seq {
			return x.Seq < y.Seq
		}
		return x.ID < y.ID
	})
	return jobs, true, nil
}

func (s *Store) read(ctx context.Context, p string, dst any) error {
	f, err := s.fs.Open(ctx, p)
	if err != nil {
		return fmt.Errorf("job store: read %s: %w", p, err)
	}
	defer func() { _ = f.Close() }() // read-only
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("job store: read %s: %w", p, err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("job store: %s: %w", p, err)
	}
	return nil
}

// write stores v as dir/name atomically, then checks the fence.
func (s *Store) write(ctx context.Context, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("job store: encode %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.dir + "/" + name
	f, err := s.fs.CreateAtomic(ctx, p, 0o600)
	if err != nil {
		return fmt.Errorf("job store: write %s: %w", p, err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close() // discards the hidden file
		return fmt.Errorf("job store: write %s: %w", p, err)
	}
	if err := f.Commit(ctx); err != nil {
		return fmt.Errorf("job store: write %s: %w", p, err)
	}
	return s.checkFence(ctx)
}
