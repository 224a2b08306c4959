package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/urfave/cli/v2"
)

// yarnRun is one `floe run -t yarn-*` invocation.
type yarnRun struct {
	c           *cli.Context
	cfg         *conf.Config
	target      string
	bin         string // local absolute path, or hdfs:// URI (application mode)
	args        []string
	parallelism int
	detached    bool
	out         io.Writer
}

// runOnYarn dispatches the yarn targets of `floe run`.
func runOnYarn(ctx context.Context, r yarnRun) error {
	if r.bin == "" {
		return errors.New("run: no job binary given")
	}
	if !strings.HasPrefix(r.bin, "hdfs://") {
		abs, err := filepath.Abs(r.bin)
		if err != nil {
			return err
		}
		r.bin = abs
	}
	if r.target != targetYarnSession {
		// The job's own cluster reads these options: refuse bad ones
		// (checkpointing on without state.checkpoints.dir, rocksdb) before
		// anything is deployed.
		if _, err := jobmanager.JobCheckpointingFrom(jobmanager.ConfigLookup(r.cfg)); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	switch r.target {
	case targetYarnPerJob:
		return r.perJob(ctx)
	case targetYarnApplication:
		return r.application(ctx)
	case targetYarnSession:
		return r.session(ctx)
	}
	return fmt.Errorf("run: unknown target %q", r.target)
}

func (r yarnRun) perJob(ctx context.Context) error {
	// Deploy checks the binary, then plans it here.
	return r.deployAndWatch(ctx, client.DeploySpec{
		Mode: contract.ModePerJob, JobBinary: r.bin, JobArgs: r.args, PlanOut: os.Stdout,
		Parallelism: client.Parallelism(r.cfg, r.parallelism),
	})
}

func (r yarnRun) application(ctx context.Context) error {
	return r.deployAndWatch(ctx, client.DeploySpec{
		Mode: contract.ModeApplication, JobBinary: r.bin, JobArgs: r.args,
		Parallelism: client.Parallelism(r.cfg, r.parallelism),
	})
}

// deployAndWatch deploys a per-job or application cluster and follows its
// only job.
func (r yarnRun) deployAndWatch(ctx context.Context, spec client.DeploySpec) error {
	env, err := newYarnEnv(ctx, r.c, r.cfg)
	if err != nil {
		return err
	}
	defer env.Close()
	planned := checkPlannedJob(r.c.App.ErrWriter, r.cfg, env.store, true)
	spec.Check = planned
	start := time.Now()
	if savepoint := savepointCheck(r.cfg, env.store); savepoint != nil && spec.Mode == contract.ModePerJob {
		spec.Check = func(ctx context.Context, g []byte) error {
			if err := planned(ctx, g); err != nil {
				return err
			}
			if len(g) == 0 {
				return nil
			}
			return savepoint(ctx, g)
		}
	}
	dep, err := env.desc.Deploy(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "Submitted application %s (%s uploaded)\n", dep.App, humanBytes(dep.Uploaded))
	rep, err := env.desc.WaitRunning(ctx, dep.App)
	if err != nil {
		return err
	}
	cc, err := client.Connect(rep, dep.Secret)
	if err != nil {
		return err
	}
	env.desc.Follow(cc, r.out) // across an ApplicationMaster failover
	fmt.Fprintf(r.out, "JobManager web interface: %s\nYARN tracking URL: %s\n", cc.WebAddress(), rep.TrackingURL)
	if r.detached {
		fmt.Fprintf(r.out, "Application %s, job %s (%s) submitted; detached.\n", dep.App, dep.JobID, dep.JobName)
		return nil
	}
	fmt.Fprintf(r.out, "Job %q has id %s (took %.1fs to deploy)\n", dep.JobName, dep.JobID, time.Since(start).Seconds())
	return r.watch(ctx, env, cc, dep.JobID, true)
}

// watch follows a job to its end. ownsCluster: the application ends with
// the job (per-job, application).
func (r yarnRun) watch(ctx context.Context, env *yarnEnv, cc *client.ClusterClient, id string, ownsCluster bool) error {
	stopProgress := startProgress(ctx, cc, id, r.out)
	j, err := cc.WatchJob(ctx, id, 500*time.Millisecond, r.out)
	stopProgress()
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted: cancel the job (which ends a per-job cluster).
			wctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if _, cerr := cc.Cancel(wctx, id); cerr == nil {
				j, _ = cc.WatchJob(wctx, id, 200*time.Millisecond, io.Discard)
			}
			return fmt.Errorf("interrupted: job %s cancelled (now %s)", id, j.State)
		}
		if ownsCluster {
			// The JobManager went away: the application ended with the
			// job, and YARN's final status says how.
			return r.appEnded(ctx, env, cc.App, err)
		}
		return err
	}
	if ownsCluster {
		// The AM ends the application after the job; report its end.
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		rep, aerr := env.desc.WaitEnd(wctx, cc.App)
		cancel()
		var appErr *client.ApplicationError
		switch {
		case aerr == nil:
			fmt.Fprintf(r.out, "Application %s ended %s (final status %s)\n", cc.App, rep.State, rep.FinalStatus)
		case errors.As(aerr, &appErr) && j.State == api.JobFinished:
			return aerr
		case appErr != nil:
			// The job's own failure below says why; the report says how
			// the application ended.
			fmt.Fprintf(r.out, "Application %s ended %s (final status %s)\n", cc.App, appErr.Report.State, appErr.Report.FinalStatus)
		}
	}
	if j.State != api.JobFinished {
		msg := fmt.Sprintf("job %s %s", id, j.State)
		if j.Cause != "" {
			msg += ": " + j.Cause
		}
		if ex := client.FormatExceptions(j.Exceptions); ex != "" {
			msg += "\nException history:\n" + strings.TrimRight(ex, "\n")
		}
		return errors.New(msg)
	}
	return nil
}

