package am

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// Options configure the ApplicationMaster.
type Options struct {
	Env    ContainerEnv
	Config *conf.Config
	Hadoop *conf.Hadoop
	// WorkDir is the container's work folder, where job.graph and the job
	// binary are localized (default ".").
	WorkDir string
	Logger  zerolog.Logger
	// KillCleanupTimeout bounds the staging delete on SIGTERM (default
	// 200 ms: the NodeManager sends SIGKILL about 250 ms after SIGTERM).
	KillCleanupTimeout time.Duration
}

// Result is how the application ended.
type Result struct {
	Status      yarnrpc.FinalStatus
	Diagnostics string
	// Killed is set when the AM was stopped from outside (ctx ended, i.e.
	// SIGTERM) and did not unregister.
	Killed bool
}

// Run is the ApplicationMaster: it reads its credentials, registers with
// the ResourceManager (host NM_HOST, the JobManager REST port, tracking URL
// http://NM_HOST:port/), serves the JobManager with the YARN driver, runs
// the per-job or application job or waits for session jobs, then removes
// the staging folder and unregisters with SUCCEEDED, FAILED or KILLED. When
// ctx ends first (SIGTERM: the application is killed) it deletes the
// staging folder at once, logs after, and returns a Killed result.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Config == nil || opts.Hadoop == nil {
		return Result{}, errors.New("am: Config and Hadoop are required")
	}
	if opts.WorkDir == "" {
		opts.WorkDir = "."
	}
	if opts.KillCleanupTimeout <= 0 {
		opts.KillCleanupTimeout = 200 * time.Millisecond
	}
	env, cfg := opts.Env, opts.Config
	base := opts.Logger.With().Str("app_id", env.Container.App().String()).Logger()
	log := base.With().Str("component", "appmaster").Str("container_id", env.Container.String()).Str("mode", string(env.Mode)).Logger()

	creds, err := yarnrpc.ReadCredentialsFile(env.TokenFile)
	if err != nil {
		return Result{}, fmt.Errorf("am: %w", err)
	}
	secret, ok := creds.Secret(contract.SecretAlias)
	if !ok || len(secret) < 16 {
		return Result{}, fmt.Errorf("am: the container credentials (%s) hold no application secret %q of at least 16 bytes", env.TokenFile, contract.SecretAlias)
	}
	amrmToken, ok := creds.TokenByKind(yarnrpc.KindAMRMToken)
	if !ok {
		return Result{}, fmt.Errorf("am: the container credentials (%s) hold no %s", env.TokenFile, yarnrpc.KindAMRMToken)
	}
	restart, err := RestartStrategy(cfg)
	if err != nil {
		return Result{}, fmt.Errorf("am: %w", err)
	}

	store, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: opts.Hadoop, User: env.User, Logger: base})
	if err != nil {
		return Result{}, fmt.Errorf("am: %w", err)
	}
	defer store.Close()
	// Connect now: on SIGTERM the delete must not wait for a handshake.
	if _, err := store.Stat(ctx, env.StagingDir); err != nil {
		log.Warn().Err(err).Str("staging", env.StagingDir).Msg("staging folder not readable")
	}

	port := 0
	if src, ok := cfg.Source(conf.RestPort); ok && src.Kind != conf.SourceDefault {
		port = cfg.Int(conf.RestPort)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(env.NMHost, strconv.Itoa(port)))
	if err != nil {
		return Result{}, fmt.Errorf("am: JobManager endpoint: %w", err)
	}
	_, portStr, _ := net.SplitHostPort(ln.Addr().String())
	port, _ = strconv.Atoi(portStr)
	advertised := net.JoinHostPort(env.NMHost, portStr)
	trackingURL := "http://" + advertised + "/"

	amrm, err := yarnrpc.NewAMRMClient(ctx, yarnrpc.AMRMClientOptions{Hadoop: opts.Hadoop, Token: &amrmToken,
		Host: env.NMHost, RPCPort: int32(port), TrackingURL: trackingURL, Logger: base})
	if err != nil {
		ln.Close()
		return Result{}, fmt.Errorf("am: %w", err)
	}
	defer amrm.Close()
	nm, err := yarnrpc.NewNMClient(ctx, yarnrpc.NMClientOptions{Tokens: amrm.NMToken, Logger: base})
	if err != nil {
		ln.Close()
		return Result{}, fmt.Errorf("am: %w", err)
	}
	defer nm.Close()

	reg, err := amrm.Register(ctx)
	if err != nil {
		ln.Close()
		return Result{}, fmt.Errorf("am: %w", err)
	}
	log.Info().Str("tracking_url", trackingURL).Str("queue", reg.Queue).Stringer("max_container", reg.MaxCapability).
		Msg("registered with the ResourceManager")

	a := &appMaster{opts: opts, log: log, store: store, amrm: amrm, secret: secret, restart: restart, shutdown: make(chan string, 1)}
	tmRes := TaskManagerResource(cfg)
	if reg.MaxCapability.MemoryMB > 0 && (tmRes.MemoryMB > reg.MaxCapability.MemoryMB || tmRes.VCores > reg.MaxCapability.VCores) {
		ln.Close()
		diag := fmt.Sprintf("TaskManager containers of %v exceed the cluster's maximum container size %v (lower %s or %s)",
			tmRes, reg.MaxCapability, conf.TaskManagerProcessSize, conf.YarnContainersVcores)
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: diag})
	}

	launch := &TaskManagerLaunch{Stat: store.Stat, Secret: secret, NetworkMemory: int64(cfg.Memory(conf.TaskManagerNetworkMemory)),
		JobManagerTimeout: cfg.Duration(conf.HeartbeatTimeout), User: store.User()}
	if lvl := os.Getenv(contract.EnvLogLevel); lvl != "" {
		launch.Env = map[string]string{contract.EnvLogLevel: lvl}
	}
	drv, err := NewDriver(DriverOptions{Allocator: amrm, Launcher: nm, LaunchContext: launch.Build, Resource: tmRes, Logger: base})
	if err != nil {
		ln.Close()
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()})
	}
	a.drv = drv
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	jm, err := jobmanager.New(runCtx, jobmanager.Options{Driver: drv, Core: CoreOptions(cfg), Address: advertised, Logger: base})
	if err != nil {
		ln.Close()
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()})
	}
	a.jm = jm
	srv, err := jobmanager.NewServer(jm, jobmanager.ServerOptions{Listener: ln, Secret: secret, DefaultRestart: restart,
		OpenReads: true, Shutdown: a.requestShutdown, Mode: string(env.Mode), Logger: base})
	if err != nil {
		ln.Close()
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()})
	}
	var wg sync.WaitGroup
	drvErr := make(chan error, 1)
	wg.Add(3)
	go func() { defer wg.Done(); drvErr <- drv.Run(runCtx) }()
	go func() { defer wg.Done(); _ = jm.Run(runCtx) }()
	go func() {
		defer wg.Done()
		if err := srv.Serve(runCtx); err != nil {
			log.Error().Err(err).Msg("JobManager endpoint failed")
		}
	}()
	log.Info().Str("address", advertised).Msg("JobManager serving")

	outcome := make(chan Result, 1)
	go func() { outcome <- a.runMode(runCtx) }()
	var res Result
	select {
	case <-ctx.Done():
		// Killed: the NodeManager follows SIGTERM with SIGKILL within
		// ~250 ms. Delete first, log after.
		dctx, cancel := context.WithTimeout(context.Background(), opts.KillCleanupTimeout)
		derr := store.RemoveAll(dctx, env.StagingDir)
		cancel()
		log.Warn().Err(derr).Str("staging", env.StagingDir).Msg("killed (SIGTERM); removed the staging folder")
		stopRun()
		return Result{Status: yarnrpc.FinalKilled, Diagnostics: "killed", Killed: true}, nil
	case err := <-drvErr:
		stopRun()
		wg.Wait()
		return Result{}, fmt.Errorf("am: %w", err)
	case res = <-outcome:
	}
	drv.ReleaseAll()
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := drv.Heartbeat(hctx); err != nil { // sends the releases
		log.Debug().Err(err).Msg("final heartbeat")
	}
	cancel()
	res, err = a.finish(ctx, res)
	stopRun()
	wg.Wait()
	return res, err
}

