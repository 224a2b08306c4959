package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// DeploySpec says what to deploy.
type DeploySpec struct {
	Mode contract.Mode
	// JobBinary is a local path, or (application mode) an hdfs:// URI that
	// is used in place. Empty in session mode.
	JobBinary string
	// JobArgs are the job binary's arguments.
	JobArgs []string
	// JobGraph is the plan's job graph JSON (per-job mode); when empty,
	// Deploy runs the job binary in the plan role on this machine, its
	// standard output going to PlanOut.
	JobGraph []byte
	PlanOut  io.Writer
	// JobName names the application when yarn.application.name is unset;
	// empty means the job graph's name (per-job) or the binary's.
	JobName string
	// Parallelism is -p (0 = not given).
	Parallelism int
	// Check, when set, vets the job once it is planned (graph is nil in
	// application mode, which plans in the cluster) and before YARN is
	// asked for anything: an error ends Deploy with nothing left behind.
	Check func(ctx context.Context, graph []byte) error
}

// Deployment is a submitted application.
type Deployment struct {
	App yarnrpc.ApplicationID
	// StagingDir is the fully qualified staging folder.
	StagingDir string
	// Secret signs JobManager requests.
	Secret []byte
	// Uploaded is how many bytes this submission sent to HDFS.
	Uploaded int64
	// UploadedFiles lists the local files that were actually sent.
	UploadedFiles []string
	// JobID is the id the AM gives the job (per-job, application), chosen
	// here and passed in contract.EnvJobID.
	JobID string
	// JobName is the job's name (the graph's, per-job) or the binary's.
	JobName string
	// Attempts is the number of ApplicationMaster attempts asked for
	// (ApplicationAttempts).
	Attempts int
}

// resources is the validated resource request of a deployment.
type resources struct {
	jmMB, tmMB     int64
	amVcores       int32
	tmVcores       int32
	queue          string
	frameworkDir   string // a provided lib dir holding floe, or ""
	jobOnHDFS      bool
	frameworkLocal string
}

