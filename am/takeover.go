package am

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/floe-yarn/floe/am/jobstore"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
)

// takeOver makes this attempt the owner of the application's job store
// (jobstore.Open: the fence comes first, then _ready with this attempt's
// JobManager address) and, on a later attempt, prepares the former
// attempt's jobs for resubmission. The containers YARN kept from former
// attempts are to be adopted (a.adoptable, adopt.go), or released when
// yarn.application-master.adopt-taskmanagers is false or there is no job
// store for their TaskManagers to find the new JobManager in. It returns
// the JobRecorder for the JobManager (nil without a job store).
func (a *appMaster) takeOver(ctx context.Context, reg yarnrpc.RegisterResponse) (*recorder, error) {
	env := a.opts.Env
	if a.out.jobFS == nil || !a.opts.Config.Bool(conf.YarnAdoptTaskManagers) {
		for _, c := range reg.PreviousAttemptContainers {
			a.out.rm.Release(c.ID)
			a.log.Info().Stringer("container", c.ID).Stringer("node", c.Node).Msg("releasing a TaskManager container of a former attempt")
		}
		if a.out.jobFS == nil {
			return nil, nil
		}
	} else {
		a.adoptable = reg.PreviousAttemptContainers
	}
	a.haDir = JobStoreDir(a.opts.Config, env.StagingDir, env.Container.App().String())
	st, state, err := jobstore.Open(ctx, a.out.jobFS, a.haDir, env.Attempt(), net.JoinHostPort(env.NMHost, strconv.Itoa(listenPort(a.out.ln))))
	if err != nil {
		return nil, fmt.Errorf("take over the job store: %w", err)
	}
	if state.From == 0 {
		a.log.Info().Str("job_store", st.Dir()).Int("attempt", env.Attempt()).Msg("job store ready")
		return newRecorder(st, a.out.jobFS, 0), nil
	}
	cause := fmt.Sprintf("JobManager failover: ApplicationMaster attempt %d took over from attempt %d (its container ended; the ResourceManager started a new attempt)",
		env.Attempt(), state.From)
	if d := a.formerAttemptDiagnostics(ctx, state.From); d != "" {
		cause += "; the ResourceManager says: " + d
	}
	jobs, err := recoverJobs(ctx, a.out.jobFS, state, cause)
	if err != nil {
		return nil, fmt.Errorf("recover the jobs of attempt %d: %w", state.From, err)
	}
	a.recovered = jobs
	a.log.Warn().Str("job_store", st.Dir()).Int("attempt", env.Attempt()).Int("from_attempt", state.From).Int("jobs", len(jobs)).
		Int("kept_containers", len(reg.PreviousAttemptContainers)).Msg("JobManager failed over: resuming the jobs of the former attempt")
	return newRecorder(st, a.out.jobFS, len(state.Jobs)), nil
}

// recoveredJob returns the recovered job with id.
func (a *appMaster) recoveredJob(id string) (recoveredJob, bool) {
	for _, r := range a.recovered {
		if (r.Final != nil && r.Final.ID == id) || (r.Final == nil && r.Sub.ID == id) {
			return r, true
		}
	}
	return recoveredJob{}, false
}

// resumeSessionJobs resubmits the unfinished jobs a former attempt ran in
// this session; finished ones stay finished: listed with their final
// state, not run again.
func (a *appMaster) resumeSessionJobs(ctx context.Context) {
	for _, r := range a.recovered {
		if _, err := a.jm.Submit(ctx, r.Sub); err != nil {
			a.log.Error().Err(err).Str("job", r.Sub.ID).Msg("could not resume a job after the failover")
		}
	}
}

// AdoptGrace is how long a new attempt waits for the TaskManagers of former
// attempts to register before it asks YARN for new ones and releases the
// containers nobody adopted.
const AdoptGrace = 10 * time.Second

// taskManagerIDPrefix is the prefix of the TaskManager ids an attempt
// starts: "tm-" on the first, "tm-a<n>-" later (adopted TaskManagers keep
// their ids).
func taskManagerIDPrefix(attempt int) string {
	if attempt <= 1 {
		return "tm-"
	}
	return fmt.Sprintf("tm-a%d-", attempt)
}
