package stream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

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
			fsys, p, err := openFileSystem(ctx, path)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			defer fsys.close()
			files, err := fsys.list(ctx, p)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			for _, f := range files {
				per := (f.size + int64(oc.Parallelism) - 1) / int64(oc.Parallelism)
				start := per * int64(oc.Subtask)
				end := min(start+per, f.size)
				if start >= end {
					continue
				}
				if err := readSplit(ctx, fsys, f.path, start, end, emit); err != nil {
					return err
				}
			}
			return nil
		}}, nil
	})
}

// readSplit emits the lines that start in [start, end) of the file.
func readSplit(ctx context.Context, fsys fileSystem, path string, start, end int64, emit func(string)) error {
	off := start
	if start > 0 {
		off = start - 1 // skip through the newline ending the previous split's last line
	}
	rc, err := fsys.openAt(ctx, path, off)
	if err != nil {
		return fmt.Errorf("open %s at %d: %w", path, off, err)
	}
	defer rc.Close()
	r := bufio.NewReaderSize(rc, 256<<10)
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
			return fmt.Errorf("read %s: %w", path, err)
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
			return fmt.Errorf("read %s: %w", path, err)
		}
	}
	return nil
}
