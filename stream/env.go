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

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/consolelog"
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
	// MaxParallelism is the number of key groups: 0 takes
	// pipeline.max-parallelism from the configuration (default 128).
	MaxParallelism int
	// DisableChaining runs every operator in a task of its own.
	DisableChaining bool
	// LocalTaskManagers and LocalSlots size the in-process cluster of local
	// execution (defaults: 1 TaskManager with as many slots as the job needs).
	LocalTaskManagers int
	LocalSlots        int
	// Restart is the restart strategy of local execution (remote jobs take
	// theirs from the submission). Unset, local execution reads
	// restart-strategy.* from the configuration, as a cluster does.
	Restart RestartStrategy
	// Config holds options set from the job's code (see Configure and
	// EnableCheckpointing); they win over floe-conf.yaml and -D.
	Config map[string]string
	// Stdout receives Print output and the plan (default os.Stdout).
	Stdout io.Writer
	// Logger receives the engine's logs (default: warnings on stderr; in
	// local execution cut to one line each, the full error is returned).
	Logger *zerolog.Logger
	// Progress receives local execution's progress: the job id, state
	// changes, a line every 5 s and the runtime (default os.Stderr;
	// io.Discard for none).
	Progress io.Writer
	// AutoWatermarkInterval is how often periodic watermark generators
	// emit: 0 takes pipeline.auto-watermark-interval from the
	// configuration (default 200 ms).
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
	// pipeline holds the conf.PipelineKeys options: the configuration's
	// (pipelineConfig), then the code's (Configure).
	pipeline *conf.Config
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
	log := consolelog.New(os.Stderr, zerolog.WarnLevel)
	if lvl, err := contract.LogLevel(os.Getenv, zerolog.WarnLevel); err != nil {
		log.Warn().Err(err).Msg("log level ignored")
	} else {
		log = log.Level(lvl)
	}
	if opts.Logger != nil {
		log = *opts.Logger
	}
	// Configure must not write into the caller's map.
	if opts.Config != nil {
		cfg := make(map[string]string, len(opts.Config))
		for k, v := range opts.Config {
			cfg[k] = v
		}
		opts.Config = cfg
	}
	e := &Environment{opts: opts, codecs: runtime.NewCodecRegistry(), keyHashes: map[[2]int]any{}, sideEdges: map[[2]int]sideEdge{}, stdout: opts.Stdout, log: log}
	pipeline, err := pipelineConfig(os.Getenv)
	if err != nil {
		e.fail(err)
		pipeline = conf.New()
	}
	e.pipeline = pipeline
	for k, v := range opts.Config {
		e.setPipeline(k, v)
	}
	return e
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
	maxp, err := e.maxParallelism()
	if err != nil {
		return nil, fmt.Errorf("build job: %w", err)
	}
	l := &graph.Logical{Name: name, DefaultParallelism: e.opts.Parallelism, MaxParallelism: maxp,
		DisableChaining: e.opts.DisableChaining, Config: e.opts.Config, Edges: e.timestampEdges()}
	p := &program{}
	for _, n := range e.nodes {
		n.gn.NonReplayable = n.gn.Kind == "source" && !n.replayable
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
		ckp, restart, promPorts, err := e.localSettings(os.Getenv)
		if err != nil {
			return err
		}
		log, progress := e.log, e.opts.Progress
		if e.opts.Logger == nil {
			log = consolelog.NewOneLine(os.Stderr, e.log.GetLevel())
		}
		if progress == nil {
			progress = os.Stderr
		}
		return localcluster.Run(ctx, localcluster.Options{Program: p, TaskManagers: e.opts.LocalTaskManagers, Slots: e.opts.LocalSlots,
			Restart: restart, Checkpointing: ckp, Logger: log, Progress: progress, PrometheusPorts: promPorts})
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