type appMaster struct {
	opts     Options
	log      zerolog.Logger
	store    *hdfsstore.Store
	amrm     *yarnrpc.AMRMClient
	drv      *Driver
	jm       *jobmanager.JobManager
	secret   []byte
	restart  api.RestartStrategy
	shutOnce sync.Once
	shutdown chan string
}

func (a *appMaster) requestShutdown(reason string) {
	a.shutOnce.Do(func() {
		if reason == "" {
			reason = "shutdown requested"
		}
		a.shutdown <- reason
	})
}

// finish removes the staging folder, then unregisters with res.
func (a *appMaster) finish(ctx context.Context, res Result) (Result, error) {
	staging := a.opts.Env.StagingDir
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := a.store.RemoveAll(dctx, staging)
	cancel()
	if err != nil {
		a.log.Error().Err(err).Str("staging", staging).Msg("could not remove the staging folder")
	} else {
		a.log.Info().Str("staging", staging).Msg("removed the staging folder")
	}
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.amrm.Finish(fctx, res.Status, res.Diagnostics, ""); err != nil {
		return res, fmt.Errorf("am: unregister: %w", err)
	}
	a.log.Info().Stringer("final_status", res.Status).Str("diagnostics", res.Diagnostics).Msg("unregistered")
	return res, nil
}

