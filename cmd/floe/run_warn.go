package main

import (
	"fmt"
	"io"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager"
)

// warnNonReplayable prints jobmanager.ReplayWarning for a planned job: a
// job checkpointing in EXACTLY_ONCE mode that reads a source which cannot
// replay (a socket) learns at submission what guarantee it really has.
// The settings are the job's code's over cfg's, as the JobManager reads
// them; a graph or setting that does not parse is left to the submission
// to refuse with its own message.
func warnNonReplayable(w io.Writer, graphJSON []byte, cfg *conf.Config) {
	g, err := graph.Unmarshal(graphJSON)
	if err != nil {
		return
	}
	ckp, err := jobmanager.JobCheckpointingFrom(jobmanager.JobConfigLookup(g, jobmanager.ConfigLookup(cfg)))
	if err != nil {
		return
	}
	if msg := jobmanager.ReplayWarning(g, ckp); msg != "" {
		fmt.Fprintln(w, "floe:", msg)
	}
}
