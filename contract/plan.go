package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// PlanTimeout bounds the plan role: main() only builds a graph, so a job
// binary still running after this long is stuck (waiting on a connection,
// or processing data because it never calls Execute).
const PlanTimeout = 2 * time.Minute

// planTail is how much of the plan role's output an error keeps.
const planTail = 4 << 10

// ErrNoJobGraph is returned by Plan when the job binary exits cleanly
// without writing a job graph.
var ErrNoJobGraph = errors.New("no job graph written (does main() call Execute?)")

// PlanOptions is one run of a job binary in the plan role.
type PlanOptions struct {
	// Binary is the job binary's local path.
	Binary string
	Args   []string
	// Env is added to this process's environment (e.g. EnvParallelism).
	Env []string
	// Dir is the working folder (default: this process's) and where the
	// temporary plan file is created (default: os.TempDir).
	Dir string
	// Stdout receives the user's standard output (the CLI passes its
	// own); nil captures it with stderr, and its tail goes into errors.
	Stdout io.Writer
	// Timeout overrides PlanTimeout (tests).
	Timeout time.Duration
}

// Plan runs a job binary in the plan role (EnvRole=RolePlan) and returns
// the serialized job graph it writes to the file named by EnvPlanFile. The
// run is bounded by ctx and PlanTimeout. A failure carries the tail of the
// binary's stderr; a clean exit without a graph is ErrNoJobGraph.
//
// Plan is the only launcher of the plan role: the floe CLI uses it for
// -t remote, yarn-session and yarn-per-job, the ApplicationMaster for
// application mode.
func Plan(ctx context.Context, o PlanOptions) ([]byte, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = PlanTimeout
	}
	name := filepath.Base(o.Binary)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tmp, err := os.MkdirTemp(o.Dir, "floe-plan-")
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", name, err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // best effort: a leftover lies in o.Dir's temp space
	planFile := filepath.Join(tmp, FileJobGraph)

	cmd := exec.CommandContext(ctx, o.Binary, o.Args...)
	cmd.Dir = o.Dir
	cmd.Env = append(append(os.Environ(), o.Env...), EnvRole+"="+RolePlan, EnvPlanFile+"="+planFile)
	tail := &tailBuffer{max: planTail}
	cmd.Stdout, cmd.Stderr = o.Stdout, tail
	if o.Stdout == nil {
		cmd.Stdout = tail
	}
	// A grandchild holding the output pipes must not keep us waiting.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("still running after %v: %w", timeout, ctx.Err())
		} else if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("plan %s: %w%s", name, err, tail.suffix())
	}
	g, err := os.ReadFile(planFile)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(bytes.TrimSpace(g)) == 0) {
		return nil, fmt.Errorf("plan %s: %w%s", name, ErrNoJobGraph, tail.suffix())
	}
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", name, err)
	}
	return g, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
		t.cut = true
	}
	return len(p), nil
}

// suffix is ": <output tail>" for an error, or "" when there was none.
func (t *tailBuffer) suffix() string {
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return ""
	}
	if t.cut {
		s = "…" + s
	}
	return ": " + s
}
