package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/internal/consolelog"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/standalone"
	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
)

// taskManagerCommand is `floe taskmanager`: a standalone cluster's worker
// on this host (scripts/taskmanager.sh starts it). It offers
// taskmanager.numberOfTaskSlots slots to the JobManager named by
// jobmanager.rpc.address and rest.port, and runs the TaskManagers it is
// asked for from the job binaries the JobManager serves.
func taskManagerCommand() *cli.Command {
	return &cli.Command{
		Name:  "taskmanager",
		Usage: "offer this host's slots to a standalone JobManager and run its TaskManagers",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "jobmanager", Aliases: []string{"m"}, Usage: "JobManager `host:port` (default jobmanager.rpc.address:rest.port)"},
			&cli.StringFlag{Name: "dir", Usage: "working `folder`: job binary cache, TaskManager logs (default ./floe-taskmanager)"},
			&cli.StringFlag{Name: "id", Usage: "worker id (default host plus a digest of --dir)"},
			&cli.StringFlag{Name: "secret-file", Usage: "the cluster's 0600 secret file (default $" + contract.EnvSecretFile + ", else " + standalone.SecretFileName + " in the configuration folder)"},
			dynamicFlag(),
		},
		Action: runTaskManagerWorker,
	}
}

func runTaskManagerWorker(c *cli.Context) error {
	cfg, err := loadConfig(c, dynamicArgs(c))
	if err != nil {
		return err
	}
	addr := c.String("jobmanager")
	if addr == "" {
		addr = net.JoinHostPort(cfg.String(conf.JobManagerRPCAddress), strconv.Itoa(cfg.Int(conf.RestPort)))
	}
	secretFile := c.String("secret-file")
	if secretFile == "" {
		if secretFile, err = standalone.FindSecretFile(os.Getenv, addr); err != nil {
			return fmt.Errorf("taskmanager: %w", err)
		}
	}
	secret, err := api.ReadSecretFile(secretFile)
	if err != nil {
		return fmt.Errorf("taskmanager: %w", err)
	}
	dir := c.String("dir")
	if dir == "" {
		dir = "floe-taskmanager"
	}
	if dir, err = absDir(dir); err != nil {
		return fmt.Errorf("taskmanager: %w", err)
	}
	host := cfg.String(conf.TaskManagerHost)
	if host == "" {
		if host, err = localHostFor(addr); err != nil {
			return fmt.Errorf("taskmanager: %w", err)
		}
	}
	lvl, err := contract.LogLevel(os.Getenv, zerolog.InfoLevel)
	if err != nil {
		return fmt.Errorf("taskmanager: %w", err)
	}
	log := consolelog.New(os.Stderr, lvl)
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return standalone.RunWorker(ctx, standalone.WorkerOptions{JobManager: addr, Secret: secret, SecretFile: secretFile,
		ID: c.String("id"), Host: host, Slots: cfg.Int(conf.TaskManagerSlots), Dir: dir,
		RegistrationTimeout: cfg.Duration(conf.TaskManagerRegistration), Logger: log})
}

// localHostFor is the local address this host reaches addr from: where
// TaskManagers on other hosts can reach this one's data ports.
func localHostFor(addr string) (string, error) {
	conn, err := net.Dial("udp", addr) // no packet is sent: this only picks the route
	if err != nil {
		return "", fmt.Errorf("pick the local address towards %s: %w (set %s)", addr, err, conf.TaskManagerHost)
	}
	defer func() { _ = conn.Close() }()
	ua, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		return "", errors.New("unexpected local address type")
	}
	return ua.IP.String(), nil
}

func absDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s: not a folder", dir)
	}
	return filepath.Abs(dir)
}
