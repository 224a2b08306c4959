package stream

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
)

// checkPath validates a path's scheme when the job is built.
func checkPath(path string) error {
	switch {
	case strings.HasPrefix(path, "hdfs://"), strings.HasPrefix(path, "file://"), !strings.Contains(path, "://"):
		return nil
	}
	return fmt.Errorf("path %q: unsupported scheme (use a local path, file:// or hdfs://)", path)
}

// openStore returns the hdfsstore.Store serving path and path in its terms;
// close the Store when done. A path without a scheme is on local disk, even
// when the Hadoop configuration names an HDFS fs.defaultFS: a job's paths
// mean what they say. hdfs:// paths use $HADOOP_CONF_DIR when it is set
// (NameNode HA, DataNode options); hdfs://host:port works without it.
func openStore(ctx context.Context, path string) (*hdfsstore.Store, string, error) {
	if err := checkPath(path); err != nil {
		return nil, "", err
	}
	var h *conf.Hadoop
	if strings.HasPrefix(path, "hdfs://") {
		if dir := firstEnv(contract.EnvHadoopConfDir, contract.EnvYarnConfDir); dir != "" {
			var err error
			if h, err = conf.LoadHadoop(dir); err != nil {
				return nil, "", err
			}
		}
	}
	// Without a Hadoop configuration fs.defaultFS is file:///.
	s, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: h})
	if err != nil {
		return nil, "", err
	}
	return s, path, nil
}

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// listFiles returns the file at path, or the visible files of folder path
// (names starting with "." or "_" are hidden, as in Hadoop), sorted.
func listFiles(ctx context.Context, s *hdfsstore.Store, path string) ([]hdfsstore.FileInfo, error) {
	fi, err := s.Stat(ctx, path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir {
		return []hdfsstore.FileInfo{fi}, nil
	}
	infos, err := s.List(ctx, path)
	if err != nil {
		return nil, err
	}
	var out []hdfsstore.FileInfo
	for _, fi := range infos {
		name := fi.Path[strings.LastIndex(fi.Path, "/")+1:]
		if fi.IsDir || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		out = append(out, fi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
