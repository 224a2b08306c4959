package main

import (
	"context"
	"fmt"
	"io"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager"
)

// plannedCheckpointing reads a planned job's checkpoint settings as the
// JobManager will: the options its code set (graph.JobGraph.Config) over
// cfg's. graphJSON may be empty (application mode plans in the cluster); a
// graph that does not parse is left to the submission to refuse.
func plannedCheckpointing(graphJSON []byte, cfg *conf.Config) (*graph.JobGraph, *jobmanager.JobCheckpointing, error) {
	var g *graph.JobGraph
	if len(graphJSON) > 0 {
		g, _ = graph.Unmarshal(graphJSON)
	}
	ckp, err := jobmanager.JobCheckpointingFrom(jobmanager.JobConfigLookup(g, jobmanager.ConfigLookup(cfg)))
	return g, ckp, err
}

// warnGuarantees prints jobmanager.SubmissionWarnings for a planned job: a
// job checkpointing in EXACTLY_ONCE mode that reads a source which cannot
// replay (a socket), or an unbounded job without checkpoints writing files,
// learns at submission what guarantee it really has.
func warnGuarantees(w io.Writer, g *graph.JobGraph, ckp *jobmanager.JobCheckpointing) {
	for _, msg := range jobmanager.SubmissionWarnings(g, ckp) {
		fmt.Fprintln(w, "floe:", msg)
	}
}

// checkPlannedJob is the client's last look at a planned job before YARN
// is asked for anything (client.DeploySpec.Check, SessionSubmission.Check):
// its checkpoint settings parse (strict: the cluster reads exactly cfg; a
// session has its own configuration, so there a setting that does not
// parse here is left to the session), the non-replayable source warning,
// and a checkpoint folder the job could not write is refused now rather
// than failing every checkpoint later.
func checkPlannedJob(w io.Writer, cfg *conf.Config, st *hdfsstore.Store, strict bool) func(context.Context, []byte) error {
	return func(ctx context.Context, graphJSON []byte) error {
		g, ckp, err := plannedCheckpointing(graphJSON, cfg)
		if err != nil {
			if strict {
				return fmt.Errorf("run: %w", err)
			}
			return nil
		}
		warnGuarantees(w, g, ckp)
		if !ckp.Enabled() {
			return nil
		}
		return client.CheckCheckpointDir(ctx, st, ckp.Dir)
	}
}
