// Command dshell is a Go distributed shell: a YARN ApplicationMaster that
// asks for containers on given nodes, runs a shell command in each through
// the NodeManagers, collects their exit statuses and unregisters with a
// diagnostics line listing them. integration/dshell_test.go builds it,
// uploads it to HDFS and submits it as the AM of an application.
//
// It reads its AMRMToken from $HADOOP_TOKEN_FILE_LOCATION and the RM
// scheduler address from $HADOOP_CONF_DIR, like any Floe AM.
//
// Flags:
//
//	-nodes name=rack,...  scheduler node names (host:port) and their racks
//	-per-node N           containers per node (default 2)
//	-mem MB               container memory (default 128)
//	-fail-index I         the container (0-based, in launch order) that exits with -fail-code
//	-fail-code C          its exit code (default 3)
//	-await-resync D       after the work, keep heartbeating until the AM had to
//	                      re-register (RM restart), then run one more container;
//	                      fail if no restart is seen within D; progress is 0.75
//	                      while waiting
//
// Diagnostics on success: "dshell ok: <container>@<node>=<exit> ...; nodes=<n>
// reregistered=<k> attempt=<attempt id from the AMRMToken>".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

type node struct{ name, rack string }

type config struct {
	nodes       []node
	perNode     int
	memMB       int64
	failIndex   int
	failCode    int
	awaitResync time.Duration
	timeout     time.Duration
}

func main() {
	var cfg config
	var nodes string
	flag.StringVar(&nodes, "nodes", "", "scheduler node names and racks: name=rack,...")
	flag.IntVar(&cfg.perNode, "per-node", 2, "containers per node")
	flag.Int64Var(&cfg.memMB, "mem", 128, "container memory in MiB")
	flag.IntVar(&cfg.failIndex, "fail-index", 2, "index of the container that fails (-1 none)")
	flag.IntVar(&cfg.failCode, "fail-code", 3, "exit code of the failing container")
	flag.DurationVar(&cfg.awaitResync, "await-resync", 0, "wait this long for an RM restart after the work")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "overall bound")
	flag.Parse()
	for _, f := range strings.Split(nodes, ",") {
		if f == "" {
			continue
		}
		name, rack, _ := strings.Cut(f, "=")
		if rack == "" {
			rack = yarnrpc.DefaultRack
		}
		cfg.nodes = append(cfg.nodes, node{name, rack})
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).With().Timestamp().
		Str("container_id", os.Getenv("CONTAINER_ID")).Logger()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	if err := run(ctx, cfg, log); err != nil {
		log.Error().Err(err).Msg("dshell failed")
		os.Exit(1)
	}
}

// am holds the AM's clients and bookkeeping.
type am struct {
	cfg     config
	log     zerolog.Logger
	rm      *yarnrpc.AMRMClient
	nm      *yarnrpc.NMClient
	started map[yarnrpc.ContainerID]yarnrpc.Container
	exits   map[yarnrpc.ContainerID]int32
	order   []yarnrpc.ContainerID
	resyncs int
	attempt yarnrpc.ApplicationAttemptID
}

func run(ctx context.Context, cfg config, log zerolog.Logger) error {
	h, err := conf.LoadHadoop("")
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	if v := os.Getenv("NM_HOST"); v != "" {
		host = v
	}
	rm, err := yarnrpc.NewAMRMClient(ctx, yarnrpc.AMRMClientOptions{
		Hadoop: h, Host: host, RPCPort: 0, Logger: log, DialTimeout: 10 * time.Second, CallTimeout: 30 * time.Second,
	})
	if err != nil {
		return err
	}
	defer rm.Close()
	attempt, err := rm.Attempt()
	if err != nil {
		return err
	}
	log.Info().Str("attempt", attempt.String()).Msg("AMRMToken read from the token file")
	nm, err := yarnrpc.NewNMClient(ctx, yarnrpc.NMClientOptions{Tokens: rm.NMToken, Logger: log, CallTimeout: 30 * time.Second})
	if err != nil {
		return err
	}
	defer nm.Close()
	a := &am{cfg: cfg, log: log, rm: rm, nm: nm, attempt: attempt, started: map[yarnrpc.ContainerID]yarnrpc.Container{}, exits: map[yarnrpc.ContainerID]int32{}}

	reg, err := retryRM(ctx, log, func() (yarnrpc.RegisterResponse, error) { return rm.Register(ctx) })
	if err != nil {
		return err
	}
	log.Info().Str("max", reg.MaxCapability.String()).Str("queue", reg.Queue).Msg("registered")

	work := func() error {
		capab := yarnrpc.Resource{MemoryMB: cfg.memMB, VCores: 1}
		for _, n := range cfg.nodes {
			rm.AddRequest(yarnrpc.ContainerRequest{Priority: 1, Capability: capab, Nodes: []string{n.name},
				NodeRacks: []string{n.rack}, Strict: true}, int32(cfg.perNode))
		}
		if err := a.runContainers(ctx, len(cfg.nodes)*cfg.perNode, 1, capab); err != nil {
			return err
		}
		if cfg.awaitResync > 0 {
			if err := a.awaitResync(ctx); err != nil {
				return err
			}
			rm.AddRequest(yarnrpc.ContainerRequest{Priority: 2, Capability: capab}, 1)
			a.cfg.failIndex = -1
			if err := a.runContainers(ctx, 1, 2, capab); err != nil {
				return err
			}
		}
		return nil
	}
	status, diag := yarnrpc.FinalSucceeded, ""
	if err := work(); err != nil {
		status, diag = yarnrpc.FinalFailed, "dshell failed: "+err.Error()
	} else {
		diag = a.diagnostics()
	}
	log.Info().Str("status", status.String()).Str("diagnostics", diag).Msg("unregistering")
	if _, err := retryRM(ctx, log, func() (struct{}, error) {
		return struct{}{}, rm.Finish(ctx, status, diag, "")
	}); err != nil {
		return err
	}
	if status != yarnrpc.FinalSucceeded {
		return errors.New(diag)
	}
	return nil
}

