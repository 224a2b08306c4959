package am

import (
	"fmt"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// Default restart strategy on YARN when no restart-strategy.* option is
// set: a lost container (node failure, preemption, memory kill) is the
// ordinary failure there, so jobs restart a few times by default instead of
// failing at once (Flink restarts without limit once checkpointing is on;
// Floe has no checkpoints yet, so a bounded number is the safer default).
const (
	DefaultRestartAttempts = 3
	DefaultRestartDelay    = time.Second
)

// RestartStrategy is the restart strategy for jobs of a YARN application:
// restart-strategy.type when set (none, fixed-delay; exponential-delay is
// taken as fixed-delay until it exists), else DefaultRestartAttempts
// restarts DefaultRestartDelay apart (or restart-strategy.fixed-delay.*
// when those are set).
func RestartStrategy(cfg *conf.Config) (api.RestartStrategy, error) {
	typ := cfg.String(conf.RestartStrategyType)
	set := func(k string) bool { src, ok := cfg.Source(k); return ok && src.Kind != conf.SourceDefault }
	fixed := api.RestartStrategy{Attempts: cfg.Int(conf.RestartFixedDelayAttempts), DelayMillis: cfg.Duration(conf.RestartFixedDelayDelay).Milliseconds()}
	switch typ {
	case "none", "off", "disable":
		return api.RestartStrategy{}, nil
	case "fixed-delay", "fixeddelay", "exponential-delay":
		return fixed, nil
	case "":
		if !set(conf.RestartFixedDelayAttempts) {
			fixed.Attempts = DefaultRestartAttempts
		}
		if !set(conf.RestartFixedDelayDelay) {
			fixed.DelayMillis = DefaultRestartDelay.Milliseconds()
		}
		return fixed, nil
	}
	return api.RestartStrategy{}, fmt.Errorf("%s=%q: want none or fixed-delay", conf.RestartStrategyType, typ)
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
// go after resourcemanager.taskmanager-timeout.
func CoreOptions(cfg *conf.Config) jobmanager.CoreOptions {
	return jobmanager.CoreOptions{
		SlotsPerTaskManager: cfg.Int(conf.TaskManagerSlots),
		HeartbeatTimeout:    cfg.Duration(conf.HeartbeatTimeout),
		IdleTimeout:         cfg.Duration(conf.TaskManagerTimeout),
	}
}
