package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/am"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/internal/consolelog"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/standalone"
	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
)

// jobManagerCommand is `floe jobmanager`: a JobManager process whose
// TaskManagers are processes of the job binaries on this host (the process
// driver), or with --yarn the ApplicationMaster of a YARN application (the
// am package, whose driver runs TaskManagers in containers).
func jobManagerCommand() *cli.Command {
	return &cli.Command{
		Name:  "jobmanager",
		Usage: "run a JobManager that starts TaskManager processes on this host",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "address", Usage: "control API `host:port` (default 127.0.0.1:<rest.port>)"},
			&cli.StringFlag{Name: "secret-file", Usage: "0600 file holding the application secret (default $" + contract.EnvSecretFile + ")"},
			&cli.StringFlag{Name: "log-dir", Usage: "folder for TaskManager logs (default: this process's stderr)"},
			&cli.BoolFlag{Name: "yarn", Usage: "run as the ApplicationMaster in a YARN container (the Floe client starts it so)"},
			&cli.BoolFlag{Name: "standalone", Usage: "standalone cluster: run jobs in the slots of TaskManagers started with `floe taskmanager` (scripts/taskmanager.sh), start none here"},
			&cli.StringFlag{Name: "job", Usage: "standalone application mode: run this job `BINARY` (arguments after --) and end the cluster with it"},
			&cli.StringFlag{Name: "blob-dir", Usage: "folder for uploaded job binaries (default: a temporary folder removed at exit)"},
			dynamicFlag(),
		},
		Action: runJobManager,
	}
}

func runJobManager(c *cli.Context) error {
	if c.Bool("yarn") {
		return runApplicationMaster(c)
	}
	if c.String("job") != "" && !c.Bool("standalone") {
		return errors.New("jobmanager: --job (application mode) needs --standalone")
	}
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: dynamicArgs(c)})
	if err != nil {
		return err
	}
	secretFile := c.String("secret-file")
	if secretFile == "" {
		secretFile = os.Getenv(contract.EnvSecretFile)
	}
	if secretFile == "" {
		return fmt.Errorf("jobmanager: no secret: pass --secret-file or set %s to a 0600 file", contract.EnvSecretFile)
	}
	secret, err := api.ReadSecretFile(secretFile)
	if err != nil {
		return fmt.Errorf("jobmanager: %w", err)
	}
	addr := c.String("address")
	if addr == "" {
		host := cfg.String(conf.RestAddress)
		if host == "" {
			host = "127.0.0.1"
		}
		addr = net.JoinHostPort(host, strconv.Itoa(cfg.Int(conf.RestPort)))
	}
	lvl, err := contract.LogLevel(os.Getenv, zerolog.InfoLevel)
	if err != nil {
		return fmt.Errorf("jobmanager: %w", err)
	}
	log := consolelog.New(os.Stderr, lvl)

	// The process driver releases idle TaskManagers at once unless the
	// timeout is set explicitly: processes on one host are cheap to start.
	idle := time.Duration(0)
	if explicitlySet(cfg, conf.TaskManagerTimeout) {
		idle = cfg.Duration(conf.TaskManagerTimeout)
	}
	// Outside YARN a failed job fails at once unless restart-strategy.*
	// says otherwise (or checkpointing is on: exponential-delay).
	restart, err := jobmanager.ParseRestartStrategy(cfg, &api.RestartStrategy{})
	if err != nil {
		return fmt.Errorf("jobmanager: %w", err)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	blobs, dropBlobs, err := openBlobStore(c.String("blob-dir"))
	if err != nil {
		return fmt.Errorf("jobmanager: %w", err)
	}
	defer dropBlobs()
	routes := map[string]jobmanager.RawHandler{}
	maps.Copy(routes, blobs.Routes())
	var drv jobmanager.ResourceDriver
	var workers *standalone.Driver
	if c.Bool("standalone") {
		workers = standalone.NewDriver(standalone.DriverOptions{Blobs: blobs, SlotRequestTimeout: cfg.Duration(conf.SlotRequestTimeout),
			WorkerTimeout: cfg.Duration(conf.HeartbeatTimeout), NetworkMemory: int64(cfg.Memory(conf.TaskManagerNetworkMemory)),
			JobManagerTimeout: cfg.Duration(conf.HeartbeatTimeout), Logger: log})
		maps.Copy(routes, workers.Routes())
		drv = workers
		go workers.Run(ctx)
	} else {
		pd, err := jobmanager.NewProcessDriver(jobmanager.ProcessDriverOptions{SecretFile: secretFile, LogDir: c.String("log-dir"),
			NetworkMemory: int64(cfg.Memory(conf.TaskManagerNetworkMemory)), JobManagerTimeout: cfg.Duration(conf.HeartbeatTimeout),
			ResolveBinary: blobs.Resolve, Logger: log})
		if err != nil {
			return err
		}
		defer func() { _ = pd.Close() }() // kills what is left and joins; never fails
		drv = pd
	}
	jm, err := jobmanager.New(ctx, jobmanager.Options{Driver: drv, Logger: log, Core: jobmanager.CoreOptions{
		SlotsPerTaskManager: cfg.Int(conf.TaskManagerSlots), HeartbeatTimeout: cfg.Duration(conf.HeartbeatTimeout), IdleTimeout: idle,
		SlotRequestTimeout: cfg.Duration(conf.SlotRequestTimeout)}})
	if err != nil {
		return err
	}
	srv, err := jobmanager.NewServer(jm, jobmanager.ServerOptions{Addr: addr, Secret: secret, DefaultRestart: *restart,
		Heartbeat: jobmanager.HeartbeatTiming(cfg), Logger: log, Config: jobmanager.ConfigLookup(cfg), Routes: routes,
		ConfigEntries: jobmanager.ConfigEntries(cfg)})
	if err != nil {
		return err
	}
	jm.SetAddress(srv.Addr())
	fmt.Printf("JobManager listening on %s\n", srv.Addr())
	errc := make(chan error, 1)
	// The JobManager runs until a signal, or in application mode until its
	// job ended; an application cluster's workers are told to end first,
	// while the server still answers their polls.
	runCtx, runCancel := context.WithCancel(context.Background())
	defer runCancel()
	go func() { errc <- srv.Serve(runCtx) }()
	jobc := make(chan error, 1)
	jobCtx, jobEnded := context.WithCancel(ctx)
	if bin := c.String("job"); bin != "" {
		go func() {
			jobc <- runApplicationJob(jobCtx, applicationJob{cfg: cfg, addr: srv.Addr(), secret: secret, blobs: blobs,
				bin: bin, args: c.Args().Slice(), out: c.App.Writer})
			jobEnded()
		}()
	} else {
		jobc <- nil
	}
	go func() {
		<-jobCtx.Done()
		if c.String("job") != "" {
			workers.Shutdown("the application's job ended", 5*time.Second)
		}
		runCancel()
	}()
	err = jm.Run(runCtx)
	jobEnded()
	if serr := <-errc; err == nil {
		err = serr
	}
	if jerr := <-jobc; jerr != nil {
		err = jerr
	}
	return err
}