// runContainers heartbeats until want containers at priority prio were
// allocated, launched and completed.
func (a *am) runContainers(ctx context.Context, want int, prio int32, capab yarnrpc.Resource) error {
	launched, done := 0, 0
	mine := map[yarnrpc.ContainerID]bool{}
	for done < want {
		resp, err := a.allocate(ctx, 0.5*float32(done)/float32(want))
		if err != nil {
			return err
		}
		for _, c := range resp.Allocated {
			if c.Priority != prio || launched >= want {
				a.log.Info().Str("container", c.ID.String()).Msg("releasing surplus container")
				a.rm.Release(c.ID)
				continue
			}
			code := 0
			if len(a.order) == a.cfg.failIndex {
				code = a.cfg.failCode
			}
			cmd := fmt.Sprintf("echo dshell container %s on $NM_HOST:$NM_PORT 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr; exit %d", c.ID, code)
			if err := a.nm.StartContainer(ctx, c, yarnrpc.ContainerLaunchContext{Commands: []string{cmd}}); err != nil {
				return fmt.Errorf("start %s: %w", c.ID, err)
			}
			a.log.Info().Str("container", c.ID.String()).Str("node", c.Node.String()).Int("exit_expected", code).Msg("started")
			a.started[c.ID] = c
			a.order = append(a.order, c.ID)
			mine[c.ID] = true
			launched++
		}
		for _, s := range resp.Completed {
			if !mine[s.ID] {
				continue
			}
			if _, seen := a.exits[s.ID]; seen {
				continue
			}
			a.exits[s.ID] = s.ExitStatus
			done++
			a.log.Info().Str("container", s.ID.String()).Int32("exit", s.ExitStatus).Str("diag", s.Diagnostics).Msg("completed")
		}
		if done < want {
			if err := sleep(ctx, 300*time.Millisecond); err != nil {
				return fmt.Errorf("waiting for containers (%d/%d launched, %d done): %w", launched, want, done, err)
			}
		}
	}
	return nil
}

// awaitProgress is the progress reported while waiting for an RM restart,
// so a test can see from the application report that the AM got there
// (the container phase reports at most 0.5).
const awaitProgress = 0.75

// awaitResync heartbeats until the client had to re-register.
func (a *am) awaitResync(ctx context.Context) error {
	deadline := time.Now().Add(a.cfg.awaitResync)
	for a.resyncs == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("no ResourceManager restart seen within %s", a.cfg.awaitResync)
		}
		if _, err := a.allocate(ctx, awaitProgress); err != nil {
			return err
		}
		if err := sleep(ctx, 300*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// allocate heartbeats, riding out an RM that is down or restarting.
func (a *am) allocate(ctx context.Context, progress float32) (yarnrpc.AllocateResponse, error) {
	resp, err := retryRM(ctx, a.log, func() (yarnrpc.AllocateResponse, error) { return a.rm.Allocate(ctx, progress) })
	if resp.Reregistered {
		a.resyncs++
		a.log.Info().Msg("re-registered after an RM restart")
	}
	return resp, err
}

// retryRM retries f while the RM is unreachable (restart), up to 3 minutes.
func retryRM[T any](ctx context.Context, log zerolog.Logger, f func() (T, error)) (T, error) {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		v, err := f()
		if err == nil || !yarnrpc.IsConnectionError(err) || time.Now().After(deadline) {
			return v, err
		}
		log.Warn().Err(err).Msg("RM unreachable; retrying")
		if err := sleep(ctx, time.Second); err != nil {
			return v, err
		}
	}
}

func (a *am) diagnostics() string {
	nodes := map[string]bool{}
	parts := make([]string, 0, len(a.order))
	for _, id := range a.order {
		c := a.started[id]
		nodes[c.Node.String()] = true
		parts = append(parts, fmt.Sprintf("%s@%s=%d", id, c.Node, a.exits[id]))
	}
	sort.Strings(parts)
	return fmt.Sprintf("dshell ok: %s; nodes=%d reregistered=%d attempt=%s", strings.Join(parts, " "), len(nodes), a.resyncs, a.attempt)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
