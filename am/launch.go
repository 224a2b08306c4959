package am

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

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
	// Ship are the files of yarn.ship-files, localized into every
	// TaskManager's working folder.
	Ship []contract.ShippedFile
	// Tokens, with a shipped keytab on a Kerberos cluster, replaces the
	// submission's HDFS delegation token with a fresh one (nil: none).
	Tokens *freshTokens

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
	env[contract.EnvRole] = contract.RoleTaskManager
	env[contract.EnvJobManagerAddress] = spec.JobManagerAddress
	env[contract.EnvTaskManagerID] = spec.ID
	env[contract.EnvTaskManagerPool] = spec.Pool
	env[contract.EnvTaskManagerSlots] = strconv.Itoa(spec.Slots)
	if l.NetworkMemory > 0 {
		env[contract.EnvNetworkMemory] = strconv.FormatInt(l.NetworkMemory, 10)
	}
	if l.JobManagerTimeout > 0 {
		env[contract.EnvJobManagerTimeout] = strconv.FormatInt(l.JobManagerTimeout.Milliseconds(), 10)
	}
	if l.User != "" {
		env[contract.EnvHadoopUserName] = l.User
	}
	var creds yarnrpc.Credentials
	creds.SetSecret(contract.SecretAlias, l.Secret)
	addDelegationTokens(&creds)
	l.Tokens.add(ctx, &creds)
	lrs := map[string]yarnrpc.LocalResource{contract.LinkJob: {
		URL: fi.Path, Size: fi.Size, Timestamp: fi.ModTimeMillis(),
		Type: yarnrpc.ResourceFile, Visibility: yarnrpc.VisibilityApplication,
	}}
	for _, f := range l.Ship {
		lrs[f.Link] = yarnrpc.LocalResource{URL: f.URL, Size: f.Size, Timestamp: f.Timestamp,
			Type: yarnrpc.ResourceFile, Visibility: yarnrpc.VisibilityApplication}
	}
	if err := l.addKeytab(ctx, lrs, env); err != nil {
		return yarnrpc.ContainerLaunchContext{}, fmt.Errorf("TaskManager %s: %w", spec.ID, err)
	}
	return yarnrpc.ContainerLaunchContext{
		LocalResources: lrs,
		Env:            env,
		Commands:       []string{contract.TaskManagerCommand(spec.Args)},
		Tokens:         creds.Marshal(),
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
