package client

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// FailoverWait bounds how long a client waits for a new ApplicationMaster
// attempt to register its JobManager (YARN must allocate and start the AM
// container; the liveness expiry of a hung AM is not included).
const FailoverWait = 3 * time.Minute

// reporter returns an application's report (RM.ApplicationReport).
type reporter func(ctx context.Context, app yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error)

// Follow lets c find the JobManager again after an ApplicationMaster
// failover: when it becomes unreachable, WatchJob asks the
// ResourceManager for the application report, waits for a later attempt
// to register, switches to its address and prints "JobManager failed over
// to attempt N" once to out (nil: d's Out).
func (d *YarnDescriptor) Follow(c *ClusterClient, out io.Writer) {
	if out == nil {
		out = d.opts.Out
	}
	if out == nil {
		out = io.Discard
	}
	c.report, c.out = d.opts.RM.ApplicationReport, out
}

// Attempt is the ApplicationMaster attempt c talks to (1 for the first).
func (c *ClusterClient) Attempt() int { return int(c.Report.Attempt.Attempt) }

// reresolve waits (within FailoverWait) for an attempt later than c's to
// serve a JobManager and switches c to it, or for c's JobManager to answer
// again. ok is false when c cannot follow (no report source) or the
// application ended, and err says why no JobManager was found in time.
func (c *ClusterClient) reresolve(ctx context.Context) (ok bool, err error) {
	if c.report == nil {
		return false, nil
	}
	wctx, cancel := context.WithTimeout(ctx, FailoverWait)
	defer cancel()
	waiting := false
	for {
		rep, err := c.report(wctx, c.App)
		switch {
		case err != nil:
		case rep.State.Terminal():
			return false, nil // the caller consults YARN for how it ended
		case rep.Attempt.Attempt <= c.Report.Attempt.Attempt && rep.Attempt.Attempt > 0:
			// The same attempt: the ResourceManager may not have noticed
			// the AM's death yet, or the JobManager was briefly away.
			pctx, cancel := context.WithTimeout(wctx, 2*time.Second)
			_, perr := c.Overview(pctx)
			cancel()
			if perr == nil {
				return true, nil
			}
		case rep.State == yarnrpc.StateRunning && rep.Host != "" && rep.Host != "N/A" && rep.RPCPort > 0:
			next, err := Connect(rep, c.JM.Secret)
			if err != nil {
				return false, err
			}
			next.report, next.out, next.announced = c.report, c.out, c.announced
			*c = *next
			c.announceFailover()
			return true, nil
		default:
			if !waiting {
				fmt.Fprintf(c.out, "%s JobManager of %s is failing over to attempt %d; waiting for it\n",
					time.Now().Format("15:04:05"), c.App, rep.Attempt.Attempt)
				waiting = true
			}
		}
		t := time.NewTimer(time.Second)
		select {
		case <-wctx.Done():
			t.Stop()
			return false, fmt.Errorf("application %s: no JobManager of a new attempt within %v: %w", c.App, FailoverWait, context.Cause(wctx))
		case <-t.C:
		}
	}
}

// announceFailover prints the failover line once per attempt.
func (c *ClusterClient) announceFailover() {
	if n := c.Attempt(); n > 1 && n > c.announced && c.out != nil {
		fmt.Fprintf(c.out, "%s JobManager failed over to attempt %d (%s)\n", time.Now().Format("15:04:05"), n, c.Addr)
		c.announced = n
	}
}

// waitFailover returns app's report; while a later ApplicationMaster
// attempt is starting (ACCEPTED again, or RUNNING before it registered its
// JobManager) it waits for it (within FailoverWait), saying so once, and
// prints "JobManager failed over to attempt N" when it is there.
func (d *YarnDescriptor) waitFailover(ctx context.Context, app yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
	rep, err := d.opts.RM.ApplicationReport(ctx, app)
	if err != nil || !failingOver(rep) {
		return rep, err
	}
	out := d.opts.Out
	if out == nil {
		out = io.Discard
	}
	fmt.Fprintf(out, "JobManager of %s is failing over to attempt %d; waiting for it\n", app, rep.Attempt.Attempt)
	wctx, cancel := context.WithTimeout(ctx, FailoverWait)
	defer cancel()
	for failingOver(rep) {
		t := time.NewTimer(d.opts.PollInterval)
		select {
		case <-wctx.Done():
			t.Stop()
			return rep, fmt.Errorf("application %s: no JobManager of attempt %d within %v: %w", app, rep.Attempt.Attempt, FailoverWait, context.Cause(wctx))
		case <-t.C:
		}
		if r, err := d.opts.RM.ApplicationReport(wctx, app); err == nil {
			rep = r
		}
	}
	if rep.State == yarnrpc.StateRunning {
		fmt.Fprintf(out, "JobManager failed over to attempt %d\n", rep.Attempt.Attempt)
	}
	return rep, nil
}

// failingOver reports whether a later attempt than the first is starting:
// not yet RUNNING with a registered JobManager.
func failingOver(rep yarnrpc.ApplicationReport) bool {
	if rep.Attempt.Attempt <= 1 || rep.State.Terminal() {
		return false
	}
	return rep.State != yarnrpc.StateRunning || rep.Host == "" || rep.Host == "N/A" || rep.RPCPort <= 0
}
