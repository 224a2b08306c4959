package stream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/floe-yarn/floe/hdfsstore"
)

// ReadTextFile is a bounded source of the lines of a file, or of every
// visible file in a folder (local path, file:// or hdfs://). Each file is
// split into byte ranges, one per parallel reader; a line belongs to the
// split whose range holds its first byte. A split's position is the byte
// offset of its next line, so the source resumes from a checkpoint.
func ReadTextFile(env *Environment, path string) Stream[string] {
	if err := checkPath(path); err != nil {
		env.fail(fmt.Errorf("ReadTextFile: %w", err))
	}
	return addSplitSource(env, "textfile", "TextFile "+path, Source[string](&textFileSource{path: path}))
}

// TextFileSource is ReadTextFile's Source, for jobs that wrap its reader
// (to limit its rate, to parse with positions: its readers implement
// LinePositioner) and add it with FromSource.
func TextFileSource(path string) Source[string] { return &textFileSource{path: path} }

// LinePositioner is implemented by TextFileSource's readers.
type LinePositioner interface {
	// LastLine is the file and byte offset of the line Next returned last.
	LastLine() (path string, offset int64)
}

// textFileSource is the Source of ReadTextFile.
type textFileSource struct{ path string }

func (s *textFileSource) Info() SourceInfo { return SourceInfo{Bounded: true, Replayable: true} }

// Splits cuts every file into parallelism byte ranges (empty ones left out).
func (s *textFileSource) Splits(ctx context.Context, parallelism int) ([]SplitState, error) {
	store, p, err := openStore(ctx, s.path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.path, err)
	}
	defer func() { _ = store.Close() }() // only listed and read
	files, err := listFiles(ctx, store, p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.path, err)
	}
	var out []SplitState
	for _, f := range files {
		out = append(out, fileSplits(f.Path, f.Size, parallelism)...)
	}
	return out, nil
}

// fileSplits cuts a file of size bytes into n ranges, in order.
func fileSplits(path string, size int64, n int) []SplitState {
	var out []SplitState
	per := (size + int64(n) - 1) / int64(n)
	for i := 0; i < n; i++ {
		start := per * int64(i)
		end := min(start+per, size)
		if start >= end {
			continue
		}
		out = append(out, fileSplit{path: path, start: start, end: end}.state())
	}
	return out
}

func (s *textFileSource) Reader(_ context.Context, _ ReaderContext) (SplitReader[string], error) {
	return &textFileReader{root: s.path}, nil
}

// fileSplit is the byte range [start, end) of a file and the offset of
// the next line to read in it. Until aligned, next is the start and the
// reader must first skip the rest of the line that began before it.
type fileSplit struct {
	path       string
	start, end int64
	next       int64
	aligned    bool
}

func (s fileSplit) state() SplitState {
	aligned := uint64(0)
	if s.aligned {
		aligned = 1
	}
	next := s.next
	if !s.aligned {
		next = s.start
	}
	return SplitState{ID: s.path + "@" + strconv.FormatInt(s.start, 10),
		Data: newSplitCodec().str(s.path).uint(uint64(s.start)).uint(uint64(s.end)).uint(uint64(next)).uint(aligned).b}
}

func decodeFileSplit(st SplitState) (fileSplit, error) {
	d := newSplitDecoder("file split", st.Data)
	s := fileSplit{path: d.str(), start: int64(d.uint()), end: int64(d.uint()), next: int64(d.uint()), aligned: d.uint() == 1}
	if err := d.done(); err != nil {
		return s, fmt.Errorf("split %s: %w", st.ID, err)
	}
	if s.start < 0 || s.end < s.start || s.next < s.start {
		return s, fmt.Errorf("split %s: bad range [%d, %d) at %d", st.ID, s.start, s.end, s.next)
	}
	return s, nil
}

// lineSplit reads the lines of one fileSplit from f.
type lineSplit struct {
	split fileSplit
	f     io.ReadSeeker
	r     *bufio.Reader
	done  bool
	last  int64 // offset of the line next returned last
}

