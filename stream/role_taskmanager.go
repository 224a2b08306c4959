package stream

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/taskexec"
)

// runTaskManager runs this binary as a TaskManager of the JobManager named
// in the environment (conf's env-var contract).
func (e *Environment) runTaskManager(ctx context.Context, p *program) error {
	id := os.Getenv(conf.EnvTaskManagerID)
	addr := os.Getenv(conf.EnvJobManagerAddress)
	secretFile := os.Getenv(conf.EnvSecretFile)
	switch {
	case id == "":
		return fmt.Errorf("taskmanager role: %s is not set", conf.EnvTaskManagerID)
	case addr == "":
		return fmt.Errorf("taskmanager role: %s is not set", conf.EnvJobManagerAddress)
	case secretFile == "":
		return fmt.Errorf("taskmanager role: %s is not set", conf.EnvSecretFile)
	}
	secret, err := api.ReadSecretFile(secretFile)
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
	log := e.log.With().Str("tm", id).Logger()
	return taskexec.RunRemote(ctx, taskexec.RemoteOptions{ID: id, Slots: slots, JobManagerAddress: addr, Secret: secret,
		Program: p, NetworkMemory: netMem, JobManagerTimeout: jmTimeout, Logger: log})
}
