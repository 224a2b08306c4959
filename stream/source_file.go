package stream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/runtime"
)

// ReadTextFile is a bounded source of the lines of a file, or of every
// visible file in a folder (local path, file:// or hdfs://). Each file is
// split into byte ranges, one per parallel reader; a line belongs to the
// reader whose range holds its first byte.
func ReadTextFile(env *Environment, path string) Stream[string] {
	c := codecFor[string](env, "ReadTextFile")
	if err := checkPath(path); err != nil {
		env.fail(fmt.Errorf("ReadTextFile: %w", err))
	}
	return addSource(env, "textfile", "TextFile "+path, true, 0, c, func(oc runtime.OperatorContext, emit func(string)) (*instance[struct{}], error) {
		return &instance[struct{}]{run: func(ctx context.Context, idle func()) error {
			store, p, err := openStore(ctx, path)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			defer store.Close()
			files, err := listFiles(ctx, store, p)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			for _, f := range files {
				per := (f.Size + int64(oc.Parallelism) - 1) / int64(oc.Parallelism)
				start := per * int64(oc.Subtask)
				end := min(start+per, f.Size)
				if start >= end {
					continue
				}
				if err := readFileSplit(ctx, store, f.Path, start, end, emit); err != nil {
					return err
				}
			}
			return nil
		}}, nil
	})
}

func readFileSplit(ctx context.Context, store *hdfsstore.Store, path string, start, end int64, emit func(string)) error {
	f, err := store.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if err := readSplit(ctx, f, start, end, emit); err != nil {
		return fmt.Errorf("read %s [%d, %d): %w", path, start, end, err)
	}
	return nil
}

// readSplit emits the lines that start in [start, end) of f. It seeks
// to its range first, so the bytes before it are never read.
func readSplit(ctx context.Context, f io.ReadSeeker, start, end int64, emit func(string)) error {
	off := start
	if start > 0 {
		off = start - 1 // skip through the newline ending the previous split's last line
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("seek to %d: %w", off, err)
	}
	r := bufio.NewReaderSize(f, 256<<10)
	pos := off
	if start > 0 {
		skipped, err := r.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			pos += int64(len(skipped))
			skipped, err = r.ReadSlice('\n')
		}
		pos += int64(len(skipped))
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	var n int
	for pos < end {
		line, err := r.ReadString('\n')
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		pos += int64(len(line))
		emit(strings.TrimRight(line, "\r\n"))
		if n++; n%checkEvery == 0 && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
