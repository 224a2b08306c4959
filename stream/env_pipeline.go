package stream

import (
	"fmt"
	"slices"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/runtime/state"
)

// pipelineConfig reads the job-level options (conf.PipelineKeys) the job
// binary applies while main() builds the job. Run locally it reads them as
// localSettings reads the rest: floe-conf.yaml ($FLOE_CONF_DIR), then
// `floe run -t local`'s -D. In the plan and TaskManager roles it reads only
// what the submission handed over in contract.EnvDynamicProperties (the
// same in both roles, so both build the same job graph).
func pipelineConfig(getenv func(string) string) (*conf.Config, error) {
	dyn, err := contract.DynamicProperties(getenv)
	if err != nil {
		return nil, err
	}
	if role := getenv(contract.EnvRole); role == "" || role == contract.RoleLocal {
		cfg, err := conf.Load(conf.LoadOptions{Dynamic: dyn, Getenv: getenv})
		if err != nil {
			return nil, fmt.Errorf("local execution: %w", err)
		}
		return cfg, nil
	}
	cfg := conf.New()
	for _, kv := range dyn {
		k, v, _ := strings.Cut(kv, "=")
		if !slices.Contains(conf.PipelineKeys, k) {
			continue
		}
		if err := cfg.Set(k, v); err != nil {
			return nil, fmt.Errorf("%s: %w", contract.EnvDynamicProperties, err)
		}
	}
	return cfg, nil
}

// setPipeline applies an option the job's code set when it is one of
// conf.PipelineKeys (Configure has checked its value).
func (e *Environment) setPipeline(key, value string) {
	if slices.Contains(conf.PipelineKeys, key) {
		if err := e.pipeline.Set(key, value); err != nil {
			e.fail(fmt.Errorf("configure %s: %w", key, err))
		}
	}
}

// maxParallelism is the job's number of key groups: Options.MaxParallelism,
// else pipeline.max-parallelism (code, then configuration, then default),
// between 1 and Flink's upper bound of 32768.
func (e *Environment) maxParallelism() (int, error) {
	n := e.opts.MaxParallelism
	if n == 0 {
		n = e.pipeline.Int(conf.MaxParallelism)
	}
	if n < 1 || n > state.MaxKeyGroups {
		return 0, fmt.Errorf("%s %d: want 1 to %d (the number of key groups, the upper bound of a rescale)", conf.MaxParallelism, n, state.MaxKeyGroups)
	}
	return n, nil
}