// validate checks everything that can be checked without YARN: the job
// binary, the framework, the memory options. Errors wrap ErrBadInput.
func (d *YarnDescriptor) validate(ctx context.Context, spec DeploySpec) (resources, error) {
	cfg := d.opts.Config
	var r resources
	switch spec.Mode {
	case contract.ModeSession:
	case contract.ModePerJob, contract.ModeApplication:
		if spec.JobBinary == "" {
			return r, fmt.Errorf("%w: no job binary given", ErrBadInput)
		}
		if isRemote(spec.JobBinary) {
			if spec.Mode != contract.ModeApplication {
				return r, fmt.Errorf("%w: job binary %s: a remote job binary needs -t yarn-application (per-job mode plans the job on this machine)", ErrBadInput, spec.JobBinary)
			}
			fi, err := d.opts.Store.Stat(ctx, spec.JobBinary)
			if errors.Is(err, fs.ErrNotExist) {
				return r, fmt.Errorf("%w: job binary %s does not exist on HDFS", ErrBadInput, spec.JobBinary)
			} else if err != nil {
				return r, fmt.Errorf("job binary %s: %w", spec.JobBinary, err)
			} else if fi.IsDir {
				return r, fmt.Errorf("%w: job binary %s is a folder", ErrBadInput, spec.JobBinary)
			}
			r.jobOnHDFS = true
		} else if err := CheckJobBinary(spec.JobBinary, d.opts.Platform); err != nil {
			return r, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
	default:
		return r, fmt.Errorf("%w: unknown mode %q", ErrBadInput, spec.Mode)
	}
	if dirs := cfg.List(conf.YarnProvidedLibDirs); len(dirs) > 0 {
		dir, err := d.findProvidedFramework(ctx, dirs)
		if err != nil {
			return r, err
		}
		r.frameworkDir = dir
	} else {
		if err := CheckJobBinary(d.opts.Framework, d.opts.Platform); err != nil {
			return r, fmt.Errorf("%w: the floe binary to ship: %v", ErrBadInput, err)
		}
		r.frameworkLocal = d.opts.Framework
	}
	r.jmMB = cfg.Memory(conf.JobManagerProcessSize).MiB()
	r.tmMB = cfg.Memory(conf.TaskManagerProcessSize).MiB()
	if r.jmMB <= 0 || r.tmMB <= 0 {
		return r, fmt.Errorf("%w: %s and %s must be at least 1m", ErrBadInput, conf.JobManagerProcessSize, conf.TaskManagerProcessSize)
	}
	r.amVcores = int32(max(1, cfg.Int(conf.YarnAppMasterVcores)))
	r.tmVcores = int32(cfg.Int(conf.YarnContainersVcores))
	if r.tmVcores <= 0 {
		r.tmVcores = int32(max(1, cfg.Int(conf.TaskManagerSlots)))
	}
	r.queue = cfg.String(conf.YarnApplicationQueue)
	return r, nil
}

// findProvidedFramework returns the first provided lib dir holding floe.
func (d *YarnDescriptor) findProvidedFramework(ctx context.Context, dirs []string) (string, error) {
	for _, dir := range dirs {
		fi, err := d.opts.Store.Stat(ctx, dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("%w: %s: provided lib dir %s does not exist", ErrBadInput, conf.YarnProvidedLibDirs, dir)
		case err != nil:
			return "", fmt.Errorf("%s %s: %w", conf.YarnProvidedLibDirs, dir, err)
		case !fi.IsDir:
			return "", fmt.Errorf("%w: %s: %s is a file; give the folder holding floe", ErrBadInput, conf.YarnProvidedLibDirs, dir)
		}
		if ffi, err := d.opts.Store.Stat(ctx, joinURI(dir, contract.LinkFramework)); err == nil && !ffi.IsDir {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: %s: none of %s holds a file named floe; upload bin/floe there (world-readable)", ErrBadInput, conf.YarnProvidedLibDirs, strings.Join(dirs, ", "))
}

// checkQueue fails when the queue does not exist, before any application
// id is taken.
func (d *YarnDescriptor) checkQueue(ctx context.Context, queue string) error {
	q, err := d.opts.RM.QueueInfo(ctx, queue, yarnrpc.QueueInfoOptions{})
	if err != nil {
		var re *yarnrpc.RemoteError
		if errors.As(err, &re) {
			return fmt.Errorf("%w: queue %q does not exist: %v (see `floe yarn-session -q` for the queues)", ErrBadInput, queue, re)
		}
		if yarnrpc.IsConnectionError(err) {
			return fmt.Errorf("ResourceManager unreachable (is it running? check yarn.resourcemanager.address in HADOOP_CONF_DIR): %w", err)
		}
		return fmt.Errorf("check queue %q: %w", queue, err)
	}
	if q.Name == "" {
		return fmt.Errorf("%w: queue %q does not exist (see `floe yarn-session -q` for the queues)", ErrBadInput, queue)
	}
	return nil
}

// Deploy validates spec, stages the files and submits the application. It
// returns once YARN accepted it (call WaitRunning next). When anything fails
// nothing is left behind: no staging folder, no application.
func (d *YarnDescriptor) Deploy(ctx context.Context, spec DeploySpec) (*Deployment, error) {
	r, err := d.validate(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := d.checkQueue(ctx, r.queue); err != nil {
		return nil, err
	}
	if spec.Mode == contract.ModePerJob && len(spec.JobGraph) == 0 {
		// The binary was checked by validate: plan it now, before YARN
		// is asked for anything.
		job := Job{Binary: spec.JobBinary, Args: spec.JobArgs, Parallelism: spec.Parallelism, Pipeline: conf.PipelineProperties(d.opts.Config)}
		if spec.JobGraph, err = job.Plan(ctx, spec.PlanOut); err != nil {
			return nil, err
		}
	}
	if spec.Check != nil {
		if err := spec.Check(ctx, spec.JobGraph); err != nil {
			return nil, err
		}
	}
	if spec.JobName == "" {
		spec.JobName = GraphName(spec.JobGraph)
	}
	if spec.JobName == "" {
		spec.JobName = path.Base(spec.JobBinary)
	}
	d.staging.Sweep(ctx, d.opts.RM, d.opts.Logger)
	app, maxRes, err := d.opts.RM.NewApplication(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	// An application id that is never submitted leaves nothing on YARN.
	if maxRes.MemoryMB > 0 {
		if r.tmMB > maxRes.MemoryMB {
			return nil, fmt.Errorf("%w: %s is %d MB but the largest container YARN grants is %d MB (yarn.scheduler.maximum-allocation-mb); lower -tm", ErrBadInput, conf.TaskManagerProcessSize, r.tmMB, maxRes.MemoryMB)
		}
		if r.jmMB > maxRes.MemoryMB {
			return nil, fmt.Errorf("%w: %s is %d MB but the largest container YARN grants is %d MB (yarn.scheduler.maximum-allocation-mb); lower -jm", ErrBadInput, conf.JobManagerProcessSize, r.jmMB, maxRes.MemoryMB)
		}
	}
	if maxRes.VCores > 0 && (r.tmVcores > maxRes.VCores || r.amVcores > maxRes.VCores) {
		return nil, fmt.Errorf("%w: %d vcores requested but the largest container YARN grants has %d (yarn.scheduler.maximum-allocation-vcores)", ErrBadInput, max(r.tmVcores, r.amVcores), maxRes.VCores)
	}
	dep := &Deployment{App: app, JobName: spec.JobName}
	if spec.Mode != contract.ModeSession {
		if dep.JobID, err = NewJobID(); err != nil {
			return nil, err
		}
	}
	staging := d.staging.Dir(app)
	submitted := false
	ok := false
	defer func() {
		if ok {
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if submitted {
			_ = d.opts.RM.Kill(cctx, app, "Floe client: submission failed")
		}
		_ = d.opts.Store.RemoveAll(cctx, staging)
	}()
	sc, err := d.stage(ctx, spec, r, dep)
	if err != nil {
		return nil, fmt.Errorf("deploy %s: %w", app, err)
	}
	submitted = true
	if err := d.opts.RM.Submit(ctx, sc); err != nil {
		return nil, fmt.Errorf("deploy %s: %w", app, err)
	}
	ok = true
	return dep, nil
}

// stage uploads and writes the staging files and returns the submission
// context.
func (d *YarnDescriptor) stage(ctx context.Context, spec DeploySpec, r resources, dep *Deployment) (yarnrpc.ApplicationSubmissionContext, error) {
	cfg, st := d.opts.Config, d.opts.Store
	staging := d.staging.Dir(dep.App)
	var sc yarnrpc.ApplicationSubmissionContext
	if err := st.MkdirAll(ctx, staging, 0o700); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return sc, fmt.Errorf("%w: %w (user %s may not write there; set %s to a folder it owns)", ErrBadInput, err, st.User(), conf.YarnStagingDirectory)
		}
		return sc, err
	}
	qstaging, err := st.Qualify(staging)
	if err != nil {
		return sc, err
	}
	dep.StagingDir = qstaging
	lrs := map[string]yarnrpc.LocalResource{}
	cache := &Cache{Store: st, Root: d.staging.Root}
	put := func(link, local string) (string, error) {
		s, err := cache.Put(ctx, local, progress(d.opts.Out, path.Base(local)))
		if err != nil {
			return "", err
		}
		q, err := st.Qualify(s.Path)
		if err != nil {
			return "", err
		}
		dep.Uploaded += s.Uploaded
		if s.Uploaded > 0 {
			dep.UploadedFiles = append(dep.UploadedFiles, local)
		}
		lrs[link] = yarnrpc.LocalResource{URL: q, Size: s.Size, Timestamp: s.ModTimeMillis, Visibility: yarnrpc.VisibilityApplication}
		return q, nil
	}
	// The framework.
	if r.frameworkDir != "" {
		lr, _, err := d.remoteResource(ctx, joinURI(r.frameworkDir, contract.LinkFramework), yarnrpc.VisibilityPublic)
		if err != nil {
			return sc, err
		}
		lrs[contract.LinkFramework] = lr
	} else if _, err := put(contract.LinkFramework, r.frameworkLocal); err != nil {
		return sc, err
	}
	// The job binary.
	var jobURI string
	if spec.Mode != contract.ModeSession {
		if r.jobOnHDFS {
			lr, q, err := d.remoteResource(ctx, spec.JobBinary, yarnrpc.VisibilityApplication)
			if err != nil {
				return sc, err
			}
			lrs[contract.LinkJob], jobURI = lr, q
		} else if jobURI, err = put(contract.LinkJob, spec.JobBinary); err != nil {
			return sc, err
		}
	}
	// Small files: configuration, job graph, secret.
	secret, err := newSecret()
	if err != nil {
		return sc, err
	}
	dep.Secret = secret
	small := []struct {
		name string
		data []byte
		perm fs.FileMode
		lr   bool
	}{
		{contract.FileConf, cfg.Marshal(), 0o644, true},
		{contract.FileSecret, secret, 0o600, false},
	}
	if spec.Mode == contract.ModePerJob {
		small = append(small, struct {
			name string
			data []byte
			perm fs.FileMode
			lr   bool
		}{contract.FileJobGraph, spec.JobGraph, 0o644, true})
	}
	for _, f := range small {
		p := joinURI(staging, f.name)
		if err := writeFile(ctx, st, p, f.data, f.perm); err != nil {
			return sc, err
		}
		dep.Uploaded += int64(len(f.data))
		if f.lr {
			lr, _, err := d.remoteResource(ctx, p, yarnrpc.VisibilityApplication)
			if err != nil {
				return sc, err
			}
			lrs[f.name] = lr
		}
	}
	var creds yarnrpc.Credentials
	creds.SetSecret(contract.SecretAlias, secret)
	if d.opts.Tokens != nil {
		if err := addTokens(ctx, d.opts.Tokens, &creds, cfg.String(conf.KerberosKeytab) != "", d.opts.Out); err != nil {
			return sc, err
		}
	}
	env := map[string]string{
		contract.EnvConfDir:        ".",
		contract.EnvYarnMode:       string(spec.Mode),
		contract.EnvStagingDir:     qstaging,
		contract.EnvHadoopUserName: st.User(),
	}
	if spec.Mode != contract.ModeSession {
		args, _ := json.Marshal(append([]string{}, spec.JobArgs...))
		env[contract.EnvJobBinary] = jobURI
		env[contract.EnvJobArgs] = string(args)
		env[contract.EnvJobID] = dep.JobID
	}
	if spec.Parallelism > 0 {
		env[contract.EnvParallelism] = strconv.Itoa(spec.Parallelism)
	}
	ship, n, err := shipFiles(ctx, st, cfg.List(conf.YarnShipFiles), staging)
	if err != nil {
		return sc, err
	}
	dep.Uploaded += n
	if err := shipEnv(ship, lrs, env); err != nil {
		return sc, err
	}
	n, err = d.shipKeytab(ctx, staging, lrs, env)
	if err != nil {
		return sc, err
	}
	dep.Uploaded += n
	att := ApplicationAttempts(cfg, RMMaxAttempts(d.opts.Hadoop))
	env[contract.EnvAppAttempts] = strconv.Itoa(att.N)
	prio := int32(cfg.Int(conf.YarnApplicationPriority))
	if prio < 0 {
		prio = 0
	}
	if att.Note != "" && d.opts.Out != nil {
		_, _ = fmt.Fprintln(d.opts.Out, att.Note)
	}
	dep.Attempts = att.N
	sc = yarnrpc.ApplicationSubmissionContext{
		ID:          dep.App,
		Name:        d.applicationName(spec),
		Queue:       r.queue,
		Type:        cfg.String(conf.YarnApplicationType),
		Tags:        conf.ParseList(cfg.String(conf.YarnTags)),
		Priority:    prio,
		MaxAttempts: int32(att.N),
		// TaskManagers outlive a failed AM attempt: the next one adopts
		// them (RegisterApplicationMaster's containers from previous
		// attempts), and only failures within the window count.
		KeepContainers:          att.N > 1,
		AttemptFailuresValidity: cfg.Duration(conf.YarnAttemptFailuresValidity),
		AMResource:              yarnrpc.Resource{MemoryMB: r.jmMB, VCores: r.amVcores},
		AM: yarnrpc.ContainerLaunchContext{
			LocalResources: lrs,
			Env:            env,
			Commands:       []string{contract.AMCommand},
			Tokens:         creds.Marshal(),
		},
	}
	return sc, nil
}

// remoteResource stats p on HDFS and returns it as a LocalResource with its
// exact size and modification time, and its qualified URI.
func (d *YarnDescriptor) remoteResource(ctx context.Context, p string, vis yarnrpc.LocalResourceVisibility) (yarnrpc.LocalResource, string, error) {
	fi, err := d.opts.Store.Stat(ctx, p)
	if err != nil {
		return yarnrpc.LocalResource{}, "", err
	}
	q, err := d.opts.Store.Qualify(p)
	if err != nil {
		return yarnrpc.LocalResource{}, "", err
	}
	return yarnrpc.LocalResource{URL: q, Size: fi.Size, Timestamp: fi.ModTimeMillis(), Visibility: vis}, q, nil
}

// applicationName is yarn.application.name or "Floe <mode>: <job>".
func (d *YarnDescriptor) applicationName(spec DeploySpec) string {
	if n := d.opts.Config.String(conf.YarnApplicationName); n != "" {
		return n
	}
	if spec.Mode == contract.ModeSession {
		return "Floe session"
	}
	return "Floe " + string(spec.Mode) + ": " + spec.JobName
}

// newSecret returns the per-application secret: 32 random bytes, hex
// encoded so that it survives any text handling of the secret file.
func newSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("application secret: %w", err)
	}
	return []byte(hex.EncodeToString(b)), nil
}

// isRemote reports whether p names a remote file (hdfs://…).
func isRemote(p string) bool { return strings.HasPrefix(p, "hdfs://") }