// explicitlySet reports whether key was set by a file or -D, not defaulted.
func explicitlySet(cfg *conf.Config, key string) bool {
	src, ok := cfg.Source(key)
	return ok && src.Kind != conf.SourceDefault
}

// runApplicationMaster is `floe jobmanager --yarn`: the AM container's
// process. It logs zerolog JSON to <LOG_DIRS>/jobmanager.log; stdout and
// stderr (jobmanager.out/.err) get only what happens before the log opens
// and the final error.
func runApplicationMaster(c *cli.Context) error {
	env, err := am.ReadEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("jobmanager --yarn: %w", err)
	}
	lvl, err := contract.LogLevel(os.Getenv, zerolog.InfoLevel)
	if err != nil {
		return fmt.Errorf("jobmanager: %w", err)
	}
	log, closer, err := am.OpenLog(env.LogDir, lvl)
	if err != nil {
		return err
	}
	defer func() {
		// The log is gone with it: stderr (jobmanager.err) is the one place left to tell.
		if err := closer.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "jobmanager --yarn: close log: %v\n", err)
		}
	}()
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: dynamicArgs(c)})
	if err != nil {
		log.Error().Err(err).Msg("configuration")
		return fmt.Errorf("jobmanager --yarn: %w", err)
	}
	hadoop, err := conf.LoadHadoop(env.HadoopConfDir)
	if err != nil {
		log.Error().Err(err).Msg("Hadoop configuration")
		return fmt.Errorf("jobmanager --yarn: %w", err)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := am.Run(ctx, am.Options{Env: env, Config: cfg, Hadoop: hadoop, Logger: log})
	if err != nil {
		log.Error().Err(err).Msg("ApplicationMaster failed")
		return err
	}
	if res.Killed {
		return errors.New("jobmanager --yarn: killed")
	}
	fmt.Printf("application ended: %s: %s\n", res.Status, res.Diagnostics)
	return nil
}
