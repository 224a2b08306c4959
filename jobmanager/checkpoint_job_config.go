package jobmanager

import (
	"fmt"
	"sort"
	"strings"

	"github.com/floe-yarn/floe/conf"
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

// RollingCommitWarning is the warning a submission prints when a job
// without periodic checkpoints reads an unbounded source into a sink that
// then commits its output as its part files roll (graph.Node.CommitsOnRoll,
// the file sink): readers see that output before any checkpoint covers
// it, and a failover starts the job again from the beginning (or the
// savepoint it started from) and writes it again, so the output readers
// see is at-least-once. Empty when there is nothing to warn about.
func RollingCommitWarning(g *graph.JobGraph, ckp *JobCheckpointing) string {
	if g == nil || ckp.Enabled() {
		return ""
	}
	srcs, sinks := g.UnboundedSources(), g.RollingCommitSinks()
	if len(srcs) == 0 || len(sinks) == 0 {
		return ""
	}
	return fmt.Sprintf("WARNING: job %q reads the unbounded source %s but takes no checkpoints (%s is not set): sink %s "+
		"commits its part files as they roll (and at savepoints), so after a failover the job starts again from the "+
		"beginning or its savepoint and writes again what readers may already have seen: its output is at-least-once; "+
		"set %s and %s for exactly-once output",
		g.Name, strings.Join(quoteAll(srcs), ", "), keyCheckpointInterval, strings.Join(quoteAll(sinks), ", "),
		keyCheckpointInterval, keyCheckpointsDir)
}

// SubmissionWarnings are the warnings a submission of g with ckp prints
// (ReplayWarning, RollingCommitWarning), in that order.
func SubmissionWarnings(g *graph.JobGraph, ckp *JobCheckpointing) []string {
	var out []string
	for _, w := range []string{ReplayWarning(g, ckp), RollingCommitWarning(g, ckp)} {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// JobConfig returns cfg with the options the job's code set
// (graph.JobGraph.Config) applied over it, as a new Config (cfg is left
// alone), for what reads a *conf.Config rather than a lookup: the restart
// strategy, whose default depends on whether the job checkpoints. A value
// the code set that does not parse is an error naming the key.
func JobConfig(g *graph.JobGraph, cfg *conf.Config) (*conf.Config, error) {
	if g == nil || len(g.Config) == 0 {
		return cfg, nil
	}
	out := conf.New()
	for _, e := range cfg.Entries() {
		if e.Known && e.Source.Kind != conf.SourceDefault {
			if err := out.Set(e.Option.Key, e.Value); err != nil {
				return nil, err
			}
		}
	}
	keys := make([]string, 0, len(g.Config))
	for k := range g.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := out.Set(k, g.Config[k]); err != nil {
			return nil, fmt.Errorf("option %s set by the job's code: %w", k, err)
		}
	}
	return out, nil
}
