package jobmanager

import (
	"strings"

	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/taskexec/netio"
)

// causeRank says how much a failover's recorded cause knows about why the
// failover happened. When a TaskManager dies, its peers usually notice
// first (their data connections break, the partitions they read vanish),
// the heartbeat timeout or an unasked cancel declares it lost later, and
// the resource driver's exit report (YARN's exit status and diagnostics)
// arrives last. The core records the failover when the first of these
// arrives and upgrades the entry as better ones come, so the exception
// history and a job's final failure reason name the root cause, not the
// symptom.
type causeRank int

const (
	// rankSymptom: a subtask failed because a peer's data went away (see
	// isSymptom); some TaskManager loss explains it.
	rankSymptom causeRank = iota + 1
	// rankTask: a subtask failed on its own (user code, an unrecoverable
	// error). Nothing replaces it.
	rankTask
	// rankLoss: a TaskManager was declared lost (heartbeat timeout, or it
	// canceled its subtasks unasked because it is shutting down); its exit
	// report says why.
	rankLoss
	// rankExit: the resource driver reported the TaskManager's process or
	// container exit. Final.
	rankExit
)

// symptomMarkers are the data-plane errors a subtask reports when a peer
// TaskManager went away: netio's sentinel texts, which travel inside the
// failure causes TaskManagers report.
var symptomMarkers = []string{
	netio.ErrConnectionLost.Error(),
	netio.ErrPartitionReleased.Error(),
	netio.ErrPartitionNotFound.Error(),
}

// isSymptom reports whether a subtask's failure cause is a downstream
// symptom of a lost peer rather than a failure of its own.
func isSymptom(cause string) bool {
	for _, m := range symptomMarkers {
		if strings.Contains(cause, m) {
			return true
		}
	}
	return false
}

// failover is the exception-history entry of a job's latest failover, kept
// so that a better cause arriving later can replace it.
type failover struct {
	idx     int // index in jobState.exceptions; -1 when none (or trimmed)
	attempt int // the job attempt that failed
	rank    causeRank
	tm      string // the TaskManager a rankLoss cause names
	// first is the cause first recorded, kept beside the root cause in the
	// history once a better one replaces it.
	first string
}

// openFailover records the exception of a new failover of j.
func (c *Core) openFailover(j *jobState, cause string, rank causeRank, tm string) {
	c.recordException(j, cause)
	j.failover = failover{idx: len(j.exceptions) - 1, attempt: j.attempt, rank: rank, tm: tm, first: cause}
}

// attribute offers a TaskManager loss (rankLoss or rankExit, cause naming
// tm) as the root cause of j's latest failover. It replaces the recorded
// cause when that is a symptom and the failover is still under way (the
// lost TaskManager ran subtasks of the failing attempt), or a loss of the
// same TaskManager that the exit report now explains; the job's cause (its
// final failure reason) follows. Otherwise the loss is recorded as an
// exception of its own, as before. It reports whether it replaced the
// cause.
func (c *Core) attribute(j *jobState, tm, cause string, rank causeRank) bool {
	f := &j.failover
	underWay := f.attempt == j.attempt && (j.state == api.JobFailing || j.state == api.JobRestarting)
	upgrade := f.idx >= 0 && f.idx < len(j.exceptions) &&
		((f.rank == rankSymptom && underWay) || (f.rank == rankLoss && rank == rankExit && f.tm == tm))
	if !upgrade {
		c.recordException(j, cause)
		return false
	}
	f.rank, f.tm = rank, tm
	j.exceptions[f.idx].Cause = cause + " [first noticed as: " + f.first + "]"
	j.cause = cause
	if j.state == api.JobFailed {
		j.cause = finalCause(j, cause)
	}
	return true
}
