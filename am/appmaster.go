package am

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	// KillCleanupTimeout bounds the work on SIGTERM, asking the RM and the
	// staging delete (default 200 ms: the NodeManager sends SIGKILL about
	// 250 ms after SIGTERM).
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

// Run is the ApplicationMaster: it reads its credentials, connects to HDFS,
// the ResourceManager and the NodeManagers, listens for the JobManager
// endpoint, and serves (see appMaster.serve): register with the
// ResourceManager (host NM_HOST, the JobManager REST port, tracking URL
// http://NM_HOST:port/), serve the JobManager with the YARN driver, run the
// per-job or application job or wait for session jobs, then remove the
// staging folder and unregister with SUCCEEDED, FAILED or KILLED. When ctx
// ends first (SIGTERM) it deletes the staging folder at once if the RM
// says the application was killed (appMaster.killed), logs after, and
// returns a Killed result. Every goroutine
// it starts has ended when it returns.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Config == nil || opts.Hadoop == nil {
		return Result{}, errors.New("am: Config and Hadoop are required")
	}
	a, err := newAppMaster(opts) // the configuration is checked before connecting
	if err != nil {
		return Result{}, err
	}
	env, cfg, base := a.opts.Env, a.opts.Config, a.base

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

	store, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: opts.Hadoop, User: env.User, Logger: base})
	if err != nil {
		return Result{}, fmt.Errorf("am: %w", err)
	}
	defer func() { _ = store.Close() }() // read-side client teardown: nothing buffered to lose
	// Connect now: on SIGTERM the delete must not wait for a handshake.
	if _, err := store.Stat(ctx, env.StagingDir); err != nil {
		a.log.Warn().Err(err).Str("staging", env.StagingDir).Msg("staging folder not readable")
	}

	port := 0
	if src, ok := cfg.Source(conf.RestPort); ok && src.Kind != conf.SourceDefault {
		port = cfg.Int(conf.RestPort)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(env.NMHost, strconv.Itoa(port)))
	if err != nil {
		return Result{}, fmt.Errorf("am: JobManager endpoint: %w", err)
	}
	defer func() { _ = ln.Close() }() // the endpoint closes it too; this covers the exits before it serves

	amrm, err := yarnrpc.NewAMRMClient(ctx, yarnrpc.AMRMClientOptions{Hadoop: opts.Hadoop, Token: &amrmToken,
		Host: env.NMHost, RPCPort: int32(listenPort(ln)), TrackingURL: trackingURL(ln, env.NMHost), Logger: base})
	if err != nil {
		return Result{}, fmt.Errorf("am: %w", err)
	}
	defer func() { _ = amrm.Close() }()
	nm, err := yarnrpc.NewNMClient(ctx, yarnrpc.NMClientOptions{Tokens: amrm.NMToken, Logger: base})
	if err != nil {
		return Result{}, fmt.Errorf("am: %w", err)
	}
	defer func() { _ = nm.Close() }()
	attempts, closeAttempts := newAttemptReports(ctx, opts.Hadoop, env.User, creds, base)
	defer closeAttempts()
	a.out = outside{rm: amrm, nm: nm, store: store, jobFS: store, ln: ln, secret: secret, attempts: attempts}
	return a.serve(ctx)
}

func listenPort(ln net.Listener) int {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	n, _ := strconv.Atoi(port)
	return n
}

// trackingURL is the JobManager's web address the ResourceManager links
// to: NM_HOST and the port ln listens on.
func trackingURL(ln net.Listener, host string) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(listenPort(ln))) + "/"
}

// resourceManager is the part of yarnrpc.AMRMClient the ApplicationMaster
// uses: registration, the driver's allocate heartbeat, unregistration.
type resourceManager interface {
	Allocator
	Register(ctx context.Context) (yarnrpc.RegisterResponse, error)
	Finish(ctx context.Context, status yarnrpc.FinalStatus, diagnostics, trackingURL string) error
}

// stagingStore is the part of hdfsstore.Store the ApplicationMaster uses:
// the job binary's metadata for launches and the staging folder's removal.
type stagingStore interface {
	Stat(ctx context.Context, path string) (hdfsstore.FileInfo, error)
	RemoveAll(ctx context.Context, path string) error
	User() string
}

// outside is what the ApplicationMaster talks to. Run connects the real
// ResourceManager, NodeManagers and HDFS; tests pass fakes.
type outside struct {
	rm     resourceManager
	nm     Launcher
	store  stagingStore
	ln     net.Listener // the JobManager endpoint, listening on NM_HOST
	secret []byte
	// jobFS holds the job store (HDFS); nil runs without one (tests).
	jobFS jobStoreFS
	// attempts reports how a former attempt ended (nil: unknown).
	attempts attemptReports
}

