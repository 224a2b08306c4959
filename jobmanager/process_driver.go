package jobmanager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/rs/zerolog"
)

// ProcessDriverOptions configure a ProcessDriver.
type ProcessDriverOptions struct {
	// SecretFile is the path of the 0600 secret file TaskManagers read
	// (its path goes in FLOE_SECRET_FILE; the secret itself never does).
	SecretFile string
	// NetworkMemory is each TaskManager's network buffer budget in bytes.
	NetworkMemory int64
	// JobManagerTimeout is how long a TaskManager tolerates an unreachable
	// JobManager before it exits.
	JobManagerTimeout time.Duration
	// LogDir receives tm-<id>.log per TaskManager; "" means the
	// JobManager's own stderr.
	LogDir string
	// StopGrace is the time between SIGTERM and SIGKILL (default 3s).
	StopGrace time.Duration
	// ResolveBinary, when set, turns a submission's binary reference
	// (e.g. a blob of the standalone blob store) into a local path.
	ResolveBinary func(string) (string, error)
	Logger        zerolog.Logger
}

// ProcessDriver starts TaskManagers as processes of the job binary on this
// host (standalone sessions and tests).
type ProcessDriver struct {
	opts ProcessDriverOptions
	log  zerolog.Logger

	mu    sync.Mutex
	procs map[string]*proc
	wg    sync.WaitGroup
}

type proc struct {
	p    *os.Process
	done chan struct{} // closed when the process has been reaped
}

// NewProcessDriver validates opts.
func NewProcessDriver(opts ProcessDriverOptions) (*ProcessDriver, error) {
	if opts.SecretFile == "" {
		return nil, errors.New("process driver: no secret file")
	}
	if _, err := api.ReadSecretFile(opts.SecretFile); err != nil {
		return nil, fmt.Errorf("process driver: %w", err)
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = 3 * time.Second
	}
	return &ProcessDriver{opts: opts, log: opts.Logger.With().Str("component", "process-driver").Logger(), procs: map[string]*proc{}}, nil
}

// processEnv is the parent's environment without Floe's role variables.
func processEnv() []string { return contract.WithoutRoleEnv(os.Environ()) }

// StartTaskManager implements ResourceDriver.
func (d *ProcessDriver) StartTaskManager(_ context.Context, spec TaskManagerSpec, exited func(string)) error {
	bin := spec.Binary
	if d.opts.ResolveBinary != nil {
		var err error
		if bin, err = d.opts.ResolveBinary(bin); err != nil {
			return fmt.Errorf("start TaskManager %s: %w", spec.ID, err)
		}
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, spec.Args...)
	cmd.Env = append(processEnv(), spec.Env...)
	cmd.Env = append(cmd.Env,
		contract.EnvRole+"="+contract.RoleTaskManager,
		contract.EnvJobManagerAddress+"="+spec.JobManagerAddress,
		contract.EnvTaskManagerID+"="+spec.ID,
		contract.EnvSecretFile+"="+d.opts.SecretFile,
		contract.EnvTaskManagerSlots+"="+strconv.Itoa(spec.Slots),
	)
	if d.opts.NetworkMemory > 0 {
		cmd.Env = append(cmd.Env, contract.EnvNetworkMemory+"="+strconv.FormatInt(d.opts.NetworkMemory, 10))
	}
	if d.opts.JobManagerTimeout > 0 {
		cmd.Env = append(cmd.Env, contract.EnvJobManagerTimeout+"="+strconv.FormatInt(d.opts.JobManagerTimeout.Milliseconds(), 10))
	}
	// Its own process group: a signal to the JobManager's terminal does
	// not reach TaskManagers, which the JobManager stops itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logFile *os.File
	if d.opts.LogDir != "" {
		if err := os.MkdirAll(d.opts.LogDir, 0o755); err != nil {
			return err
		}
		if logFile, err = os.Create(filepath.Join(d.opts.LogDir, spec.ID+".log")); err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
	} else {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		if logFile != nil {
			_ = logFile.Close() // nothing was written: the process never started
		}
		return fmt.Errorf("start TaskManager %s from %s: %w", spec.ID, bin, err)
	}
	d.log.Info().Str("tm", spec.ID).Int("pid", cmd.Process.Pid).Str("binary", bin).Msg("TaskManager process started")
	pr := &proc{p: cmd.Process, done: make(chan struct{})}
	d.mu.Lock()
	d.procs[spec.ID] = pr
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		err := cmd.Wait()
		if logFile != nil {
			if err := logFile.Close(); err != nil {
				d.log.Warn().Err(err).Str("tm", spec.ID).Msg("TaskManager log file close")
			}
		}
		d.mu.Lock()
		delete(d.procs, spec.ID)
		d.mu.Unlock()
		close(pr.done)
		cause := "exited normally"
		if err != nil {
			cause = err.Error()
		}
		exited(fmt.Sprintf("process %d: %s", cmd.Process.Pid, cause))
	}()
	return nil
}

// StopTaskManager sends SIGTERM and, after the grace time, SIGKILL.
func (d *ProcessDriver) StopTaskManager(_ context.Context, id string) error {
	d.mu.Lock()
	p := d.procs[id]
	d.mu.Unlock()
	if p == nil {
		return nil
	}
	_ = p.p.Signal(syscall.SIGTERM)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		t := time.NewTimer(d.opts.StopGrace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
			d.log.Warn().Str("tm", id).Msg("TaskManager ignored SIGTERM; killing it")
			_ = p.p.Kill()
		}
	}()
	return nil
}

// Close kills every TaskManager process and waits for them.
func (d *ProcessDriver) Close() error {
	d.mu.Lock()
	for _, p := range d.procs {
		_ = p.p.Kill()
	}
	d.mu.Unlock()
	d.wg.Wait()
	return nil
}

// PIDs returns the process id of every running TaskManager, by id.
func (d *ProcessDriver) PIDs() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.procs))
	for id, p := range d.procs {
		out[id] = p.p.Pid
	}
	return out
}
