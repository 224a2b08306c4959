package taskexec

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
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
	Logger         zerolog.Logger
}

// RunRemote runs a TaskManager that registers with the JobManager at
// opts.JobManagerAddress, runs what it is told and exchanges records over
// TCP, until ctx ends, the JobManager releases it, or the JobManager stays
// unreachable for JobManagerTimeout.
func RunRemote(ctx context.Context, opts RemoteOptions) error {
	if opts.JobManagerAddress == "" {
		return fmt.Errorf("taskmanager %s: no JobManager address", opts.ID)
	}
	x, err := NewNetExchange(ctx, NetExchangeOptions{TaskManager: opts.ID, Secret: opts.Secret,
		NetworkMemory: opts.NetworkMemory, ListenAddr: opts.DataListenAddr, Logger: opts.Logger})
	if err != nil {
		return fmt.Errorf("taskmanager %s: data plane: %w", opts.ID, err)
	}
	defer x.Close()
	client := api.NewClient(opts.JobManagerAddress, opts.Secret)
	client.HTTP = &http.Client{Timeout: 30 * time.Second}
	gw := &httpGateway{c: client}
	tm, err := New(ctx, Options{ID: opts.ID, Slots: opts.Slots, Program: opts.Program, Exchange: x,
		DataAddress: x.DataAddress(), JobManager: gw, HeartbeatInterval: 20 * time.Millisecond,
		JobManagerTimeout: opts.JobManagerTimeout, Logger: opts.Logger})
	if err != nil {
		return err
	}
	gw.tm = tm
	return tm.Run(ctx)
}

// httpGateway reaches the JobManager over the control API. Its heartbeat
// is a long poll that also brings the JobManager's commands.
type httpGateway struct {
	c  *api.Client
	tm *TaskManager
}

func (g *httpGateway) Register(ctx context.Context, reg api.Registration) (api.RegistrationReply, error) {
	var reply api.RegistrationReply
	err := g.c.Do(ctx, http.MethodPost, "/v1/taskmanagers/register", reg, &reply)
	return reply, err
}

func (g *httpGateway) Heartbeat(ctx context.Context, id string) (bool, error) {
	var cmds api.Commands
	if err := g.c.Do(ctx, http.MethodPost, "/v1/taskmanagers/poll", api.Poll{Version: api.Version, TaskManager: id, WaitMillis: 1000}, &cmds); err != nil {
		return true, err
	}
	// Deploys first: a cancel in the same reply may be for a task deployed
	// in it (the JobManager only cancels what it deployed).
	for _, d := range cmds.Deploy {
		if err := g.tm.Deploy(ctx, d); err != nil {
			g.tm.report(api.TaskUpdate{Job: d.Job, Attempt: d.Attempt, Vertex: d.Vertex, Subtask: d.Subtask, State: api.Failed, Cause: err.Error()})
		}
	}
	for _, c := range cmds.Cancel {
		_ = g.tm.Cancel(ctx, c)
	}
	if cmds.Shutdown {
		g.tm.Shutdown()
		return false, nil
	}
	return true, nil
}

func (g *httpGateway) UpdateTask(ctx context.Context, u api.TaskUpdate) error {
	return g.c.Do(ctx, http.MethodPost, "/v1/taskmanagers/update", u, nil)
}
