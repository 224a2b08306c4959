package localcluster

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// progress prints what a person running a job binary directly wants to
// see, as Flink's local run does: the job id at submission, a line on
// every state change and every interval while it runs, and the runtime at
// the end. Causes are cut to their first line: the full error (a panic's
// stack) is the one Run returns, printed once by the caller.
type progress struct {
	out      io.Writer
	every    time.Duration
	status   func() (api.JobStatus, error)
	start    time.Time
	last     api.JobState
	lastLine time.Time
}

// watch prints until ctx ends; call it in a goroutine.
func (p *progress) watch(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if st, err := p.status(); err == nil {
				p.step(now, st)
			}
		}
	}
}

// step prints a line when the state changed or every interval.
func (p *progress) step(now time.Time, st api.JobStatus) {
	if st.State == p.last && now.Sub(p.lastLine) < p.every {
		return
	}
	if st.State.Terminal() {
		return // end prints it
	}
	p.last, p.lastLine = st.State, now
	fmt.Fprintln(p.out, progressLine(st, now.Sub(p.start)))
}

// end prints the final lines.
func (p *progress) end(st api.JobStatus, now time.Time) {
	ms := now.Sub(p.start).Milliseconds()
	if st.State == api.JobFinished {
		fmt.Fprintf(p.out, "Job with JobID %s has finished.\nJob Runtime: %d ms\n", st.ID, ms)
		return
	}
	fmt.Fprintf(p.out, "Job with JobID %s %s after %d ms: %s\n", st.ID, st.State, ms, firstLine(st.Cause))
}

// progressLine is "Job <id> RUNNING for 5s: 3 of 4 subtasks running, 1
// finished (restarts 1: <cause>)".
func progressLine(st api.JobStatus, running time.Duration) string {
	var run, done int
	for _, s := range st.Subtasks {
		switch s.State {
		case api.Running:
			run++
		case api.Finished:
			done++
		}
	}
	line := fmt.Sprintf("Job %s %s for %s: %d of %d subtasks running, %d finished", st.ID, st.State,
		running.Round(time.Second), run, len(st.Subtasks), done)
	if st.Restarts > 0 {
		line += fmt.Sprintf("; restarts %d", st.Restarts)
		if n := len(st.Exceptions); n > 0 {
			line += ": " + firstLine(st.Exceptions[n-1].Cause)
		}
	}
	return line
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
