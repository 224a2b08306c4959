package jobmanager

import (
	"fmt"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// JobCheckpointing is a job's checkpoint settings as submitted: from
// floe-conf.yaml, -D flags and the job's own code, in that order of
// precedence reversed (the job's code wins).
type JobCheckpointing struct {
	// Config holds the execution.checkpointing.* options.
	Config CheckpointConfig
	// Dir is state.checkpoints.dir; the job's checkpoints go under
	// Dir/<job-id>/.
	Dir string
	// Backend is state.backend.type: hashmap or pebble.
	Backend string
	// Retention is execution.checkpointing.externalized-checkpoint-retention.
	Retention CheckpointRetention
}

// CheckpointRetention says which ends of a job keep its completed
// checkpoints (Flink's ExternalizedCheckpointRetention).
type CheckpointRetention string

// The values of execution.checkpointing.externalized-checkpoint-retention,
// as Flink spells them. Flink's default, NoExternalizedCheckpoints, deletes
// a job's checkpoints however it ends; DeleteOnCancellation keeps them when
// the job fails; RetainOnCancellation keeps them when it fails or is
// canceled, and also when it finishes (Flink: discardFinished false).
const (
	NoExternalizedCheckpoints CheckpointRetention = "NO_EXTERNALIZED_CHECKPOINTS"
	DeleteOnCancellation      CheckpointRetention = "DELETE_ON_CANCELLATION"
	RetainOnCancellation      CheckpointRetention = "RETAIN_ON_CANCELLATION"
)

// discardOn reports whether a job ending in state s deletes its
// checkpoints (Flink's CheckpointProperties discard flags).
func (r CheckpointRetention) discardOn(s api.JobState) bool {
	switch r {
	case RetainOnCancellation:
		return false
	case DeleteOnCancellation:
		return s == api.JobFinished || s == api.JobCanceled
	}
	return s.Terminal()
}

// Enabled reports whether the job takes periodic checkpoints
// (execution.checkpointing.interval is set). Every job takes savepoints.
func (j *JobCheckpointing) Enabled() bool { return j != nil && j.Config.Enabled() }

// Validate refuses settings a job cannot run with.
func (j *JobCheckpointing) Validate() error {
	if !j.Enabled() {
		return nil
	}
	if strings.TrimSpace(j.Dir) == "" {
		return fmt.Errorf("%s is set but %s is not: set it to the folder (hdfs:// or local) checkpoints go to", keyCheckpointInterval, keyCheckpointsDir)
	}
	if _, err := ParseStateBackend(j.Backend); err != nil {
		return err
	}
	return nil
}

// ParseStateBackend parses state.backend.type (empty means hashmap).
func ParseStateBackend(v string) (string, error) {
	switch b := strings.ToLower(strings.TrimSpace(v)); b {
	case "", "hashmap":
		return "hashmap", nil
	case "pebble":
		return b, nil
	case "rocksdb":
		return "", fmt.Errorf("%s %q: Floe has no RocksDB; use pebble (github.com/cockroachdb/pebble, the Go LSM engine that takes its place)", conf.StateBackendType, v)
	default:
		return "", fmt.Errorf("%s %q: want hashmap or pebble", conf.StateBackendType, v)
	}
}

// JobCheckpointingFrom reads a job's checkpoint settings through lookup (a
// key's value and whether it is set), with periodic checkpoints off
// (Enabled false) when execution.checkpointing.interval is unset: such a
// job still takes savepoints and keeps its keyed state on the backend, as
// in Flink. Any bad value is an error, checkpointing on or off.
func JobCheckpointingFrom(lookup func(key string) (string, bool)) (*JobCheckpointing, error) {
	cfg, dir, err := CheckpointConfigFrom(lookup)
	if err != nil {
		return nil, err
	}
	bv, _ := lookup(conf.StateBackendType)
	backend, err := ParseStateBackend(bv)
	if err != nil {
		return nil, err
	}
	ret := NoExternalizedCheckpoints
	if v, ok := lookup(conf.CheckpointRetention); ok && strings.TrimSpace(v) != "" {
		switch r := CheckpointRetention(strings.ToUpper(strings.TrimSpace(v))); r {
		case NoExternalizedCheckpoints, DeleteOnCancellation, RetainOnCancellation:
			ret = r
		default:
			return nil, fmt.Errorf("%s %q: want %s, %s or %s", conf.CheckpointRetention, v,
				NoExternalizedCheckpoints, DeleteOnCancellation, RetainOnCancellation)
		}
	}
	j := &JobCheckpointing{Config: cfg, Dir: dir, Backend: backend, Retention: ret}
	return j, j.Validate()
}

// jobDir is the job's checkpoint folder, "" when state.checkpoints.dir is
// unset (a job without periodic checkpoints needs none: savepoints go to
// their own folder).
func (j *JobCheckpointing) jobDir(job string) string {
	if strings.TrimSpace(j.Dir) == "" {
		return ""
	}
	return jobCheckpointDir(j.Dir, job)
}

// jobCheckpointDir is the job's folder under state.checkpoints.dir (string
// joining keeps a URL's "//" intact, as path.Join would not).
func jobCheckpointDir(root, job string) string {
	return strings.TrimRight(root, "/") + "/" + job
}

// ConfigLookup reads options from cfg with their effective values (as
// JobCheckpointingFrom and ServerOptions.Config take them).
func ConfigLookup(cfg *conf.Config) func(key string) (string, bool) {
	vals := map[string]string{}
	for _, e := range cfg.Entries() {
		if e.Known {
			vals[e.Option.Key] = e.Value
		}
	}
	return func(key string) (string, bool) {
		v, ok := vals[key]
		return v, ok
	}
}

// checkpointKeys are the options a submission carries to the JobManager.
var checkpointKeys = []string{conf.CheckpointingInterval, conf.CheckpointingMode, conf.CheckpointingTimeout,
	conf.CheckpointingMinPause, conf.CheckpointingTolerable, conf.CheckpointingIncremental, conf.CheckpointsDir,
	conf.CheckpointsNumRetained, conf.CheckpointRetention, conf.StateBackendType, conf.SavepointPath, conf.SavepointIgnoreUnclaimed}

// SubmissionConfig returns the checkpoint options set in cfg (not left at
// their defaults), for api.SubmitJob.Config: they override the cluster's.
// Values that cannot parse are refused here, before anything is submitted.
func SubmissionConfig(cfg *conf.Config) (map[string]string, error) {
	all := ConfigLookup(cfg)
	out := map[string]string{}
	for _, k := range checkpointKeys {
		if src, ok := cfg.Source(k); ok && src.Kind != conf.SourceDefault {
			out[k], _ = all(k)
		}
	}
	lookup := func(k string) (string, bool) { v, ok := out[k]; return v, ok }
	if _, _, err := CheckpointConfigFrom(lookup); err != nil {
		return nil, err
	}
	if v, ok := out[conf.StateBackendType]; ok {
		if _, err := ParseStateBackend(v); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
