package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/standalone"
	"github.com/urfave/cli/v2"
)

// runCommand is `floe run`: run a job binary locally, or plan it and
// submit it to a running JobManager. Flink 1.x's flags work too
// (flinkRunFlags): `floe run -m yarn-cluster -p 4 -c com.example.MyJob ./job`.
func runCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "target", Aliases: []string{"t"}, Value: "local", Usage: "where the job runs: local, remote, yarn-session, yarn-per-job or yarn-application"},
		&cli.StringFlag{Name: "jobmanager", Aliases: []string{"m"}, Usage: "JobManager `host:port` (remote), or yarn-cluster (per-job on YARN, as Flink 1.x)"},
		&cli.IntFlag{Name: "parallelism", Aliases: []string{"p"}, Usage: "default parallelism of the job"},
		&cli.BoolFlag{Name: "detached", Aliases: []string{"d"}, Usage: "submit and return without waiting for the job"},
		dynamicFlag(),
	}
	return &cli.Command{
		Name:      "run",
		Usage:     "run a job binary: locally, on a JobManager (-m host:port), or on YARN (-t yarn-per-job, yarn-session, yarn-application; -m yarn-cluster)",
		ArgsUsage: "JOB_BINARY [args…]",
		Flags:     append(flags, flinkRunFlags()...),
		Action:    runJob,
	}
}

// runSpec is what one `floe run` runs, resolved from its flags and the
// configuration before anything starts.
type runSpec struct {
	cfg         *conf.Config
	target      string
	bin         string
	args        []string
	parallelism int
	detached    bool
	// dynamic are the -D options, handed to a local run's job binary.
	dynamic []string
}

// parseRun resolves `floe run`'s flags, Flink's included, into a runSpec;
// warnings about ignored flags and options go to standard error.
func parseRun(c *cli.Context) (runSpec, error) {
	if c.NArg() < 1 {
		return runSpec{}, errors.New("run: no job binary given (floe run [flags] JOB_BINARY [args…])")
	}
	dyn, err := flinkDynamic(c, c.App.ErrWriter)
	if err != nil {
		return runSpec{}, err
	}
	cfg, err := loadConfig(c, dyn)
	if err != nil {
		return runSpec{}, err
	}
	return runSpec{cfg: cfg, target: runTarget(c, cfg), bin: c.Args().First(), args: c.Args().Tail(),
		parallelism: c.Int("parallelism"), detached: c.Bool("detached") || c.Bool("yd"), dynamic: dyn}, nil
}

func runJob(c *cli.Context) error {
	r, err := parseRun(c)
	if err != nil {
		return err
	}
	cfg := r.cfg
	if strings.HasPrefix(r.target, "yarn-") {
		ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runOnYarn(ctx, yarnRun{c: c, cfg: cfg, target: r.target, bin: r.bin, args: r.args,
			parallelism: r.parallelism, detached: r.detached, out: c.App.Writer})
	}
	bin, err := filepath.Abs(r.bin)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return fmt.Errorf("run: job binary %s: not a file (%v)", bin, err)
	}
	job := client.NewJob(cfg, bin, r.args, r.parallelism)
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch r.target {
	case "local":
		cmd := exec.Command(bin, job.Args...)
		cmd.Env = append(append(os.Environ(), job.Env()...), contract.EnvRole+"="+contract.RoleLocal)
		// -D reaches the job binary, which reads floe-conf.yaml itself.
		if d := contract.DynamicPropertiesEnv(r.dynamic); d != "" {
			cmd.Env = append(cmd.Env, d)
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		// The child gets the terminal's signals itself and cancels its job.
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %s: %w", filepath.Base(bin), err)
		}
		return nil
	case "remote":
		return runRemote(ctx, c, cfg, job, r.detached)
	default:
		return fmt.Errorf("run: target %q: want local, remote, yarn-session, yarn-per-job or yarn-application", r.target)
	}
}

func runRemote(ctx context.Context, c *cli.Context, cfg *conf.Config, job client.Job, detached bool) error {
	addr := c.String("jobmanager")
	if addr == "" || addr == jobManagerYarnCluster {
		return errors.New("run -t remote: no JobManager address (-m host:port)")
	}
	jm, err := remoteClient(addr)
	if err != nil {
		return fmt.Errorf("run -m %s: %w", addr, err)
	}
	// Unset: the JobManager's default strategy applies.
	restart, err := jobmanager.ParseRestartStrategy(cfg, nil)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	ckp, err := jobmanager.SubmissionConfig(cfg)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	g, err := job.Plan(ctx, os.Stdout)
	if err != nil {
		return err
	}
	// The JobManager may be on another host: it gets the binary itself,
	// and serves it to the TaskManagers (standalone blob store).
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	ref, err := standalone.Upload(sctx, jm, job.Binary)
	if err != nil {
		cancel()
		return err
	}
	sub := api.SubmitJob{Graph: g, Binary: ref, Args: job.Args, Env: job.Env(), Restart: restart, Config: ckp}
	st, err := jm.Submit(sctx, sub)
	cancel()
	if err != nil {
		return fmt.Errorf("submit to %s: %w", addr, err)
	}
	fmt.Fprintf(c.App.Writer, "Job %q submitted with id %s\n", st.Name, st.ID)
	if pg, ckp, err := plannedCheckpointing(g, cfg); err == nil {
		warnGuarantees(c.App.ErrWriter, pg, ckp)
	}
	if detached {
		return nil
	}
	stopProgress := startProgress(ctx, &client.ClusterClient{Addr: addr, JM: jm}, st.ID, c.App.Writer)
	st, err = jm.Wait(ctx, st.ID, 250*time.Millisecond)
	stopProgress()
	if err != nil {
		// Interrupted: cancel the job and wait a bounded time for it.
		wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, cerr := jm.Cancel(wctx, st.ID); cerr == nil {
			st, _ = jm.Wait(wctx, st.ID, 100*time.Millisecond)
		}
		return fmt.Errorf("job %s: %w (now %s)", st.ID, err, st.State)
	}
	fmt.Fprintf(c.App.Writer, "Job %s %s\n", st.ID, st.State)
	if st.State != api.JobFinished {
		return fmt.Errorf("job %s %s: %s", st.ID, st.State, st.Cause)
	}
	return nil
}

// runTarget is -t; else -m as Flink 1.x reads it (yarn-cluster: per-job
// on YARN, or the session yarn.application.id names; host:port: remote);
// else execution.target, else yarn-session when a YARN properties file
// exists (Flink's properties-file mode), else local.
func runTarget(c *cli.Context, cfg *conf.Config) string {
	if c.IsSet("target") {
		return c.String("target")
	}
	switch m := c.String("jobmanager"); {
	case m == jobManagerYarnCluster && cfg.String(conf.YarnApplicationID) != "":
		return targetYarnSession
	case m == jobManagerYarnCluster:
		return targetYarnPerJob
	case m != "":
		return "remote"
	}
	if t := cfg.String(conf.ExecutionTarget); t != "" {
		return t
	}
	if cfg.String(conf.YarnApplicationID) != "" {
		return targetYarnSession
	}
	if _, err := os.Stat(propertiesPath(cfg)); err == nil {
		return targetYarnSession
	}
	return "local"
}
