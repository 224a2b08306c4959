package client

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// writeFile writes data to p with perm, replacing nothing (p is new).
func writeFile(ctx context.Context, st *hdfsstore.Store, p string, data []byte, perm fs.FileMode) error {
	w, err := st.Create(ctx, p, perm)
	if err != nil {
		return err
	}
	// An empty Write would allocate an empty block that the NameNode may
	// never see reported; an empty file needs no block at all.
	if len(data) > 0 {
		if _, err := w.Write(data); err != nil {
			_ = w.Close()
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// readFile reads a small file from the store (at most 1 MiB).
func readFile(ctx context.Context, st *hdfsstore.Store, p string) ([]byte, error) {
	r, err := st.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }() // read-only
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// Staging is the staging root on HDFS: the content-addressed binary
// cache (see Cache) and one folder per application, <Root>/<appId>,
// holding what the application's containers localize.
type Staging struct {
	Store *hdfsstore.Store
	// Root is StagingRoot's folder.
	Root string
}

// StagingRoot is the folder holding the binary cache and the per-application
// staging folders: <yarn.staging-directory>/.floe, or /user/<user>/.floe.
func StagingRoot(cfg *conf.Config, user string) string {
	if d := cfg.String(conf.YarnStagingDirectory); d != "" {
		return joinURI(d, contract.StagingRootName)
	}
	return "/user/" + user + "/" + contract.StagingRootName
}

// Dir returns the staging folder of app (not qualified).
func (s Staging) Dir(app yarnrpc.ApplicationID) string {
	return joinURI(s.Root, app.String())
}

// ReadSecret reads the application secret from app's staging folder, as
// written at deployment.
func (s Staging) ReadSecret(ctx context.Context, app yarnrpc.ApplicationID) ([]byte, error) {
	p := joinURI(s.Dir(app), contract.FileSecret)
	b, err := readFile(ctx, s.Store, p)
	if err != nil {
		return nil, fmt.Errorf("application %s: read its secret %s (only the user who deployed it can reach it): %w", app, p, err)
	}
	return b, nil
}

// Sweep removes staging folders of applications that are no longer
// running by rm's reports (belt and braces for AMs that were SIGKILLed
// before cleaning up). It is best effort and bounded to a few seconds; it
// returns what it removed.
func (s Staging) Sweep(ctx context.Context, rm RM, log zerolog.Logger) []string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	entries, err := s.Store.List(ctx, s.Root)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		name := path.Base(e.Path)
		if !e.IsDir || !strings.HasPrefix(name, "application_") {
			continue
		}
		id, err := yarnrpc.ParseApplicationID(name)
		if err != nil {
			continue
		}
		rep, err := rm.ApplicationReport(ctx, id)
		if err != nil && !isNotFound(err) {
			continue
		}
		if err == nil && !rep.State.Terminal() {
			continue
		}
		if s.Store.RemoveAll(ctx, joinURI(s.Root, name)) == nil {
			log.Debug().Str("app_id", name).Msg("removed leftover staging folder")
			removed = append(removed, name)
		}
	}
	return removed
}

// Remove removes app's staging folder (a missing folder is fine).
func (s Staging) Remove(ctx context.Context, app yarnrpc.ApplicationID) error {
	return s.Store.RemoveAll(ctx, s.Dir(app))
}
