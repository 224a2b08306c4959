package taskexec

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// ProcessOptions configure RunProcess.
type ProcessOptions struct {
	// Program is the job this binary built by running main().
	Program runtime.Program
	// Logger, when set, receives the TaskManager's logs. Nil means the
	// container's log file (contract.LogTaskManager in the first of
	// $LOG_DIRS, JSON at $FLOE_LOG_LEVEL or info), or Console outside a
	// YARN container.
	Logger *zerolog.Logger
	// Console is the logger outside a container when Logger is nil.
	Console zerolog.Logger
}

// RunProcess runs this process as a TaskManager of the JobManager its
// environment names (the contract's EnvTaskManagerID, EnvJobManagerAddress,
// EnvTaskManagerSlots, EnvNetworkMemory, EnvJobManagerTimeout), reading
// the application secret from EnvSecretFile or the YARN container's token
// file, until ctx ends or the JobManager releases it (RunRemote).
func RunProcess(ctx context.Context, opts ProcessOptions) error {
	ro, err := remoteOptionsFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("taskmanager role: %w", err)
	}
	ro.Program = opts.Program
	log := opts.Console
	if opts.Logger != nil {
		log = *opts.Logger
	} else {
		l, closer, err := containerLogger(os.Getenv(yarnrpc.EnvLogDirs), contract.LogTaskManager)
		if err != nil {
			return fmt.Errorf("taskmanager role: %w", err)
		}
		if closer != nil {
			defer func() {
				// The log is gone with it: stderr (taskmanager.err) is the one place left to tell.
				if err := closer.Close(); err != nil {
					fmt.Fprintf(os.Stderr, "taskmanager role: close log: %v\n", err)
				}
			}()
			log = l
		}
	}
	ro.Logger = log.With().Str("tm", ro.ID).Logger()
	return RunRemote(ctx, ro)
}

// remoteOptionsFromEnv reads the TaskManager's part of the contract.
func remoteOptionsFromEnv(getenv func(string) string) (RemoteOptions, error) {
	o := RemoteOptions{ID: getenv(contract.EnvTaskManagerID), JobManagerAddress: getenv(contract.EnvJobManagerAddress), Slots: 1,
		Container: getenv(yarnrpc.EnvContainerID), Pool: getenv(contract.EnvTaskManagerPool), JobStoreDir: getenv(contract.EnvJobStoreDir),
		PrometheusPorts: getenv(contract.EnvPrometheusPorts)}
	o.LogDir, _, _ = strings.Cut(getenv(yarnrpc.EnvLogDirs), ",")
	switch {
	case o.ID == "":
		return o, fmt.Errorf("%s is not set", contract.EnvTaskManagerID)
	case o.JobManagerAddress == "":
		return o, fmt.Errorf("%s is not set", contract.EnvJobManagerAddress)
	}
	var err error
	if o.Secret, err = processSecret(getenv); err != nil {
		return o, err
	}
	if s := getenv(contract.EnvTaskManagerSlots); s != "" {
		if o.Slots, err = strconv.Atoi(s); err != nil || o.Slots <= 0 {
			return o, fmt.Errorf("%s=%q: want a positive number", contract.EnvTaskManagerSlots, s)
		}
	}
	if s := getenv(contract.EnvNetworkMemory); s != "" {
		if o.NetworkMemory, err = strconv.ParseInt(s, 10, 64); err != nil {
			return o, fmt.Errorf("%s=%q: %w", contract.EnvNetworkMemory, s, err)
		}
	}
	if s := getenv(contract.EnvJobManagerTimeout); s != "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return o, fmt.Errorf("%s=%q: %w", contract.EnvJobManagerTimeout, s, err)
		}
		o.JobManagerTimeout = time.Duration(ms) * time.Millisecond
	}
	o.LocalDir = containerLocalDir(getenv(yarnrpc.EnvLocalDirs), o.ID)
	// In a YARN container, listen on the NodeManager's host so that
	// TaskManagers on other nodes reach the data port.
	if h := getenv(yarnrpc.EnvNMHost); h != "" {
		o.DataListenAddr = net.JoinHostPort(h, "0")
	}
	// A standalone TaskManager listens on its worker's host.
	if h := getenv(contract.EnvTaskManagerHost); h != "" {
		o.DataListenAddr = net.JoinHostPort(h, "0")
	}
	return o, nil
}

// containerLocalDir picks the folder of localDirs (the container's
// $LOCAL_DIRS) that a TaskManager's state backends use, spreading
// TaskManagers over the NodeManager's disks by their id (as Flink spreads
// RocksDB over io.tmp.dirs). YARN deletes these folders with the
// application; a backend removes its own folder when it closes. Empty
// outside a container: the system's temporary folder.
func containerLocalDir(localDirs, id string) string {
	var dirs []string
	for _, d := range strings.Split(localDirs, ",") {
		if d = strings.TrimSpace(d); d != "" {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		return ""
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(id)) // a hash.Hash never fails
	return dirs[h.Sum32()%uint32(len(dirs))]
}

// processSecret reads the per-application secret: from the 0600 file
// named by EnvSecretFile (process driver), else from the YARN container's
// token file under contract.SecretAlias.
func processSecret(getenv func(string) string) ([]byte, error) {
	if f := getenv(contract.EnvSecretFile); f != "" {
		return api.ReadSecretFile(f)
	}
	if f := getenv(yarnrpc.EnvTokenFile); f != "" {
		creds, err := yarnrpc.ReadCredentialsFile(f)
		if err != nil {
			return nil, fmt.Errorf("application secret: %w", err)
		}
		s, ok := creds.Secret(contract.SecretAlias)
		if !ok {
			return nil, fmt.Errorf("application secret: token file %s holds no secret %q", f, contract.SecretAlias)
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
		_ = f.Close() // nothing was written yet
		return zerolog.Logger{}, nil, fmt.Errorf("container log: %w", err)
	}
	return zerolog.New(f).Level(lvl).With().Timestamp().Logger(), f, nil
}
