package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
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

// envList is the FLOE_PARALLELISM setting for the plan role.
func (r yarnRun) envList() []string {
	if r.parallelism > 0 {
		return []string{contract.EnvParallelism + "=" + strconv.Itoa(r.parallelism)}
	}
	if explicitlySet(r.cfg, conf.ParallelismDefault) {
		return []string{contract.EnvParallelism + "=" + strconv.Itoa(r.cfg.Int(conf.ParallelismDefault))}
	}
	return nil
}

func (r yarnRun) effectiveParallelism() int {
	if r.parallelism > 0 {
		return r.parallelism
	}
	if explicitlySet(r.cfg, conf.ParallelismDefault) {
		return r.cfg.Int(conf.ParallelismDefault)
	}
	return 0
}

func (r yarnRun) perJob(ctx context.Context) error {
	// Check the binary before running it as the plan role.
	if strings.HasPrefix(r.bin, "hdfs://") {
		return fmt.Errorf("run -t yarn-per-job: %s: per-job mode plans the job on this machine; use -t yarn-application for a job binary on HDFS", r.bin)
	}
	if err := client.CheckJobBinary(r.bin, client.ClusterPlatform("")); err != nil {
		return err
	}
	g, err := planJob(ctx, r.bin, r.args, r.envList())
	if err != nil {
		return err
	}
	return r.deployAndWatch(ctx, client.DeploySpec{
		Mode: contract.ModePerJob, JobBinary: r.bin, JobArgs: r.args, JobGraph: g,
		JobName: graphName(g), Parallelism: r.effectiveParallelism(),
	})
}

func (r yarnRun) application(ctx context.Context) error {
	return r.deployAndWatch(ctx, client.DeploySpec{
		Mode: contract.ModeApplication, JobBinary: r.bin, JobArgs: r.args,
		JobName: filepath.Base(r.bin), Parallelism: r.effectiveParallelism(),
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
	start := time.Now()
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
	fmt.Fprintf(r.out, "JobManager web interface: %s\nYARN tracking URL: %s\n", cc.WebAddress(), rep.TrackingURL)
	jctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	job, err := cc.FirstJob(jctx, 250*time.Millisecond)
	cancel()
	if err != nil {
		return r.appEnded(ctx, env, dep.App, err)
	}
	if r.detached {
		fmt.Fprintf(r.out, "Application %s, job %s (%s) submitted; detached.\n", dep.App, job.ID, job.Name)
		return nil
	}
	fmt.Fprintf(r.out, "Job %q has id %s (took %.1fs to deploy)\n", job.Name, job.ID, time.Since(start).Seconds())
	return r.watch(ctx, env, cc, job.ID, true)
}

// watch follows a job to its end. ownsCluster: the application ends with
// the job (per-job, application).
func (r yarnRun) watch(ctx context.Context, env *yarnEnv, cc *client.ClusterClient, id string, ownsCluster bool) error {
	j, err := cc.WatchJob(ctx, id, 500*time.Millisecond, r.out)
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
		if aerr == nil {
			fmt.Fprintf(r.out, "Application %s %s (%s)\n", cc.App, rep.State, rep.FinalStatus)
		} else if j.State == api.JobFinished && client.IsApplicationError(aerr) {
			return aerr
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
	if strings.HasPrefix(r.bin, "hdfs://") {
		return fmt.Errorf("run -t yarn-session: %s: the client plans the job, so give a local job binary", r.bin)
	}
	if err := client.CheckJobBinary(r.bin, client.ClusterPlatform("")); err != nil {
		return err
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
	g, err := planJob(ctx, r.bin, r.args, r.envList())
	if err != nil {
		return err
	}
	cache := &client.Cache{Store: env.store, Root: env.desc.Root()}
	staged, err := cache.Put(ctx, r.bin, nil)
	if err != nil {
		return err
	}
	uri, err := env.store.Qualify(staged.Path)
	if err != nil {
		return err
	}
	sub := api.SubmitJob{Graph: g, Binary: uri, Args: r.args, Env: r.envList()}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	st, err := cc.Submit(sctx, sub)
	cancel()
	if err != nil {
		return fmt.Errorf("submit to session %s: %w", app, err)
	}
	fmt.Fprintf(r.out, "Job %q submitted to session %s with id %s (%s uploaded)\n", st.Name, app, st.ID, humanBytes(staged.Uploaded))
	if r.detached {
		return nil
	}
	return r.watch(ctx, env, cc, st.ID, false)
}

// graphName reads the job name from a job graph's JSON.
func graphName(g []byte) string {
	var h struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(g, &h)
	return h.Name
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