// seek positions the reader at the split's next line: at a fresh split
// after position start, one byte before start (so a line starting exactly
// at start is not taken for the tail of the previous one) and through the
// next newline, so the bytes before the range are never read.
func (l *lineSplit) seek() error {
	s := &l.split
	off := s.next
	if !s.aligned && s.start > 0 {
		off = s.start - 1
	}
	if _, err := l.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("seek to %d: %w", off, err)
	}
	l.r = bufio.NewReaderSize(l.f, 256<<10)
	if s.aligned || s.start == 0 {
		s.aligned, s.next = true, off
		return nil
	}
	pos := off
	skipped, err := l.r.ReadSlice('\n')
	for err == bufio.ErrBufferFull {
		pos += int64(len(skipped))
		skipped, err = l.r.ReadSlice('\n')
	}
	pos += int64(len(skipped))
	s.aligned, s.next = true, pos
	if errors.Is(err, io.EOF) {
		l.done = true
		return nil
	}
	return err
}

// next returns the next line of the split, or io.EOF at its end.
func (l *lineSplit) next() (string, error) {
	if l.r == nil {
		if err := l.seek(); err != nil {
			return "", err
		}
	}
	if l.done || l.split.next >= l.split.end {
		l.done = true
		return "", io.EOF
	}
	l.last = l.split.next
	line, err := l.r.ReadString('\n')
	if len(line) == 0 && errors.Is(err, io.EOF) {
		l.done = true
		return "", io.EOF
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	l.split.next += int64(len(line))
	if err != nil {
		l.done = true // the last line had no newline
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readSplit emits the lines that start in [start, end) of f. It seeks
// to its range first, so the bytes before it are never read.
func readSplit(ctx context.Context, f io.ReadSeeker, start, end int64, emit func(string)) error {
	l := &lineSplit{split: fileSplit{start: start, end: end, next: start}, f: f}
	for n := 1; ; n++ {
		line, err := l.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read [%d, %d): %w", start, end, err)
		}
		emit(line)
		if n%checkEvery == 0 && ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// textFileReader reads its file splits one after the other, through one
// store opened on first use.
type textFileReader struct {
	root  string // the source's path, which chooses the file system
	store *hdfsstore.Store
	queue []fileSplit
	cur   *lineSplit
	file  io.Closer
}

func (r *textFileReader) open(ctx context.Context, path string) (io.ReadSeekCloser, error) {
	if r.store == nil {
		store, _, err := openStore(ctx, r.root)
		if err != nil {
			return nil, err
		}
		r.store = store
	}
	return r.store.Open(ctx, path)
}

func (r *textFileReader) AddSplits(splits []SplitState) error {
	for _, st := range splits {
		s, err := decodeFileSplit(st)
		if err != nil {
			return err
		}
		r.queue = append(r.queue, s)
	}
	return nil
}

func (r *textFileReader) Next(ctx context.Context) (string, error) {
	for {
		if r.cur == nil {
			if len(r.queue) == 0 {
				return "", io.EOF
			}
			s := r.queue[0]
			f, err := r.open(ctx, s.path)
			if err != nil {
				return "", fmt.Errorf("open %s: %w", s.path, err)
			}
			r.cur, r.file = &lineSplit{split: s, f: f}, f
		}
		line, err := r.cur.next()
		if err == nil {
			return line, nil
		}
		if !errors.Is(err, io.EOF) {
			s := r.cur.split
			return "", fmt.Errorf("read %s [%d, %d) at %d: %w", s.path, s.start, s.end, s.next, err)
		}
		if err := r.closeCurrent(); err != nil {
			return "", err
		}
		r.queue = r.queue[1:]
	}
}

// CurrentSplit implements SplitAwareReader.
func (r *textFileReader) CurrentSplit() string {
	if r.cur == nil {
		return ""
	}
	return r.cur.split.path + "@" + strconv.FormatInt(r.cur.split.start, 10)
}

// LastLine implements LinePositioner.
func (r *textFileReader) LastLine() (string, int64) {
	if r.cur == nil {
		return "", 0
	}
	return r.cur.split.path, r.cur.last
}

func (r *textFileReader) closeCurrent() error {
	if r.cur == nil {
		return nil
	}
	r.cur = nil
	err := r.file.Close()
	r.file = nil
	return err
}

// Snapshot returns the splits not fully read, the current one at the
// offset of its next line.
func (r *textFileReader) Snapshot() []SplitState {
	out := make([]SplitState, 0, len(r.queue))
	for i, s := range r.queue {
		if i == 0 && r.cur != nil {
			if r.cur.done {
				continue
			}
			s = r.cur.split
		}
		out = append(out, s.state())
	}
	return out
}

func (r *textFileReader) Close() error {
	err := r.closeCurrent()
	if r.store != nil {
		err = errors.Join(err, r.store.Close())
		r.store = nil
	}
	return err
}
