package hdfsstore

import (
	"context"
	"io"
	"time"

	hdfs "github.com/colinmarc/hdfs/v2"
)

// stream ties an open file to the context it was opened with.
type stream struct {
	b    *hdfsFS
	c    *hdfs.Client
	l    location
	ctx  context.Context
	op   string
	stop func() bool
}

func (s *stream) start() {
	s.stop = context.AfterFunc(s.ctx, func() { s.b.abort(s.c) })
}

// do runs one step of the stream and maps its error, attributing an
// exception the NameNode reported during the step.
func (s *stream) do(f func() (int, error)) (int, error) {
	mark := s.b.remote.mark()
	n, err := f()
	if err == nil || err == io.EOF {
		return n, err
	}
	return n, s.b.mapErr(s.ctx, s.c, s.op, s.l, err, mark)
}

type reader struct {
	*stream
	r *hdfs.FileReader
}

func (r *reader) Read(p []byte) (int, error) { return r.do(func() (int, error) { return r.r.Read(p) }) }

// Seek moves the read position; colinmarc drops its block reader and opens
// the block holding the new position on the next Read, so nothing before
// it is fetched.
func (r *reader) Seek(offset int64, whence int) (int64, error) {
	var pos int64
	_, err := r.do(func() (int, error) {
		var err error
		pos, err = r.r.Seek(offset, whence)
		return 0, err
	})
	return pos, err
}

// ReadAt reads len(p) bytes at off without moving the read position.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	return r.do(func() (int, error) { return r.r.ReadAt(p, off) })
}

func (r *reader) Close() error {
	r.stop()
	_, err := r.do(func() (int, error) { return 0, r.r.Close() })
	return err
}

type writer struct {
	*stream
	w      *hdfs.FileWriter
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	return w.do(func() (int, error) {
		if err := w.ctx.Err(); err != nil {
			return 0, err
		}
		return w.w.Write(p)
	})
}

// Close flushes the last block and completes the file, retrying with
// backoff while the NameNode waits for the DataNodes to report the block
// (colinmarc's ErrReplicating), within the stream's context.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.stop()
	backoff := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		_, err := w.do(func() (int, error) { return 0, w.w.Close() })
		if err == nil || !hdfs.IsErrReplicating(err) || attempt >= 12 {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-w.ctx.Done():
			t.Stop()
			_, err := w.do(func() (int, error) { return 0, w.ctx.Err() })
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}
