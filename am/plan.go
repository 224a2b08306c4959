package am

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

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
// cluster gets in its environment in every role (contract.JobBinaryEnv):
// the submission's -p and the job-level options of cfg.
func jobBinaryEnv(env ContainerEnv, cfg *conf.Config) []string {
	p, _ := strconv.Atoi(env.Parallelism) // checked positive when read; "" is 0
	return contract.JobBinaryEnv(p, conf.PipelineProperties(cfg))
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
