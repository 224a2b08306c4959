package taskexec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/metrics"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// RemoteOptions configure a TaskManager process of a remote JobManager.
type RemoteOptions struct {
	ID                string
	Slots             int
	JobManagerAddress string
	Secret            []byte
	Program           runtime.Program
	// NetworkMemory is the network buffer budget in bytes.
	NetworkMemory     int64
	JobManagerTimeout time.Duration
	// DataListenAddr is where the data server listens (default
	// 127.0.0.1:0; in a YARN container NM_HOST:0, so that TaskManagers on
	// other nodes reach it).
	DataListenAddr string
	// LocalDir is the folder state backends keep their files in (pebble);
	// in a YARN container one of $LOCAL_DIRS, empty: the system's.
	LocalDir string
	// Container, Pool and JobStoreDir let the TaskManager follow an
	// ApplicationMaster failover (failover.go): its YARN container, the
	// pool it was started for, and the job store naming the JobManager of
	// the newest attempt. Without them it never leaves its JobManager.
	Container   string
	Pool        string
	JobStoreDir string
	// LogDir is the folder of the TaskManager's log files (in a YARN
	// container: the first of LOG_DIRS), listed and served to the REST API.
	LogDir string
	// PrometheusPorts, when set, serves the TaskManager's metrics to
	// Prometheus on the first free port of it (metrics.reporter.prom.port)
	// on the data listener's host.
	PrometheusPorts string
	Logger          zerolog.Logger
}

// RunRemote runs a TaskManager that registers with the JobManager at
// opts.JobManagerAddress over a control channel (api.Dial), runs what it
// is pushed and exchanges records over TCP, until ctx ends, the JobManager
// releases it, or the JobManager stays unreachable for JobManagerTimeout.
func RunRemote(ctx context.Context, opts RemoteOptions) error {
	if opts.JobManagerAddress == "" {
		return fmt.Errorf("taskmanager %s: no JobManager address", opts.ID)
	}
	x, err := NewNetExchange(ctx, NetExchangeOptions{TaskManager: opts.ID, Secret: opts.Secret,
		NetworkMemory: opts.NetworkMemory, ListenAddr: opts.DataListenAddr, Logger: opts.Logger})
	if err != nil {
		return fmt.Errorf("taskmanager %s: data plane: %w", opts.ID, err)
	}
	defer func() { _ = x.Close() }() // teardown: the TaskManager's tasks have ended
	gctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	gw := &channelGateway{addr: opts.JobManagerAddress, secret: opts.Secret, ctx: gctx, stop: stop,
		container: opts.Container, pool: opts.Pool, storeDir: opts.JobStoreDir,
		log: opts.Logger.With().Str("component", "control-channel").Str("tm", opts.ID).Logger()}
	defer gw.Close()
	tmo := Options{ID: opts.ID, Slots: opts.Slots, Program: opts.Program, Exchange: x,
		DataAddress: x.DataAddress(), JobManager: gw, JobManagerTimeout: opts.JobManagerTimeout, LocalDir: opts.LocalDir, Logger: opts.Logger,
		Metrics: metrics.NewRegistry(), LogDir: opts.LogDir}
	if opts.PrometheusPorts != "" {
		stopProm, err := servePrometheus(ctx, &tmo, opts.DataListenAddr, opts.PrometheusPorts)
		if err != nil {
			return fmt.Errorf("taskmanager %s: %w", opts.ID, err)
		}
		defer stopProm()
	}
	tm, err := New(ctx, tmo)
	if err != nil {
		return err
	}
	gw.tm = tm
	return tm.Run(ctx)
}

// errReleased is returned once the JobManager sent MsgShutdown or refused
// a reconnect.
var errReleased = errors.New("released by the JobManager")

// channelGateway reaches the JobManager over one control channel, which it
// reopens (and re-registers on) when it drops. Commands are pushed to it
// and handed to the TaskManager as they arrive; the channel sends its own
// heartbeats, so Heartbeat only checks the channel and reconnects.
type channelGateway struct {
	addr   string // guarded by mu once running (followLeader moves it)
	secret []byte
	// container, pool, storeDir: see RemoteOptions (failover.go).
	container, pool, storeDir string
	log                       zerolog.Logger
	tm                        *TaskManager
	// ctx ends the channel and any reconnect when the gateway closes.
	ctx  context.Context
	stop context.CancelFunc

	dial     sync.Mutex // one (re)connect at a time
	mu       sync.Mutex
	reg      api.Registration // the first registration, for reconnects
	ch       *api.Channel
	released bool
	closed   bool
	wg       sync.WaitGroup // the channel readers
}

func (g *channelGateway) Register(ctx context.Context, reg api.Registration) (api.RegistrationReply, error) {
	g.mu.Lock()
	g.reg = reg
	g.mu.Unlock()
	return g.connect(ctx, reg)
}

// connect dials, registers and starts reading the new channel.
func (g *channelGateway) connect(ctx context.Context, reg api.Registration) (api.RegistrationReply, error) {
	g.mu.Lock()
	addr := g.addr
	g.mu.Unlock()
	ch, reply, err := api.Dial(ctx, addr, g.secret, reg)
	if err != nil {
		return reply, err
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		_ = ch.Close()
		return reply, api.ErrClosed
	}
	g.ch = ch
	g.wg.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		err := ch.Run(g.ctx, g.handle)
		g.mu.Lock()
		if g.ch == ch {
			g.ch = nil
		}
		g.mu.Unlock()
		if err == nil || errors.Is(err, errReleased) || g.ctx.Err() != nil {
			return
		}
		g.log.Warn().Err(err).Msg("control channel lost; reconnecting")
		// At once, rather than at the TaskManager's next heartbeat check
		// (which retries until JobManagerTimeout if this fails); a
		// TaskManager that can follow a failover keeps trying every
		// 500 ms, so it finds the new attempt's JobManager as soon as it
		// serves.
		for {
			_, err := g.channel(g.ctx)
			if err == nil || errors.Is(err, errReleased) || errors.Is(err, api.ErrClosed) || g.ctx.Err() != nil {
				return
			}
			// The JobManager is gone: has another attempt taken over?
			if ok, ferr := g.followLeader(g.ctx); ok || errors.Is(ferr, errReleased) {
				return
			}
			g.log.Warn().Err(err).Msg("reconnect")
			if g.storeDir == "" || sleepCtx(g.ctx, 500*time.Millisecond) != nil {
				return
			}
			g.mu.Lock()
			again := g.ch == nil && !g.released
			g.mu.Unlock()
			if !again {
				return
			}
		}
	}()
	return reply, nil
}

