package main

import (
	"context"
	"fmt"
	"io"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager"
)

// savepointCheck returns the check of a per-job submission that starts
// from a savepoint (-s, execution.savepoint.path): the savepoint must
// exist, its _metadata decode, its state match the planned job's
// operators (unless -n) and its max parallelism be the job's. The
// JobManager checks the same, but here a bad savepoint fails before YARN
// is asked for anything, so nothing is left behind. nil without -s.
func savepointCheck(cfg *conf.Config, st *hdfsstore.Store) func(context.Context, []byte) error {
	lookup := jobmanager.ConfigLookup(cfg)
	path, allow := jobmanager.SavepointSubmission(lookup)
	if path == "" {
		return nil
	}
	return func(ctx context.Context, b []byte) error {
		if _, err := jobmanager.JobCheckpointingFrom(lookup); err != nil {
			return fmt.Errorf("run: %w", err)
		}
		g, err := graph.Unmarshal(b)
		if err != nil {
			return fmt.Errorf("run: %w", err)
		}
		read := func(ctx context.Context, p string) ([]byte, error) {
			f, err := st.Open(ctx, p)
			if err != nil {
				return nil, err
			}
			defer func() { _ = f.Close() }() // read-only
			return io.ReadAll(f)
		}
		if _, err := jobmanager.LoadSavepoint(ctx, read, path, g, allow); err != nil {
			return fmt.Errorf("run: %w", err)
		}
		return nil
	}
}
