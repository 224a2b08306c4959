package stream

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
)

// CheckpointingMode is execution.checkpointing.mode.
type CheckpointingMode string

// The checkpointing modes, spelled as Flink's configuration spells them.
const (
	// ExactlyOnce aligns barriers at tasks with several inputs.
	ExactlyOnce CheckpointingMode = "EXACTLY_ONCE"
	// AtLeastOnce forwards barriers on first arrival; nothing blocks.
	AtLeastOnce CheckpointingMode = "AT_LEAST_ONCE"
)

// EnableCheckpointing makes the job take a checkpoint every interval in
// mode (Flink's env.enableCheckpointing). The checkpoints go under
// state.checkpoints.dir, which the configuration or Configure must set.
func (e *Environment) EnableCheckpointing(interval time.Duration, mode CheckpointingMode) {
	e.Configure(conf.CheckpointingInterval, strconv.FormatInt(interval.Milliseconds(), 10)+" ms")
	e.Configure(conf.CheckpointingMode, string(mode))
}

// Configure sets an option from the job's code (Flink's env.configure),
// e.g. Configure("state.backend.type", "pebble"). As in Flink, what the
// code sets wins over floe-conf.yaml and -D, locally and on a cluster: the
// options travel in the job graph (graph.JobGraph.Config). An unknown key
// or a value of the wrong type is reported by Err.
func (e *Environment) Configure(key, value string) {
	if err := conf.New().Set(key, value); err != nil {
		e.fail(fmt.Errorf("configure %s: %w", key, err))
		return
	}
	if e.opts.Config == nil {
		e.opts.Config = map[string]string{}
	}
	e.opts.Config[key] = value
	e.setPipeline(key, value)
}

// localSettings reads what local execution needs from the configuration:
// floe-conf.yaml ($FLOE_CONF_DIR), then `floe run -t local`'s -D options
// (contract.EnvDynamicProperties), then the options the job's code set.
// It returns the checkpoint settings (nil when checkpointing is off), the
// restart strategy: Options.Restart when set, else restart-strategy.*
// (exponential-delay when checkpointing is on, as on a cluster), and the
// Prometheus reporter's port range ("" when metrics.reporter.prom.* is off).
func (e *Environment) localSettings(getenv func(string) string) (ckp *jobmanager.JobCheckpointing, restart *api.RestartStrategy, promPorts string, err error) {
	dyn, err := contract.DynamicProperties(getenv)
	if err != nil {
		return nil, nil, "", err
	}
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: dyn, Getenv: getenv})
	if err != nil {
		return nil, nil, "", fmt.Errorf("local execution: %w", err)
	}
	keys := make([]string, 0, len(e.opts.Config))
	for k := range e.opts.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := cfg.Set(k, e.opts.Config[k]); err != nil {
			return nil, nil, "", fmt.Errorf("local execution: option %s set by the job's code: %w", k, err)
		}
	}
	if promPorts, _, err = metrics.PrometheusPorts(jobmanager.ConfigLookup(cfg)); err != nil {
		return nil, nil, "", fmt.Errorf("local execution: %w", err)
	}
	ckp, err = jobmanager.JobCheckpointingFrom(jobmanager.ConfigLookup(cfg))
	if err != nil {
		return nil, nil, "", fmt.Errorf("local execution: %w", err)
	}
	if r := e.opts.Restart; r.Attempts > 0 {
		return ckp, &api.RestartStrategy{Attempts: r.Attempts, DelayMillis: r.Delay.Milliseconds()}, promPorts, nil
	}
	restart, err = jobmanager.ParseRestartStrategy(cfg, nil)
	if err != nil {
		return nil, nil, "", fmt.Errorf("local execution: %w", err)
	}
	return ckp, restart, promPorts, nil
}
