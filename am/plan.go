package am

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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

// planInContainer runs the localized job binary in the plan role (the
// application mode: main() runs in the cluster) with contract.Plan, the
// same runner the client uses, and reads its job graph. The binary's
// output is captured: its tail explains a failure in the diagnostics.
func planInContainer(ctx context.Context, workDir string, env ContainerEnv) (*graph.JobGraph, error) {
	bin, err := filepath.Abs(filepath.Join(workDir, contract.LinkJob))
	if err != nil {
		return nil, err
	}
	var penv []string
	if env.Parallelism != "" {
		penv = []string{contract.EnvParallelism + "=" + env.Parallelism}
	}
	b, err := contract.Plan(ctx, contract.PlanOptions{Binary: bin, Args: env.JobArgs, Env: penv, Dir: workDir})
	if err != nil {
		return nil, fmt.Errorf("plan role of the job binary: %w", err)
	}
	g, err := graph.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("job graph of %s: %w", bin, err)
	}
	return g, nil
}
