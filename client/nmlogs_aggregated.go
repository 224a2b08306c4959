package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/client/aggregatedlog"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
)

// Hadoop's keys for where the NodeManagers aggregate logs (their defaults
// are Hadoop's). A per-format key (yarn.log-aggregation.TFile.…) wins.
const (
	keyRemoteLogDir       = "yarn.nodemanager.remote-app-log-dir"
	keyRemoteLogDirSuffix = "yarn.nodemanager.remote-app-log-dir-suffix"
	keyTFileRemoteDir     = "yarn.log-aggregation.TFile.remote-app-log-dir"
	keyTFileRemoteSuffix  = "yarn.log-aggregation.TFile.remote-app-log-dir-suffix"
)

// aggregatedLogs reads the logs the NodeManagers aggregated to HDFS once
// an application ended (yarn.log-aggregation-enable): a NodeManager stops
// serving a container's logs then, so NodeLogs falls back to them.
type aggregatedLogs struct {
	store        *hdfsstore.Store
	root, suffix string
	// settle bounds the wait for uploads still in progress (a NodeManager
	// writes <node>.tmp and renames it when done).
	settle time.Duration

	mu   sync.Mutex
	apps map[yarnrpc.ApplicationID]map[yarnrpc.ContainerID]aggregatedContainer
}

// aggregatedContainer is one container's aggregated logs and its node.
type aggregatedContainer struct {
	node  string // NodeManager id, host:port
	files []aggregatedlog.File
}

func newAggregatedLogs(store *hdfsstore.Store, h *conf.Hadoop) *aggregatedLogs {
	a := &aggregatedLogs{store: store, root: "/tmp/logs", suffix: "logs", settle: 30 * time.Second,
		apps: map[yarnrpc.ApplicationID]map[yarnrpc.ContainerID]aggregatedContainer{}}
	if h != nil {
		for _, k := range []string{keyRemoteLogDir, keyTFileRemoteDir} {
			if v := strings.TrimSpace(h.Get(k)); v != "" {
				a.root = v
			}
		}
		if v := strings.TrimSpace(h.Get(keyRemoteLogDirSuffix)); v != "" {
			a.suffix = v
		}
	}
	a.suffix += "-tfile"
	if h != nil {
		if v := strings.TrimSpace(h.Get(keyTFileRemoteSuffix)); v != "" {
			a.suffix = v
		}
	}
	return a
}

// appDirs are the folders Hadoop 3 puts an application's aggregated logs
// in: <root>/<user>/bucket-<suffix>/<app id mod 10000>/<app> (3.3 on), and
// the older <root>/<user>/<suffix>/<app>.
func (a *aggregatedLogs) appDirs(app yarnrpc.ApplicationID, user string) []string {
	return []string{
		joinURI(a.root, user, "bucket-"+a.suffix, fmt.Sprintf("%04d", app.ID%10000), app.String()),
		joinURI(a.root, user, a.suffix, app.String()),
	}
}

// containers returns app's aggregated containers; none (and no error)
// when nothing was aggregated. Uploads in progress are waited for, up to
// settle.
func (a *aggregatedLogs) containers(ctx context.Context, app yarnrpc.ApplicationID, user string) (map[yarnrpc.ContainerID]aggregatedContainer, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cs, ok := a.apps[app]; ok {
		return cs, nil
	}
	deadline := time.Now().Add(a.settle)
	for {
		cs, pending, err := a.read(ctx, app, user)
		if err != nil {
			return nil, err
		}
		if pending == "" {
			a.apps[app] = cs
			return cs, nil
		}
		if time.Now().After(deadline) {
			// What is complete is still worth showing.
			return cs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("aggregated logs of %s: waiting for %s: %w", app, pending, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// read parses every complete node file of app's folder; pending names a
// file still being uploaded.
func (a *aggregatedLogs) read(ctx context.Context, app yarnrpc.ApplicationID, user string) (cs map[yarnrpc.ContainerID]aggregatedContainer, pending string, err error) {
	cs = map[yarnrpc.ContainerID]aggregatedContainer{}
	for _, dir := range a.appDirs(app, user) {
		fis, err := a.store.List(ctx, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("aggregated logs of %s: %w", app, err)
		}
		for _, fi := range fis {
			name := path.Base(fi.Path)
			if fi.IsDir {
				continue
			}
			if strings.HasSuffix(name, ".tmp") {
				pending = fi.Path
				continue
			}
			b, err := a.readFile(ctx, fi.Path)
			if err != nil {
				return nil, "", err
			}
			got, err := aggregatedlog.Parse(b)
			if err != nil {
				return nil, "", fmt.Errorf("aggregated logs of %s: %s: %w", app, fi.Path, err)
			}
			node := nodeOfFile(name)
			for _, c := range got {
				id, err := yarnrpc.ParseContainerID(c.ID)
				if err != nil {
					continue
				}
				prev := cs[id]
				cs[id] = aggregatedContainer{node: node, files: append(prev.files, c.Files...)}
			}
		}
	}
	return cs, pending, nil
}

func (a *aggregatedLogs) readFile(ctx context.Context, p string) ([]byte, error) {
	f, err := a.store.Open(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("aggregated log %s: %w", p, err)
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("aggregated log %s: %w", p, err)
	}
	return b, nil
}

// nodeOfFile turns a node file's name (host_port) back into the
// NodeManager's id (host:port).
func nodeOfFile(name string) string {
	if i := strings.LastIndexByte(name, '_'); i > 0 {
		return name[:i] + ":" + name[i+1:]
	}
	return name
}