type appMaster struct {
	opts     Options
	log      zerolog.Logger
	base     zerolog.Logger // without the appmaster tags, for the parts it builds
	out      outside
	drv      *Driver
	jm       *jobmanager.JobManager
	restart  api.RestartStrategy
	shutOnce sync.Once
	shutdown chan string
	// haDir is the job store's folder; recovered are the jobs a former
	// attempt recorded (set by takeOver).
	haDir     string
	recovered []recoveredJob
	adoptable []yarnrpc.Container // former attempts' containers to adopt
}

// newAppMaster fills defaults and checks the configuration; the caller
// sets out.
func newAppMaster(opts Options) (*appMaster, error) {
	if opts.WorkDir == "" {
		opts.WorkDir = "."
	}
	if opts.KillCleanupTimeout <= 0 {
		opts.KillCleanupTimeout = 200 * time.Millisecond
	}
	restart, err := RestartStrategy(opts.Config)
	if err != nil {
		return nil, fmt.Errorf("am: %w", err)
	}
	env := opts.Env
	base := opts.Logger.With().Str("app_id", env.Container.App().String()).Logger()
	log := base.With().Str("component", "appmaster").Str("container_id", env.Container.String()).Str("mode", string(env.Mode)).Logger()
	return &appMaster{opts: opts, log: log, base: base, restart: restart, shutdown: make(chan string, 1)}, nil
}

