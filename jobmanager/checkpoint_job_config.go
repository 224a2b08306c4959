package jobmanager

import (
	"fmt"
	"strings"

	"github.com/floe-yarn/floe/graph"
)

// JobConfigLookup puts the options a job's code set (graph.JobGraph.Config,
// from stream.Options.Config or Environment.EnableCheckpointing) in front of
// lookup (floe-conf.yaml, -D, a submission's config): as in Flink, what the
// program sets wins over the configuration it is submitted with.
func JobConfigLookup(g *graph.JobGraph, lookup func(key string) (string, bool)) func(key string) (string, bool) {
	if g == nil || len(g.Config) == 0 {
		return lookup
	}
	return func(key string) (string, bool) {
		if v, ok := g.Config[key]; ok {
			return v, true
		}
		if lookup == nil {
			return "", false
		}
		return lookup(key)
	}
}

// ReplayWarning is the warning a submission prints when a job checkpoints
// in EXACTLY_ONCE mode but reads a source that cannot resume from a
// checkpoint (graph.Node.NonReplayable): on a failover the job restarts
// from its last checkpoint, but such a source does not read again what it
// delivered since, so those records are lost and the job's real guarantee
// for them is at-most-once. Empty when there is nothing to warn about.
func ReplayWarning(g *graph.JobGraph, ckp *JobCheckpointing) string {
	if g == nil || !ckp.Enabled() || ckp.Config.Mode != ExactlyOnce {
		return ""
	}
	srcs := g.NonReplayableSources()
	if len(srcs) == 0 {
		return ""
	}
	return fmt.Sprintf("WARNING: job %q checkpoints in EXACTLY_ONCE mode, but source %s cannot replay from a checkpoint: "+
		"on a failover the records it delivered after the last completed checkpoint are lost, so its records are processed "+
		"at-most-once, not exactly-once; read from a replayable source (files, collections, generators, a stream.Source with "+
		"checkpointed positions) for exactly-once results",
		g.Name, strings.Join(quoteAll(srcs), ", "))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
