package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/am"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
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
			dynamicFlag(),
		},
		Action: runJobManager,
	}
}

func runJobManager(c *cli.Context) error {
	if c.Bool("yarn") {
		return runApplicationMaster(c)
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
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.RFC3339}).Level(lvl).With().Timestamp().Logger()

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
	drv, err := jobmanager.NewProcessDriver(jobmanager.ProcessDriverOptions{SecretFile: secretFile, LogDir: c.String("log-dir"),
		NetworkMemory: int64(cfg.Memory(conf.TaskManagerNetworkMemory)), JobManagerTimeout: cfg.Duration(conf.HeartbeatTimeout), Logger: log})
	if err != nil {
		return err
	}
	defer func() { _ = drv.Close() }() // kills what is left and joins; never fails
	jm, err := jobmanager.New(ctx, jobmanager.Options{Driver: drv, Logger: log, Core: jobmanager.CoreOptions{
		SlotsPerTaskManager: cfg.Int(conf.TaskManagerSlots), HeartbeatTimeout: cfg.Duration(conf.HeartbeatTimeout), IdleTimeout: idle}})
	if err != nil {
		return err
	}
	srv, err := jobmanager.NewServer(jm, jobmanager.ServerOptions{Addr: addr, Secret: secret, DefaultRestart: *restart,
		Heartbeat: jobmanager.HeartbeatTiming(cfg), Logger: log, Config: jobmanager.ConfigLookup(cfg),
		ConfigEntries: jobmanager.ConfigEntries(cfg)})
	if err != nil {
		return err
	}
	jm.SetAddress(srv.Addr())
	fmt.Printf("JobManager listening on %s\n", srv.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ctx) }()
	err = jm.Run(ctx)
	stop()
	if serr := <-errc; err == nil {
		err = serr
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
