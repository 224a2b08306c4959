package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
)

// hdfsFS serves hdfs:// paths through hdfsstore. The Hadoop configuration
// comes from $HADOOP_CONF_DIR when set (NameNode HA, DataNode options);
// an hdfs://host:port path works without it.
type hdfsFS struct{ s *hdfsstore.Store }

func newHDFS(ctx context.Context) (fileSystem, error) {
	var h *conf.Hadoop
	if dir := firstEnv(contract.EnvHadoopConfDir, contract.EnvYarnConfDir); dir != "" {
		var err error
		if h, err = conf.LoadHadoop(dir); err != nil {
			return nil, err
		}
	}
	s, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: h})
	if err != nil {
		return nil, err
	}
	return &hdfsFS{s: s}, nil
}

func (h *hdfsFS) close() error { return h.s.Close() }

func (h *hdfsFS) list(ctx context.Context, path string) ([]fileEntry, error) {
	fi, err := h.s.Stat(ctx, path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir {
		return []fileEntry{{path: path, size: fi.Size}}, nil
	}
	infos, err := h.s.List(ctx, path)
	if err != nil {
		return nil, err
	}
	var out []fileEntry
	for _, fi := range infos {
		name := fi.Path[strings.LastIndex(fi.Path, "/")+1:]
		if fi.IsDir || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		out = append(out, fileEntry{path: h.join(path, name), size: fi.Size})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// openAt opens and skips to offset: hdfsstore streams have no Seek yet, so
// a later split reads (and drops) the bytes before it.
func (h *hdfsFS) openAt(ctx context.Context, path string, offset int64) (io.ReadCloser, error) {
	r, err := h.s.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := io.CopyN(io.Discard, r, offset); err != nil {
			r.Close()
			return nil, fmt.Errorf("skip to %d: %w", offset, err)
		}
	}
	return r, nil
}

func (h *hdfsFS) mkdirAll(ctx context.Context, dir string) error {
	return h.s.MkdirAll(ctx, dir, 0o755)
}

func (h *hdfsFS) create(ctx context.Context, path string) (io.WriteCloser, error) {
	if err := h.s.RemoveAll(ctx, path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return h.s.Create(ctx, path, 0o644)
}

func (h *hdfsFS) rename(ctx context.Context, from, to string) error {
	if err := h.s.RemoveAll(ctx, to); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return h.s.Rename(ctx, from, to)
}

func (h *hdfsFS) join(dir, name string) string { return strings.TrimSuffix(dir, "/") + "/" + name }
