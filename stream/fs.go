package stream

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// fileSystem is what file sources and sinks need from a storage system.
// The local disk implements it here; hdfs:// paths go through hdfsstore.
type fileSystem interface {
	// list returns the regular files at path (the file itself, or the
	// visible files of a folder), sorted by name, with their sizes.
	list(ctx context.Context, path string) ([]fileEntry, error)
	// openAt opens a file positioned at offset.
	openAt(ctx context.Context, path string, offset int64) (io.ReadCloser, error)
	mkdirAll(ctx context.Context, dir string) error
	create(ctx context.Context, path string) (io.WriteCloser, error)
	rename(ctx context.Context, from, to string) error
	join(dir, name string) string
	close() error
}

type fileEntry struct {
	path string
	size int64
}

// checkPath validates a path's scheme when the job is built.
func checkPath(path string) error {
	switch {
	case strings.HasPrefix(path, "hdfs://"), strings.HasPrefix(path, "file://"), !strings.Contains(path, "://"):
		return nil
	}
	return fmt.Errorf("path %q: unsupported scheme (use a local path, file:// or hdfs://)", path)
}

// openFileSystem returns the file system serving path and the path in its
// terms; close it when done.
func openFileSystem(ctx context.Context, path string) (fileSystem, string, error) {
	if err := checkPath(path); err != nil {
		return nil, "", err
	}
	if strings.HasPrefix(path, "hdfs://") {
		fsys, err := newHDFS(ctx)
		return fsys, path, err
	}
	return localFS{}, strings.TrimPrefix(path, "file://"), nil
}

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

type localFS struct{}

func (localFS) list(_ context.Context, path string) ([]fileEntry, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []fileEntry{{path: path, size: fi.Size()}}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []fileEntry
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, fileEntry{path: filepath.Join(path, e.Name()), size: info.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

func (localFS) openAt(_ context.Context, path string, offset int64) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (localFS) mkdirAll(_ context.Context, dir string) error { return os.MkdirAll(dir, 0o755) }

func (localFS) create(_ context.Context, path string) (io.WriteCloser, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
}

func (localFS) rename(_ context.Context, from, to string) error { return os.Rename(from, to) }

func (localFS) join(dir, name string) string { return filepath.Join(dir, name) }

func (localFS) close() error { return nil }
