package stream

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/am/hdts"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// runTaskManager runs this binary as a TaskManager of the JobManager named
// in the environment (conf's env-var contract).
func (e *Environment) runTaskManager(ctx context.Context, p *program) error {
	id := os.Getenv(contract.EnvTaskManagerID)
	addr := os.Getenv(contract.EnvJobManagerAddress)
	switch {
	case id == "":
		return fmt.Errorf("taskmanager role: %s is not set", contract.EnvTaskManagerID)
	case addr == "":
		return fmt.Errorf("taskmanager role: %s is not set", contract.EnvJobManagerAddress)
	}
	secret, err := taskManagerSecret()
	if err != nil {
		return fmt.Errorf("taskmanager role: %w", err)
	}
	slots := 1
	if s := os.Getenv(contract.EnvTaskManagerSlots); s != "" {
		if slots, err = strconv.Atoi(s); err != nil || slots <= 0 {
			return fmt.Errorf("taskmanager role: %s=%q: want a positive number", contract.EnvTaskManagerSlots, s)
		}
	}
	var netMem int64
	if s := os.Getenv(contract.EnvNetworkMemory); s != "" {
		if netMem, err = strconv.ParseInt(s, 10, 64); err != nil {
			return fmt.Errorf("taskmanager role: %s=%q: %w", contract.EnvNetworkMemory, s, err)
		}
	}
	var jmTimeout time.Duration
	if s := os.Getenv(contract.EnvJobManagerTimeout); s != "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("taskmanager role: %s=%q: %w", contract.EnvJobManagerTimeout, s, err)
		}
		jmTimeout = time.Duration(ms) * time.Millisecond
	}
	log := e.log
	if e.opts.Logger == nil {
		l, closer, err := containerLogger(os.Getenv(yarnrpc.EnvLogDirs), contract.LogTaskManager)
		if err != nil {
			return fmt.Errorf("taskmanager role: %w", err)
		}
		if closer != nil {
			defer closer.Close()
			log = l
		}
	}
	log = log.With().Str("tm", id).Logger()
	var dataAddr string
	if h := os.Getenv(yarnrpc.EnvNMHost); h != "" {
		dataAddr = net.JoinHostPort(h, "0")
	}
	return taskexec.RunRemote(ctx, taskexec.RemoteOptions{ID: id, Slots: slots, JobManagerAddress: addr, Secret: secret,
		Program: p, NetworkMemory: netMem, JobManagerTimeout: jmTimeout, DataListenAddr: dataAddr, Logger: log})
}

// taskManagerSecret reads the per-application secret: from the 0600 file
// named by FLOE_SECRET_FILE (process driver), else from the YARN container's
// token file under contract.SecretAlias.
func taskManagerSecret() ([]byte, error) {
	if f := os.Getenv(contract.EnvSecretFile); f != "" {
		return api.ReadSecretFile(f)
	}
	if f := os.Getenv(yarnrpc.EnvTokenFile); f != "" {
		s, err := hdts.ReadSecretFile(f, contract.SecretAlias)
		if err != nil {
			return nil, fmt.Errorf("application secret: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("no application secret: set %s, or run in a YARN container whose credentials hold %q (%s)",
		contract.EnvSecretFile, contract.SecretAlias, yarnrpc.EnvTokenFile)
}

// containerLogger opens <first of logDirs>/name for zerolog JSON at info
// level (or FLOE_LOG_LEVEL). With no logDirs (not in a container) it
// returns a nil closer and the caller keeps its logger.
func containerLogger(logDirs, name string) (zerolog.Logger, io.Closer, error) {
	dir, _, _ := strings.Cut(logDirs, ",")
	if dir == "" {
		return zerolog.Logger{}, nil, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return zerolog.Logger{}, nil, fmt.Errorf("container log: %w", err)
	}
	lvl, err := contract.LogLevel(os.Getenv, zerolog.InfoLevel)
	if err != nil {
		f.Close()
		return zerolog.Logger{}, nil, fmt.Errorf("container log: %w", err)
	}
	return zerolog.New(f).Level(lvl).With().Timestamp().Logger(), f, nil
}
