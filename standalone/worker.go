package standalone

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
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

// WorkerOptions configure RunWorker.
type WorkerOptions struct {
	// JobManager is the JobManager's host:port (jobmanager.rpc.address
	// and rest.port); TaskManagers dial it too.
	JobManager string
	Secret     []byte
	// SecretFile is the secret's 0600 file, whose path (never the secret)
	// TaskManagers get.
	SecretFile string
	// ID names the worker; default DefaultWorkerID(Host, Dir), stable
	// across restarts in the same folder.
	ID string
	// Host is where this host's TaskManagers listen (taskmanager.host).
	Host  string
	Slots int
	// Dir holds the blob cache (blobs/), TaskManager logs (log/) and
	// working folders (work/).
	Dir string
	// RegistrationTimeout ends the worker when the JobManager has been
	// unreachable this long (taskmanager.registration.timeout).
	RegistrationTimeout time.Duration
	// StopGrace is the time between SIGTERM and SIGKILL (default 3 s).
	StopGrace time.Duration
	// PollWait is how long one poll may be held (default 2 s): the delay
	// with which an ended TaskManager is reported.
	PollWait time.Duration
	Logger   zerolog.Logger
}

// DefaultWorkerID is host plus a digest of the worker's folder.
func DefaultWorkerID(host, dir string) string {
	abs, _ := filepath.Abs(dir)
	sum := sha256.Sum256([]byte(abs))
	return host + "-" + hex.EncodeToString(sum[:4])
}

type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

type workerState struct {
	opts WorkerOptions
	jm   *api.Client
	log  zerolog.Logger

	mu       sync.Mutex
	children map[string]*child
	exited   []Exit
	wg       sync.WaitGroup
}

