package am

import (
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// Default restart strategy on YARN when restart-strategy.type is not set
// and checkpointing is off: a lost container (node failure, preemption,
// memory kill) is the ordinary failure there, so jobs restart a few times
// by default instead of failing at once. With checkpointing on
// (execution.checkpointing.interval set) the default is Flink's instead:
// exponential-delay with unbounded attempts (jobmanager.ParseRestartStrategy).
const (
	DefaultRestartAttempts = 3
	DefaultRestartDelay    = time.Second
)

// RestartStrategy is the restart strategy for jobs of a YARN application:
// restart-strategy.* as jobmanager.ParseRestartStrategy reads it; when
// restart-strategy.type is not set, exponential-delay if checkpointing is
// on, else DefaultRestartAttempts restarts DefaultRestartDelay apart (each
// overridden by its restart-strategy.fixed-delay.* key when that is set).
func RestartStrategy(cfg *conf.Config) (api.RestartStrategy, error) {
	r, err := jobmanager.ParseRestartStrategy(cfg, &api.RestartStrategy{Type: api.RestartFixedDelay,
		Attempts: DefaultRestartAttempts, DelayMillis: DefaultRestartDelay.Milliseconds()})
	if err != nil {
		return api.RestartStrategy{}, err
	}
	return *r, nil
}

// TaskManagerResource is the container size asked for each TaskManager:
// taskmanager.memory.process.size and yarn.containers.vcores (-1 means one
// vcore per slot).
func TaskManagerResource(cfg *conf.Config) yarnrpc.Resource {
	vcores := cfg.Int(conf.YarnContainersVcores)
	if vcores <= 0 {
		vcores = max(1, cfg.Int(conf.TaskManagerSlots))
	}
	return yarnrpc.Resource{MemoryMB: int64(cfg.Memory(conf.TaskManagerProcessSize)) >> 20, VCores: int32(vcores)}
}

// CoreOptions are the JobManager core's options on YARN: idle TaskManagers
// go after resourcemanager.taskmanager-timeout, a job that cannot get its
// slots fails after slot.request.timeout.
func CoreOptions(cfg *conf.Config) jobmanager.CoreOptions {
	return jobmanager.CoreOptions{
		SlotsPerTaskManager: cfg.Int(conf.TaskManagerSlots),
		HeartbeatTimeout:    cfg.Duration(conf.HeartbeatTimeout),
		IdleTimeout:         cfg.Duration(conf.TaskManagerTimeout),
		SlotRequestTimeout:  cfg.Duration(conf.SlotRequestTimeout),
	}
}