// serve is the ApplicationMaster's life once connected. Its exits:
//
//   - registration fails: an error; nothing is removed (YARN may start
//     another attempt, which needs the staging folder) and there is nothing
//     to unregister;
//   - TaskManagers do not fit the cluster, or the driver, JobManager or
//     endpoint cannot be built: FAILED;
//   - the job ends, or a session is shut down: the job's final status;
//   - the ResourceManager ends the attempt: an error, nothing removed;
//   - ctx ends (SIGTERM): the staging folder is removed within
//     KillCleanupTimeout when the application was killed (killed), no
//     unregistration, a Killed result.
//
// Every unregistering exit removes the staging folder first (finish). The
// goroutines (driver, JobManager, endpoint, mode) are joined on every exit
// by the deferred stop.
func (a *appMaster) serve(ctx context.Context) (Result, error) {
	cfg, env := a.opts.Config, a.opts.Env
	reg, err := a.out.rm.Register(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("am: %w", err)
	}
	a.log.Info().Str("tracking_url", trackingURL(a.out.ln, env.NMHost)).Str("queue", reg.Queue).Stringer("max_container", reg.MaxCapability).
		Int("attempt", env.Attempt()).Int("attempts", env.Attempts).Int("previous_attempt_containers", len(reg.PreviousAttemptContainers)).
		Msg("registered with the ResourceManager")
	rec, err := a.takeOver(ctx, reg)
	if err != nil {
		// Nothing is removed: a later attempt needs the staging folder
		// and the job store.
		return Result{}, fmt.Errorf("am: %w", err)
	}

	tmRes := TaskManagerResource(cfg)
	if reg.MaxCapability.MemoryMB > 0 && (tmRes.MemoryMB > reg.MaxCapability.MemoryMB || tmRes.VCores > reg.MaxCapability.VCores) {
		diag := fmt.Sprintf("TaskManager containers of %v exceed the cluster's maximum container size %v (lower %s or %s)",
			tmRes, reg.MaxCapability, conf.TaskManagerProcessSize, conf.YarnContainersVcores)
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: diag})
	}

	launch := &TaskManagerLaunch{Stat: a.out.store.Stat, Secret: a.out.secret, NetworkMemory: int64(cfg.Memory(conf.TaskManagerNetworkMemory)),
		JobManagerTimeout: cfg.Duration(conf.HeartbeatTimeout), User: a.out.store.User(), Ship: env.ShipFiles,
		Tokens: newFreshTokens(a.opts.Hadoop, a.base)}
	if lvl := os.Getenv(contract.EnvLogLevel); lvl != "" {
		launch.Env = map[string]string{contract.EnvLogLevel: lvl}
	}
	if a.haDir != "" {
		// TaskManagers that lose this JobManager find the next attempt's
		// there (adopt.go).
		if launch.Env == nil {
			launch.Env = map[string]string{}
		}
		launch.Env[contract.EnvJobStoreDir] = a.haDir
	}
	drv, err := NewDriver(DriverOptions{Allocator: a.out.rm, Launcher: a.out.nm, LaunchContext: launch.Build, Resource: tmRes, Logger: a.base})
	if err != nil {
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()})
	}
	a.drv = drv
	drv.SetAdoptable(a.adoptable, AdoptGrace)
	advertised := net.JoinHostPort(env.NMHost, strconv.Itoa(listenPort(a.out.ln)))
	// Checkpoints go through the AM's store (the cluster's HDFS, as the
	// application's user); tests with a fake store get the JobManager's
	// default (local paths).
	var ckStorage jobmanager.CheckpointStorage
	if st, ok := a.out.store.(*hdfsstore.Store); ok {
		ckStorage = jobmanager.StoreCheckpointStorage(st)
	}
	jmOpts := jobmanager.Options{Driver: drv, Core: CoreOptions(cfg), Address: advertised, Logger: a.base, CheckpointStorage: ckStorage,
		TaskManagerIDPrefix: taskManagerIDPrefix(env.Attempt())}
	if rec != nil {
		jmOpts.Recorder = rec
	}
	jm, err := jobmanager.New(ctx, jmOpts)
	if err != nil {
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()})
	}
	a.jm = jm
	srv, err := jobmanager.NewServer(jm, jobmanager.ServerOptions{Listener: a.out.ln, Secret: a.out.secret, DefaultRestart: a.restart,
		OpenReads: true, Shutdown: a.requestShutdown, Mode: string(env.Mode), Heartbeat: jobmanager.HeartbeatTiming(cfg), Logger: a.base,
		Config: jobmanager.ConfigLookup(cfg), ConfigEntries: jobmanager.ConfigEntries(cfg),
		LogDir: env.LogDir})
	if err != nil {
		return a.finish(ctx, Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()})
	}

	if env.Mode == contract.ModeSession {
		// Before the endpoint serves: a client never sees the session
		// without the jobs it had.
		a.resumeSessionJobs(ctx)
	}

	// The parts run on runCtx, not ctx: on SIGTERM the staging folder goes
	// first and they stop after. Every exit from here joins them.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	defer func() {
		stopRun()
		wg.Wait()
	}()
	drvErr := make(chan error, 1)
	outcome := make(chan Result, 1)
	wg.Add(5)
	go func() { defer wg.Done(); drvErr <- drv.Run(runCtx) }()
	go func() { defer wg.Done(); _ = jm.Run(runCtx) }()
	go func() {
		defer wg.Done()
		if err := srv.Serve(runCtx); err != nil {
			a.log.Error().Err(err).Msg("JobManager endpoint failed")
		}
	}()
	go func() { defer wg.Done(); outcome <- a.runMode(runCtx) }()
	go func() {
		// Connect to the RM's client protocol now (authentication
		// included): on SIGTERM killed has ~200 ms to ask it.
		defer wg.Done()
		if env.Attempts == 1 {
			return
		}
		if _, err := a.attemptState(runCtx); err != nil {
			a.log.Warn().Err(err).Msg("no attempt report from the ResourceManager; on SIGTERM the staging folder is kept (the client's sweep removes it)")
		}
	}()
	a.log.Info().Str("address", advertised).Msg("JobManager serving")

	var res Result
	select {
	case <-ctx.Done():
		return a.killed(), nil
	case err := <-drvErr:
		return Result{}, fmt.Errorf("am: %w", err)
	case res = <-outcome:
	}
	drv.ReleaseAll()
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := drv.Heartbeat(hctx); err != nil { // sends the releases
		a.log.Debug().Err(err).Msg("final heartbeat")
	}
	cancel()
	// The JobManager's storage work (the job's final state in the job
	// store, checkpoint deletions) ends before the staging folder goes:
	// a write after the removal would make the folder again.
	stopRun()
	wg.Wait()
	return a.finish(ctx, res)
}

