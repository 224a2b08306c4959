package am

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// JobLink is the name the job binary is localized under in TaskManager
// containers (and in the AM container in application mode).
const JobLink = "job"

// TaskManagerLaunch builds TaskManager container launch contexts: the job
// binary as the LocalResource "job", the environment of the TaskManager
// role, and credentials holding only the application secret.
type TaskManagerLaunch struct {
	// Stat returns a file's size and modification time on HDFS
	// (hdfsstore.Store.Stat).
	Stat func(ctx context.Context, path string) (hdfsstore.FileInfo, error)
	// Secret is the per-application secret TaskManagers authenticate with.
	Secret []byte
	// NetworkMemory is each TaskManager's network buffer budget (bytes).
	NetworkMemory int64
	// JobManagerTimeout is how long a TaskManager tolerates an unreachable
	// JobManager.
	JobManagerTimeout time.Duration
	// User is HADOOP_USER_NAME in the container.
	User string
	// Env are extra variables for every TaskManager (FLOE_LOG_LEVEL).
	Env map[string]string

	mu    sync.Mutex
	stats map[string]hdfsstore.FileInfo // job binaries never change under their path
}

// Build returns the launch context of TaskManager spec in container ctr.
func (l *TaskManagerLaunch) Build(ctx context.Context, spec jobmanager.TaskManagerSpec, ctr yarnrpc.Container) (yarnrpc.ContainerLaunchContext, error) {
	fi, err := l.stat(ctx, spec.Binary)
	if err != nil {
		return yarnrpc.ContainerLaunchContext{}, fmt.Errorf("TaskManager %s: job binary: %w", spec.ID, err)
	}
	env := map[string]string{}
	for k, v := range l.Env {
		env[k] = v
	}
	for _, kv := range spec.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	env[conf.EnvRole] = conf.RoleTaskManager
	env[conf.EnvJobManagerAddress] = spec.JobManagerAddress
	env[conf.EnvTaskManagerID] = spec.ID
	env[api.EnvTaskManagerSlots] = strconv.Itoa(spec.Slots)
	if l.NetworkMemory > 0 {
		env[api.EnvNetworkMemory] = strconv.FormatInt(l.NetworkMemory, 10)
	}
	if l.JobManagerTimeout > 0 {
		env[api.EnvJobManagerTimeout] = strconv.FormatInt(l.JobManagerTimeout.Milliseconds(), 10)
	}
	if l.User != "" {
		env[conf.EnvHadoopUserName] = l.User
	}
	var creds yarnrpc.Credentials
	creds.SetSecret(conf.SecretAlias, l.Secret)
	return yarnrpc.ContainerLaunchContext{
		LocalResources: map[string]yarnrpc.LocalResource{JobLink: {
			URL: fi.Path, Size: fi.Size, Timestamp: fi.ModTimeMillis(),
			Type: yarnrpc.ResourceFile, Visibility: yarnrpc.VisibilityApplication,
		}},
		Env:      env,
		Commands: []string{TaskManagerCommand(spec.Args)},
		Tokens:   creds.Marshal(),
	}, nil
}

func (l *TaskManagerLaunch) stat(ctx context.Context, path string) (hdfsstore.FileInfo, error) {
	l.mu.Lock()
	fi, ok := l.stats[path]
	l.mu.Unlock()
	if ok {
		return fi, nil
	}
	fi, err := l.Stat(ctx, path)
	if err != nil {
		return fi, err
	}
	if fi.IsDir {
		return fi, fmt.Errorf("%s is a folder", fi.Path)
	}
	l.mu.Lock()
	if l.stats == nil {
		l.stats = map[string]hdfsstore.FileInfo{}
	}
	l.stats[path] = fi
	l.mu.Unlock()
	return fi, nil
}

// TaskManagerCommand is the container command: the job binary with its
// arguments (shell-quoted: the NodeManager runs it through bash), output
// into the container's log folder.
func TaskManagerCommand(args []string) string {
	var b strings.Builder
	b.WriteString("./" + JobLink)
	for _, a := range args {
		b.WriteString(" " + ShellQuote(a))
	}
	b.WriteString(" 1><LOG_DIR>/taskmanager.out 2><LOG_DIR>/taskmanager.err")
	return b.String()
}

// ShellQuote quotes s for bash: plain words stay as they are, anything
// else goes in single quotes.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