// appEnded explains why the JobManager went away: the application's final
// report with diagnostics and the AM's log lines.
func (r yarnRun) appEnded(ctx context.Context, env *yarnEnv, app yarnrpc.ApplicationID, cause error) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	rep, err := env.desc.WaitEnd(wctx, app)
	if err != nil {
		if client.IsApplicationError(err) {
			return err
		}
		return fmt.Errorf("%v (application %s: %v)", cause, app, err)
	}
	// SUCCEEDED: the AM ends a per-job or application cluster SUCCEEDED
	// only when its job FINISHED.
	fmt.Fprintf(r.out, "Job FINISHED; application %s %s (%s)\n", app, rep.State, rep.FinalStatus)
	return nil
}

// session submits the job to a running session: the binary goes to the
// content-addressed cache, the client plans the job and submits the graph.
func (r yarnRun) session(ctx context.Context) error {
	app, fromFile, err := resolveAppID(r.cfg)
	if err != nil {
		return err
	}
	if fromFile {
		fmt.Fprintf(r.out, "Using the YARN session %s from %s\n", app, propertiesPath(r.cfg))
	}
	restart, err := jobmanager.ParseRestartStrategy(r.cfg, nil)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	ckp, err := jobmanager.SubmissionConfig(r.cfg)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	env, err := newYarnEnv(ctx, r.c, r.cfg)
	if err != nil {
		return err
	}
	defer env.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	cc, err := env.desc.Retrieve(rctx, app)
	cancel()
	if err != nil {
		if fromFile {
			return fmt.Errorf("%w\nThe YARN properties file %s names this session; remove it if the session is gone, or pass -t local", err, propertiesPath(r.cfg))
		}
		return err
	}
	st, err := env.desc.SubmitToSession(ctx, cc, client.SessionSubmission{
		Job:     client.NewJob(r.cfg, r.bin, r.args, r.parallelism),
		Restart: restart, Config: ckp, PlanOut: os.Stdout,
		Check: checkPlannedJob(r.c.App.ErrWriter, r.cfg, env.store, false),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "Job %q submitted to session %s with id %s (%s uploaded)\n", st.Name, app, st.ID, humanBytes(st.Uploaded))
	if r.detached {
		return nil
	}
	return r.watch(ctx, env, cc, st.ID, false)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