// runMode runs the deployment mode's job(s) to their end.
func (a *appMaster) runMode(ctx context.Context) Result {
	env := a.opts.Env
	switch env.Mode {
	case contract.ModeSession:
		select {
		case reason := <-a.shutdown:
			a.cancelAll(ctx)
			return Result{Status: yarnrpc.FinalSucceeded, Diagnostics: "Floe session shut down: " + reason}
		case <-ctx.Done():
			return Result{Status: yarnrpc.FinalKilled, Diagnostics: "stopped"}
		}
	case contract.ModePerJob, contract.ModeApplication:
		var g *graph.JobGraph
		var err error
		if env.Mode == contract.ModePerJob {
			g, err = readGraph(filepath.Join(a.opts.WorkDir, contract.FileJobGraph))
		} else {
			g, err = planInContainer(ctx, a.opts.WorkDir, env)
		}
		if err != nil {
			a.log.Error().Err(err).Msg("no job graph")
			return Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()}
		}
		sub := jobmanager.Submission{ID: env.JobID, Graph: g, Pool: env.JobBinary, Binary: env.JobBinary, Args: env.JobArgs, Restart: a.restart}
		if env.Parallelism != "" {
			sub.Env = []string{contract.EnvParallelism + "=" + env.Parallelism}
		}
		id, err := a.jm.Submit(ctx, sub)
		if err != nil {
			return Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()}
		}
		done := make(chan api.JobStatus, 1)
		go func() {
			st, _ := a.jm.Wait(ctx, id)
			done <- st
		}()
		var st api.JobStatus
		select {
		case st = <-done:
		case reason := <-a.shutdown:
			a.cancelAll(ctx)
			st = <-done
			st.Cause = reason
		}
		return JobResult(st)
	}
	return Result{Status: yarnrpc.FinalFailed, Diagnostics: fmt.Sprintf("unknown mode %q", env.Mode)}
}

// cancelAll cancels unfinished jobs and waits (bounded) for them to end.
func (a *appMaster) cancelAll(ctx context.Context) {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, j := range a.jm.Jobs() {
		if !j.State.Terminal() {
			_ = a.jm.Cancel(wctx, j.ID)
		}
	}
	for _, j := range a.jm.Jobs() {
		if _, err := a.jm.Wait(wctx, j.ID); err != nil {
			a.log.Warn().Err(err).Str("job", j.ID).Msg("job did not end in time")
		}
	}
}

// JobResult maps a job's final state to the application's final status
// and diagnostics line: FINISHED → SUCCEEDED, FAILED → FAILED, CANCELED →
// KILLED.
func JobResult(st api.JobStatus) Result {
	name := fmt.Sprintf("Floe job %q (%s)", st.Name, st.ID)
	switch st.State {
	case api.JobFinished:
		return Result{Status: yarnrpc.FinalSucceeded, Diagnostics: name + " finished"}
	case api.JobCanceled:
		d := name + " was canceled"
		if st.Cause != "" {
			d += ": " + st.Cause
		}
		return Result{Status: yarnrpc.FinalKilled, Diagnostics: d}
	case api.JobFailed:
		return Result{Status: yarnrpc.FinalFailed, Diagnostics: name + " failed: " + st.Cause}
	}
	return Result{Status: yarnrpc.FinalUndefined, Diagnostics: fmt.Sprintf("%s ended in state %s", name, st.State)}
}