// RunWorker offers opts.Slots to the JobManager and runs the TaskManagers
// it asks for, until ctx ends, the JobManager shuts the cluster down (nil)
// or stays unreachable for RegistrationTimeout. Its TaskManagers end with
// it.
func RunWorker(ctx context.Context, opts WorkerOptions) error {
	if opts.JobManager == "" || len(opts.Secret) == 0 || opts.SecretFile == "" || opts.Slots <= 0 || opts.Dir == "" {
		return fmt.Errorf("worker: need a JobManager address, the secret and its file, slots > 0 and a folder (got %q, %d slots, folder %q)",
			opts.JobManager, opts.Slots, opts.Dir)
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.ID == "" {
		opts.ID = DefaultWorkerID(opts.Host, opts.Dir)
	}
	if opts.RegistrationTimeout <= 0 {
		opts.RegistrationTimeout = 5 * time.Minute
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = 3 * time.Second
	}
	if opts.PollWait <= 0 {
		opts.PollWait = 2 * time.Second
	}
	w := &workerState{opts: opts, jm: api.NewClient(opts.JobManager, opts.Secret), children: map[string]*child{},
		log: opts.Logger.With().Str("worker", opts.ID).Logger()}
	defer w.stopAll()
	lastOK := time.Now()
	backoff := 100 * time.Millisecond
	registered := false
	for {
		poll := WorkerPoll{Version: ProtocolVersion, Host: opts.Host, Slots: opts.Slots, WaitMillis: opts.PollWait.Milliseconds()}
		w.mu.Lock()
		for id := range w.children {
			poll.Running = append(poll.Running, id)
		}
		poll.Exited, w.exited = w.exited, nil
		w.mu.Unlock()
		var cmds WorkerCommands
		err := w.jm.Do(ctx, http.MethodPost, "/v1/workers/"+opts.ID+"/poll", poll, &cmds)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.mu.Lock()
			w.exited = append(poll.Exited, w.exited...) // report them next time
			w.mu.Unlock()
			if errors.Is(err, api.ErrUnauthenticated) {
				return fmt.Errorf("worker: the JobManager at %s refused this worker's secret (%s): use the secret file of that cluster: %w",
					opts.JobManager, opts.SecretFile, err)
			}
			if time.Since(lastOK) > opts.RegistrationTimeout {
				return fmt.Errorf("worker: JobManager at %s unreachable for %s (taskmanager.registration.timeout): %w",
					opts.JobManager, opts.RegistrationTimeout, err)
			}
			w.log.Warn().Err(err).Dur("retry", backoff).Msg("JobManager unreachable")
			if sleep(ctx, backoff) != nil {
				return nil
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		if !registered {
			registered = true
			w.log.Info().Str("jobmanager", opts.JobManager).Int("slots", opts.Slots).Msg("registered with the JobManager")
		}
		lastOK, backoff = time.Now(), 100*time.Millisecond
		for _, id := range cmds.Stop {
			w.stop(id)
		}
		for _, st := range cmds.Start {
			if err := w.start(ctx, st); err != nil {
				w.log.Error().Err(err).Str("tm", st.TaskManager).Msg("TaskManager start failed")
				w.mu.Lock()
				w.exited = append(w.exited, Exit{TaskManager: st.TaskManager, Cause: err.Error()})
				w.mu.Unlock()
			}
		}
		if cmds.Shutdown != "" {
			w.log.Info().Str("reason", cmds.Shutdown).Msg("the JobManager shut the cluster down")
			return nil
		}
	}
}

func (w *workerState) start(ctx context.Context, st Start) error {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	bin, err := Download(dctx, w.jm, st.Blob, filepath.Join(w.opts.Dir, "blobs"))
	cancel()
	if err != nil {
		return err
	}
	work := filepath.Join(w.opts.Dir, "work", st.TaskManager)
	logDir := filepath.Join(w.opts.Dir, "log")
	for _, d := range []string{work, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	logFile, err := os.Create(filepath.Join(logDir, st.TaskManager+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, st.Args...)
	cmd.Dir = work
	cmd.Env = append(contract.WithoutRoleEnv(os.Environ()), st.Env...)
	cmd.Env = append(cmd.Env,
		contract.EnvRole+"="+contract.RoleTaskManager,
		contract.EnvJobManagerAddress+"="+w.opts.JobManager,
		contract.EnvTaskManagerID+"="+st.TaskManager,
		contract.EnvSecretFile+"="+w.opts.SecretFile,
		contract.EnvTaskManagerSlots+"="+strconv.Itoa(st.Slots),
		contract.EnvTaskManagerHost+"="+w.opts.Host,
	)
	if st.NetworkMemory > 0 {
		cmd.Env = append(cmd.Env, contract.EnvNetworkMemory+"="+strconv.FormatInt(st.NetworkMemory, 10))
	}
	if st.JobManagerTimeoutMillis > 0 {
		cmd.Env = append(cmd.Env, contract.EnvJobManagerTimeout+"="+strconv.FormatInt(st.JobManagerTimeoutMillis, 10))
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close() // nothing was written: the process never started
		_ = os.RemoveAll(work)
		return fmt.Errorf("start TaskManager %s from %s: %w", st.TaskManager, bin, err)
	}
	w.log.Info().Str("tm", st.TaskManager).Int("pid", cmd.Process.Pid).Int("slots", st.Slots).Msg("TaskManager started")
	c := &child{cmd: cmd, done: make(chan struct{})}
	w.mu.Lock()
	w.children[st.TaskManager] = c
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		err := cmd.Wait()
		_ = logFile.Close() // the process is gone; a failed close loses nothing more
		_ = os.RemoveAll(work)
		cause := "exited normally"
		if err != nil {
			cause = err.Error()
		}
		cause = fmt.Sprintf("process %d: %s (log %s)", cmd.Process.Pid, cause, logFile.Name())
		w.log.Info().Str("tm", st.TaskManager).Str("cause", cause).Msg("TaskManager ended")
		w.mu.Lock()
		delete(w.children, st.TaskManager)
		w.exited = append(w.exited, Exit{TaskManager: st.TaskManager, Cause: cause})
		w.mu.Unlock()
		close(c.done)
	}()
	return nil
}

// stop sends SIGTERM to a TaskManager and SIGKILL after the grace time.
func (w *workerState) stop(id string) {
	w.mu.Lock()
	c := w.children[id]
	w.mu.Unlock()
	if c == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTimer(w.opts.StopGrace)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			w.log.Warn().Str("tm", id).Msg("TaskManager ignored SIGTERM; killing it")
			_ = c.cmd.Process.Kill()
		}
	}()
}

// stopAll stops every TaskManager and waits for them.
func (w *workerState) stopAll() {
	w.mu.Lock()
	ids := make([]string, 0, len(w.children))
	for id := range w.children {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	for _, id := range ids {
		w.stop(id)
	}
	w.wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
