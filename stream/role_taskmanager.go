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
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// Variables the YARN NodeManager sets in every container.
const (
	envTokenFile = "HADOOP_TOKEN_FILE_LOCATION"
	envNMHost    = "NM_HOST"
	envLogDirs   = "LOG_DIRS"
)

// runTaskManager runs this binary as a TaskManager of the JobManager named
// in the environment (conf's env-var contract).
func (e *Environment) runTaskManager(ctx context.Context, p *program) error {
	id := os.Getenv(conf.EnvTaskManagerID)
	addr := os.Getenv(conf.EnvJobManagerAddress)
	switch {
	case id == "":
		return fmt.Errorf("taskmanager role: %s is not set", conf.EnvTaskManagerID)
	case addr == "":
		return fmt.Errorf("taskmanager role: %s is not set", conf.EnvJobManagerAddress)
	}
	secret, err := taskManagerSecret()
	if err != nil {
		return fmt.Errorf("taskmanager role: %w", err)
	}
	slots := 1
	if s := os.Getenv(api.EnvTaskManagerSlots); s != "" {
		if slots, err = strconv.Atoi(s); err != nil || slots <= 0 {
			return fmt.Errorf("taskmanager role: %s=%q: want a positive number", api.EnvTaskManagerSlots, s)
		}
	}
	var netMem int64
	if s := os.Getenv(api.EnvNetworkMemory); s != "" {
		if netMem, err = strconv.ParseInt(s, 10, 64); err != nil {
			return fmt.Errorf("taskmanager role: %s=%q: %w", api.EnvNetworkMemory, s, err)
		}
	}
	var jmTimeout time.Duration
	if s := os.Getenv(api.EnvJobManagerTimeout); s != "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("taskmanager role: %s=%q: %w", api.EnvJobManagerTimeout, s, err)
		}
		jmTimeout = time.Duration(ms) * time.Millisecond
	}
	log := e.log
	if e.opts.Logger == nil {
		l, closer, err := containerLogger(os.Getenv(envLogDirs), "taskmanager.log")
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
	if h := os.Getenv(envNMHost); h != "" {
		dataAddr = net.JoinHostPort(h, "0")
	}
	return taskexec.RunRemote(ctx, taskexec.RemoteOptions{ID: id, Slots: slots, JobManagerAddress: addr, Secret: secret,
		Program: p, NetworkMemory: netMem, JobManagerTimeout: jmTimeout, DataListenAddr: dataAddr, Logger: log})
}

// taskManagerSecret reads the per-application secret: from the 0600 file
// named by FLOE_SECRET_FILE (process driver), else from the YARN container's
// token file under conf.SecretAlias.
func taskManagerSecret() ([]byte, error) {
	if f := os.Getenv(conf.EnvSecretFile); f != "" {
		return api.ReadSecretFile(f)
	}
	if f := os.Getenv(envTokenFile); f != "" {
		s, err := hdts.ReadSecretFile(f, conf.SecretAlias)
		if err != nil {
			return nil, fmt.Errorf("application secret: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("no application secret: set %s, or run in a YARN container whose credentials hold %q (%s)",
		conf.EnvSecretFile, conf.SecretAlias, envTokenFile)
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
	lvl := zerolog.InfoLevel
	if l, err := zerolog.ParseLevel(os.Getenv("FLOE_LOG_LEVEL")); err == nil && os.Getenv("FLOE_LOG_LEVEL") != "" {
		lvl = l
	}
	return zerolog.New(f).Level(lvl).With().Timestamp().Logger(), f, nil
}
