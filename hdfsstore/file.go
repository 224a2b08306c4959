package hdfsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// File is a file open for reading. Seek and ReadAt go to an offset without
// reading the bytes before it, so a reader of one byte range of a large
// file (a split of a source, a state handle inside a checkpoint file)
// fetches only that range.
type File interface {
	io.ReadSeekCloser
	io.ReaderAt
}

// AtomicFile is a file being written that appears at its path, complete,
// only when Commit succeeds: the bytes go to a hidden sibling
// (.<name>.inprogress) that Commit renames onto the path, replacing a file
// there. A reader therefore sees the old file or the whole new one, never a
// part. Close without Commit removes the hidden file, so
//
//	f, err := s.CreateAtomic(ctx, p, 0o644)
//	defer f.Close()
//	… write …
//	return f.Commit(ctx)
//
// leaves nothing behind on any error.
type AtomicFile struct {
	s      *Store
	ctx    context.Context
	tmp    string
	path   string
	w      io.WriteCloser
	closed bool // w is closed
	done   bool // committed or discarded
}

// InProgressName returns the hidden name CreateAtomic writes name under
// until Commit.
func InProgressName(name string) string { return "." + name + ".inprogress" }

// CreateAtomic starts writing a file that appears at path on Commit, with
// exactly the permission bits perm. A hidden file left by an earlier writer
// that never committed is replaced. ctx bounds the stream until Commit or
// Close.
func (s *Store) CreateAtomic(ctx context.Context, p string, perm fs.FileMode) (*AtomicFile, error) {
	l, err := s.resolver.resolve("create", p)
	if err != nil {
		return nil, err
	}
	dir, name := path.Split(l.path)
	if name == "" || strings.HasSuffix(p, "/") {
		return nil, &fs.PathError{Op: "create", Path: l.String(), Err: fmt.Errorf("%w: no file name", fs.ErrInvalid)}
	}
	tmpLoc := l
	tmpLoc.path = path.Join(dir, InProgressName(name))
	tmp := tmpLoc.String()
	if err := s.RemoveAll(ctx, tmp); err != nil {
		return nil, err
	}
	w, err := s.Create(ctx, tmp, perm)
	if err != nil {
		return nil, err
	}
	return &AtomicFile{s: s, ctx: ctx, tmp: tmp, path: l.String(), w: w}, nil
}

// Write appends p to the hidden file.
func (f *AtomicFile) Write(p []byte) (int, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "write", Path: f.tmp, Err: fs.ErrClosed}
	}
	return f.w.Write(p)
}

// Commit makes the written bytes durable and renames them onto the path.
func (f *AtomicFile) Commit(ctx context.Context) error {
	if f.done {
		return &fs.PathError{Op: "commit", Path: f.path, Err: fs.ErrClosed}
	}
	f.closed = true
	if err := f.w.Close(); err != nil {
		return f.discardAfter(err)
	}
	if err := f.s.Rename(ctx, f.tmp, f.path); err != nil {
		return f.discardAfter(err)
	}
	f.done = true
	return nil
}

// Close discards the file unless it was committed; it is safe to call
// after Commit and more than once.
func (f *AtomicFile) Close() error {
	if f.done {
		return nil
	}
	return f.discard()
}

// discardAfter discards the file after a failed commit step: err stays the
// error returned; a failed removal joins it, as the hidden file is left behind.
func (f *AtomicFile) discardAfter(err error) error {
	if derr := f.discard(); derr != nil {
		return errors.Join(err, derr)
	}
	return err
}

func (f *AtomicFile) discard() error {
	f.done = true
	var errs []error
	if !f.closed {
		f.closed = true
		errs = append(errs, f.w.Close())
	}
	// Remove under a fresh bound: the stream's ctx may be what ended.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), f.s.opts.CallTimeout)
	defer cancel()
	errs = append(errs, f.s.RemoveAll(ctx, f.tmp))
	return errors.Join(errs...)
}
