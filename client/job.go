package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
)

// Job is a job binary as the user gave it to `floe run` or `floe info`.
type Job struct {
	// Binary is the job binary's local path (or, application mode only,
	// an hdfs:// URI).
	Binary string
	Args   []string
	// Parallelism is the default parallelism (0: the job's own).
	Parallelism int
	// Pipeline are the job-level options set in the configuration
	// (conf.PipelineProperties), which the job binary applies itself.
	Pipeline []string
}

// NewJob is the job binary bin with args as `floe run` submits it under
// cfg: the default parallelism from the -p flag (0: none) or cfg, and
// cfg's job-level options.
func NewJob(cfg *conf.Config, bin string, args []string, parallelism int) Job {
	return Job{Binary: bin, Args: args, Parallelism: Parallelism(cfg, parallelism), Pipeline: conf.PipelineProperties(cfg)}
}

// Parallelism is the job's default parallelism: the -p flag when given,
// else parallelism.default when set explicitly, else 0 (the job decides).
func Parallelism(cfg *conf.Config, flag int) int {
	if flag > 0 {
		return flag
	}
	if src, ok := cfg.Source(conf.ParallelismDefault); ok && src.Kind != conf.SourceDefault {
		return cfg.Int(conf.ParallelismDefault)
	}
	return 0
}

// Env is what the job binary gets in its environment in every role
// (contract.EnvParallelism and contract.EnvDynamicProperties when set).
func (j Job) Env() []string { return contract.JobBinaryEnv(j.Parallelism, j.Pipeline) }

// Plan runs the job binary in the plan role on this machine and returns its
// job graph; the binary's standard output goes to stdout (nil: captured
// into the error on failure).
func (j Job) Plan(ctx context.Context, stdout io.Writer) ([]byte, error) {
	return contract.Plan(ctx, contract.PlanOptions{Binary: j.Binary, Args: j.Args, Env: j.Env(), Stdout: stdout})
}

// GraphName reads the job name from a job graph's JSON ("" when absent).
func GraphName(g []byte) string {
	var h struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(g, &h)
	return h.Name
}

// NewJobID returns a fresh job id as Flink writes them: 16 random bytes in
// 32 hex digits. The client chooses the id of a per-job or application
// cluster's job, so it knows the id from the start.
func NewJobID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
