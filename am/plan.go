package am

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/graph"
)

// planTimeout bounds the plan role in application mode.
const planTimeout = 2 * time.Minute

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
// application mode: main() runs in the cluster) and reads its job graph.
func planInContainer(ctx context.Context, workDir string, env ContainerEnv) (*graph.JobGraph, error) {
	ctx, cancel := context.WithTimeout(ctx, planTimeout)
	defer cancel()
	bin, err := filepath.Abs(filepath.Join(workDir, contract.LinkJob))
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(workDir, "plan-")
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	defer os.RemoveAll(tmp)
	planFile := filepath.Join(tmp, contract.FileJobGraph)
	cmd := exec.CommandContext(ctx, bin, env.JobArgs...)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), contract.EnvRole+"="+contract.RolePlan, contract.EnvPlanFile+"="+planFile)
	if env.Parallelism != "" {
		cmd.Env = append(cmd.Env, contract.EnvParallelism+"="+env.Parallelism)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return nil, fmt.Errorf("plan role of the job binary: %v: %s", err, msg)
	}
	return readGraph(planFile)
}