// killed is the SIGTERM exit. The NodeManager follows SIGTERM with SIGKILL
// within ~250 ms, so everything here fits in KillCleanupTimeout and is
// logged after. With a single attempt (yarn.application-attempts=1) YARN
// never starts another, so SIGTERM ends the application: the staging
// folder and the job store go. With more, SIGTERM alone does not say the
// application ends: a NodeManager that stops kills its containers too (exit
// status ABORTED), and YARN then starts another attempt that does not count
// against the attempts, even after the "last" one; it needs both. So the
// AM asks the RM for its attempt's state: KILLED, which the RM sets before
// it stops the AM only when the application is killed (yarn application
// -kill, a lifetime timeout), removes both; anything else, or no answer in
// time, keeps them for the next attempt, or for the client's sweep when
// none comes.
func (a *appMaster) killed() Result {
	staging, env := a.opts.Env.StagingDir, a.opts.Env
	res := Result{Status: yarnrpc.FinalKilled, Diagnostics: "killed", Killed: true}
	dctx, cancel := context.WithTimeout(context.Background(), a.opts.KillCleanupTimeout)
	defer cancel()
	var state yarnrpc.AttemptState
	if env.Attempts > 1 {
		var asked error
		if state, asked = a.attemptState(dctx); state != yarnrpc.AttemptKilled {
			a.log.Warn().Err(asked).Stringer("attempt_state", state).Str("staging", staging).Int("attempt", env.Attempt()).Int("attempts", env.Attempts).
				Msg("SIGTERM, and the ResourceManager does not say the application was killed; kept the staging folder and the job store for another attempt (the client's sweep removes them once the application ended)")
			return res
		}
	}
	err := a.out.store.RemoveAll(dctx, staging)
	var haErr error
	if a.jobStoreOutsideStaging() {
		haErr = a.out.store.RemoveAll(dctx, a.haDir)
	}
	a.log.Warn().Err(err).AnErr("job_store_error", haErr).Str("staging", staging).Stringer("attempt_state", state).
		Msg("killed (SIGTERM); removed the staging folder and the job store")
	return res
}

// jobStoreOutsideStaging reports whether the job store is a folder of its
// own (high-availability.storageDir), removed apart from the staging folder.
func (a *appMaster) jobStoreOutsideStaging() bool {
	return a.haDir != "" && !strings.HasPrefix(a.haDir, strings.TrimRight(a.opts.Env.StagingDir, "/")+"/")
}

// attemptState asks the ResourceManager for this attempt's state.
func (a *appMaster) attemptState(ctx context.Context) (yarnrpc.AttemptState, error) {
	if a.out.attempts == nil {
		return 0, errors.New("no ResourceManager client for attempt reports")
	}
	rep, err := a.out.attempts(ctx, a.opts.Env.Container.Attempt)
	return rep.State, err
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
	err := a.out.store.RemoveAll(dctx, staging)
	cancel()
	if err != nil {
		a.log.Error().Err(err).Str("staging", staging).Msg("could not remove the staging folder")
	} else {
		a.log.Info().Str("staging", staging).Msg("removed the staging folder")
	}
	if a.jobStoreOutsideStaging() {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := a.out.store.RemoveAll(dctx, a.haDir); err != nil {
			a.log.Error().Err(err).Str("job_store", a.haDir).Msg("could not remove the job store")
		}
		cancel()
	}
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.out.rm.Finish(fctx, res.Status, res.Diagnostics, ""); err != nil {
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
		if r, ok := a.recoveredJob(env.JobID); ok {
			if r.Final != nil {
				a.log.Info().Str("job", r.Final.ID).Str("state", string(r.Final.State)).Msg("the job had ended before this attempt; ending the application")
				return JobResult(*r.Final)
			}
			return a.waitJob(ctx, r.Sub)
		}
		var g *graph.JobGraph
		var err error
		if env.Mode == contract.ModePerJob {
			g, err = readGraph(filepath.Join(a.opts.WorkDir, contract.FileJobGraph))
		} else {
			g, err = planInContainer(ctx, a.opts.WorkDir, env, a.opts.Config)
		}
		if err != nil {
			a.log.Error().Err(err).Msg("no job graph")
			return Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()}
		}
		// The job's code wins over the cluster's configuration, and a job
		// whose code turns checkpointing on restarts as a checkpointing one.
		jcfg, err := jobmanager.JobConfig(g, a.opts.Config)
		if err != nil {
			return Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()}
		}
		lookup := jobmanager.ConfigLookup(jcfg)
		ckp, err := jobmanager.JobCheckpointingFrom(lookup)
		if err != nil {
			return Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()}
		}
		restart, err := RestartStrategy(jcfg)
		if err != nil {
			return Result{Status: yarnrpc.FinalFailed, Diagnostics: err.Error()}
		}
		sub := jobmanager.Submission{ID: env.JobID, Graph: g, Pool: env.JobBinary, Binary: env.JobBinary, Args: env.JobArgs, Restart: restart,
			Checkpointing: ckp}
		sub.SavepointPath, sub.AllowNonRestored = jobmanager.SavepointSubmission(lookup)
		sub.Env = jobBinaryEnv(env, a.opts.Config)
		return a.waitJob(ctx, sub)
	}
	return Result{Status: yarnrpc.FinalFailed, Diagnostics: fmt.Sprintf("unknown mode %q", env.Mode)}
}

// waitJob submits the job of a per-job or application cluster and waits
// for its end (or a shutdown request, which cancels it).
func (a *appMaster) waitJob(ctx context.Context, sub jobmanager.Submission) Result {
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
