package stream

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/localcluster"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// JobError is returned by Execute when a local job ends in a state other
// than FINISHED; its Status holds the state and the cause.
type JobError = localcluster.JobError

// RestartStrategy restarts a failed job up to Attempts times, Delay apart
// (fixed-delay). The zero value never restarts.
type RestartStrategy struct {
	Attempts int
	Delay    time.Duration
}

// Options configure an Environment.
type Options struct {
	// Parallelism is the default parallelism of operators (default 1, or
	// $FLOE_PARALLELISM).
	Parallelism int
	// MaxParallelism is the number of key groups (default 128).
	MaxParallelism int
	// DisableChaining runs every operator in a task of its own.
	DisableChaining bool
	// LocalTaskManagers and LocalSlots size the in-process cluster of local
	// execution (defaults: 1 TaskManager with as many slots as the job needs).
	LocalTaskManagers int
	LocalSlots        int
	// Restart is the restart strategy of local execution (remote jobs take
	// theirs from the submission).
	Restart RestartStrategy
	// Stdout receives Print output and the plan (default os.Stdout).
	Stdout io.Writer
	// Logger receives the engine's logs (default: warnings on stderr).
	Logger *zerolog.Logger
	// AutoWatermarkInterval is pipeline.auto-watermark-interval: how
	// often periodic watermark generators emit (default 200 ms).
	AutoWatermarkInterval time.Duration
}

// Environment collects a job's operators and runs the job.
type Environment struct {
	opts      Options
	codecs    *runtime.CodecRegistry
	nodes     []nodeInfo
	edges     []graph.Edge
	keyHashes map[[2]int]any
	sideEdges map[[2]int]sideEdge
	errs      []error
	stdout    io.Writer
	printMu   sync.Mutex
	log       zerolog.Logger
}

type nodeInfo struct {
	gn      graph.Node
	kind    string
	factory runtime.OperatorFactory
	// replayable is false for a source that cannot resume from a
	// checkpoint (see NonReplayableSources).
	replayable bool
	// assignsTimestamps is set for sources with a watermark strategy and
	// timestamp assigners (see timestamps.go).
	assignsTimestamps bool
}

// NewEnvironment returns an empty environment.
func NewEnvironment(opts Options) *Environment {
	if opts.Parallelism <= 0 {
		if p, err := strconv.Atoi(os.Getenv(contract.EnvParallelism)); err == nil && p > 0 {
			opts.Parallelism = p
		} else {
			opts.Parallelism = 1
		}
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.RFC3339}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	if lvl, err := contract.LogLevel(os.Getenv, zerolog.WarnLevel); err != nil {
		log.Warn().Err(err).Msg("log level ignored")
	} else {
		log = log.Level(lvl)
	}
	if opts.Logger != nil {
		log = *opts.Logger
	}
	return &Environment{opts: opts, codecs: runtime.NewCodecRegistry(), keyHashes: map[[2]int]any{}, sideEdges: map[[2]int]sideEdge{}, stdout: opts.Stdout, log: log}
}

// SetParallelism sets the default parallelism.
func (e *Environment) SetParallelism(p int) { e.opts.Parallelism = p }

// DisableChaining runs every operator in a task of its own.
func (e *Environment) DisableChaining() { e.opts.DisableChaining = true }

func (e *Environment) fail(err error) { e.errs = append(e.errs, err) }

// Err returns the first error met while building the job (an unsupported
// record type, a bad parameter), or nil.
func (e *Environment) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("build job: %w", e.errs[0])
}

func (e *Environment) addNode(kind, name, outType string) int {
	e.nodes = append(e.nodes, nodeInfo{gn: graph.Node{Index: len(e.nodes), Kind: kind, Name: name, OutType: outType}, kind: kind})
	return len(e.nodes) - 1
}

// program is a built job: its graph and the operator factories.
type program struct {
	g         *graph.JobGraph
	factories []runtime.OperatorFactory
}

func (p *program) Graph() *graph.JobGraph { return p.g }

func (p *program) Factory(n int) runtime.OperatorFactory {
	if n < 0 || n >= len(p.factories) {
		return nil
	}
	return p.factories[n]
}

// Program builds the job and returns it as the runtime sees it: the job
// graph and the operator factories (for embedding Floe's runtime).
func (e *Environment) Program(name string) (runtime.Program, error) {
	p, err := e.program(name)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// JobGraph builds the job graph without running anything.
func (e *Environment) JobGraph(name string) (*graph.JobGraph, error) {
	p, err := e.program(name)
	if err != nil {
		return nil, err
	}
	return p.g, nil
}

func (e *Environment) program(name string) (*program, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	l := &graph.Logical{Name: name, DefaultParallelism: e.opts.Parallelism, MaxParallelism: e.opts.MaxParallelism,
		DisableChaining: e.opts.DisableChaining, Edges: e.timestampEdges()}
	p := &program{}
	for _, n := range e.nodes {
		l.Nodes = append(l.Nodes, n.gn)
		p.factories = append(p.factories, n.factory)
	}
	g, err := graph.Build(l)
	if err != nil {
		return nil, fmt.Errorf("build job: %w", err)
	}
	p.g = g
	return p, nil
}

// Execute runs the job according to the binary's role: locally in-process
// when run directly (until the job ends or the process is interrupted),
// printing the job graph in the plan role, or as a TaskManager.
func (e *Environment) Execute(name string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return e.ExecuteContext(ctx, name)
}

// ExecuteContext is Execute with a context; ending ctx cancels the job.
func (e *Environment) ExecuteContext(ctx context.Context, name string) error {
	p, err := e.program(name)
	if err != nil {
		return err
	}
	switch role := os.Getenv(contract.EnvRole); role {
	case "", contract.RoleLocal:
		return localcluster.Run(ctx, localcluster.Options{Program: p, TaskManagers: e.opts.LocalTaskManagers, Slots: e.opts.LocalSlots,
			RestartAttempts: e.opts.Restart.Attempts, RestartDelay: e.opts.Restart.Delay, Logger: e.log})
	case contract.RolePlan:
		b, err := p.g.Marshal()
		if err != nil {
			return err
		}
		if f := os.Getenv(contract.EnvPlanFile); f != "" {
			return os.WriteFile(f, append(b, '\n'), 0o644)
		}
		_, err = e.stdout.Write(append(b, '\n'))
		return err
	case contract.RoleTaskManager:
		return taskexec.RunProcess(ctx, taskexec.ProcessOptions{Program: p, Logger: e.opts.Logger, Console: e.log})
	default:
		return fmt.Errorf("%s=%q: unknown role (want %s, %s or %s)", contract.EnvRole, role, contract.RoleLocal, contract.RolePlan, contract.RoleTaskManager)
	}
}
