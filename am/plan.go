package am

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/graph"
)

func readGraph(path string) (*graph.JobGraph, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("job graph: %w", err)
	}
	g, err := graph.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("job graph %s: %w", path, err)
	}
	return g, nil
}

// jobBinaryEnv is what the job binary of a per-job or application
// cluster gets in its environment in every role: the submission's -p
// (contract.EnvParallelism) and the job-level options of cfg
// (conf.PipelineProperties in contract.EnvDynamicProperties), as a
// session's client gives its jobs (client.Job.Env).
func jobBinaryEnv(env ContainerEnv, cfg *conf.Config) []string {
	var out []string
	if env.Parallelism != "" {
		out = append(out, contract.EnvParallelism+"="+env.Parallelism)
	}
	if p := contract.DynamicPropertiesEnv(conf.PipelineProperties(cfg)); p != "" {
		out = append(out, p)
	}
	return out
}

// planInContainer runs the localized job binary in the plan role (the
// application mode: main() runs in the cluster) with contract.Plan, the
// same runner the client uses, and reads its job graph. The binary's
// output is captured: its tail explains a failure in the diagnostics.
func planInContainer(ctx context.Context, workDir string, env ContainerEnv, cfg *conf.Config) (*graph.JobGraph, error) {
	bin, err := filepath.Abs(filepath.Join(workDir, contract.LinkJob))
	if err != nil {
		return nil, err
	}
	b, err := contract.Plan(ctx, contract.PlanOptions{Binary: bin, Args: env.JobArgs, Env: jobBinaryEnv(env, cfg), Dir: workDir})
	if err != nil {
		return nil, fmt.Errorf("plan role of the job binary: %w", err)
	}
	g, err := graph.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("job graph of %s: %w", bin, err)
	}
	return g, nil
}