// handle takes one frame from the JobManager.
func (g *channelGateway) handle(f api.Frame) error {
	ctx := g.tm.base
	switch f.Type {
	case api.MsgHeartbeat:
	case api.MsgDeploy:
		var d api.DeployTask
		if err := f.Decode(&d); err != nil {
			return err
		}
		if err := g.tm.Deploy(ctx, d); err != nil {
			g.tm.report(api.TaskUpdate{Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex, Subtask: d.Subtask, State: api.Failed, Cause: err.Error()})
		}
	case api.MsgCancel:
		var c api.CancelTask
		if err := f.Decode(&c); err != nil {
			return err
		}
		_ = g.tm.Cancel(ctx, c)
	case api.MsgShutdown:
		g.mu.Lock()
		g.released = true
		g.mu.Unlock()
		g.tm.Shutdown()
		return errReleased
	case api.MsgTriggerCheckpoint:
		var t api.TriggerCheckpoint
		if err := f.Decode(&t); err != nil {
			return err
		}
		_ = g.tm.TriggerCheckpoint(ctx, t)
	case api.MsgNotifyCheckpoint:
		var n api.NotifyCheckpoint
		if err := f.Decode(&n); err != nil {
			return err
		}
		_ = g.tm.NotifyCheckpoint(ctx, n)
	case api.MsgLogRequest:
		var req api.LogRequest
		if err := f.Decode(&req); err != nil {
			return err
		}
		g.mu.Lock()
		ch := g.ch
		g.mu.Unlock()
		if ch != nil {
			_ = ch.Send(api.MsgLogReply, g.tm.readLog(req))
		}
	default:
		return fmt.Errorf("%w: unexpected %s from the JobManager", api.ErrFrame, f.Type)
	}
	return nil
}

// channel returns the open channel, reconnecting (with Reconnect set) when
// it dropped; errReleased once the JobManager let this TaskManager go.
func (g *channelGateway) channel(ctx context.Context) (*api.Channel, error) {
	g.mu.Lock()
	ch, released, reg := g.ch, g.released, g.reg
	g.mu.Unlock()
	if released {
		return nil, errReleased
	}
	if ch != nil {
		return ch, nil
	}
	g.dial.Lock()
	defer g.dial.Unlock()
	g.mu.Lock()
	ch = g.ch
	g.mu.Unlock()
	if ch != nil {
		return ch, nil
	}
	reg.Reconnect = true
	if _, err := g.connect(ctx, reg); err != nil {
		if errors.Is(err, api.ErrRemote) {
			// The JobManager no longer knows this TaskManager.
			g.mu.Lock()
			g.released = true
			g.mu.Unlock()
			g.log.Info().Err(err).Msg("reconnect refused")
			return nil, errReleased
		}
		return nil, err
	}
	g.log.Info().Msg("control channel reconnected")
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		return nil, fmt.Errorf("control channel to %s dropped at once", g.addr)
	}
	return g.ch, nil
}

// Heartbeat checks the channel (its heartbeats flow on their own) and
// reopens it when it dropped; false once the JobManager released this
// TaskManager.
func (g *channelGateway) Heartbeat(ctx context.Context, _ string) (bool, error) {
	_, err := g.channel(ctx)
	if errors.Is(err, errReleased) {
		return false, nil
	}
	return true, err
}

// UpdateTask pushes a subtask's state at once, reconnecting if needed.
func (g *channelGateway) UpdateTask(ctx context.Context, u api.TaskUpdate) error {
	ch, err := g.channel(ctx)
	if err != nil {
		return err
	}
	return ch.Send(api.MsgTaskUpdate, u)
}

// AcknowledgeCheckpoint sends a subtask's acknowledgement.
func (g *channelGateway) AcknowledgeCheckpoint(ctx context.Context, a api.AcknowledgeCheckpoint) error {
	if g.tm.isAbandoned(a.Job, a.Attempt, a.Vertex, a.Subtask) {
		return nil // for a JobManager that failed over (failover.go)
	}
	ch, err := g.channel(ctx)
	if err != nil {
		return err
	}
	return ch.Send(api.MsgAcknowledgeCheckpoint, a)
}

// DeclineCheckpoint sends a subtask's decline.
func (g *channelGateway) DeclineCheckpoint(ctx context.Context, d api.DeclineCheckpoint) error {
	if g.tm.isAbandoned(d.Job, d.Attempt, d.Vertex, d.Subtask) {
		return nil
	}
	ch, err := g.channel(ctx)
	if err != nil {
		return err
	}
	return ch.Send(api.MsgDeclineCheckpoint, d)
}

// Close closes the channel and waits for its reader.
func (g *channelGateway) Close() {
	g.stop()
	g.mu.Lock()
	g.closed = true
	ch := g.ch
	g.mu.Unlock()
	if ch != nil {
		_ = ch.Close()
	}
	g.wg.Wait()
}
