package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// ApplicationError is an application that ended (or failed to start)
// unsuccessfully: YARN's diagnostics and the AM's last log lines, so the
// user never has to go looking.
type ApplicationError struct {
	Report yarnrpc.ApplicationReport
	// AMLog holds the AM's last log lines ("file: line").
	AMLog []string
}

func (e *ApplicationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "application %s ended %s (final status %s)", e.Report.ID, e.Report.State, e.Report.FinalStatus)
	if d := strings.TrimSpace(e.Report.Diagnostics); d != "" {
		fmt.Fprintf(&b, "\nYARN diagnostics:\n  %s", strings.ReplaceAll(d, "\n", "\n  "))
	}
	if len(e.AMLog) > 0 {
		b.WriteString("\nLast lines of the ApplicationMaster's log:")
		for _, l := range e.AMLog {
			b.WriteString("\n  " + l)
		}
	}
	return b.String()
}

// amLogLines is how many AM log lines a failure report shows.
const amLogLines = 20

// WaitRunning polls app until it is RUNNING (the AM registered, so its host
// and port are in the report). While ACCEPTED it prints YARN's diagnostics
// (queue full, AM limit reached) whenever they change. When the application
// ends first it returns an *ApplicationError and removes the staging
// folder. When ctx ends it kills the application and removes the staging
// folder, leaving nothing behind.
func (d *YarnDescriptor) WaitRunning(ctx context.Context, app yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
	start := time.Now()
	lastStatus := ""
	warned := false
	for {
		rep, err := d.opts.RM.ApplicationReport(ctx, app)
		if err == nil {
			switch {
			case rep.State == yarnrpc.StateRunning:
				if lastStatus != "" && isTerminal(d.opts.Out) {
					fmt.Fprintln(d.opts.Out)
				}
				return rep, nil
			case rep.State.Terminal():
				if lastStatus != "" && isTerminal(d.opts.Out) {
					fmt.Fprintln(d.opts.Out)
				}
				return rep, d.failure(ctx, rep)
			}
			status := fmt.Sprintf("Waiting for YARN: %s", rep.State)
			if diag := strings.TrimSpace(rep.Diagnostics); diag != "" {
				status += " — " + firstLine(diag)
			}
			if status != lastStatus {
				if isTerminal(d.opts.Out) {
					fmt.Fprintf(d.opts.Out, "\r\033[K%s", status)
				} else {
					fmt.Fprintln(d.opts.Out, status)
				}
				lastStatus = status
			}
		} else if ctx.Err() == nil {
			d.opts.Logger.Debug().Err(err).Msg("application report")
		}
		if !warned && time.Since(start) > 60*time.Second {
			warned = true
			fmt.Fprintf(d.opts.Out, "\nDeployment takes more than 60 s: is the queue full? (application %s)\n", app)
		}
		t := time.NewTimer(d.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			if lastStatus != "" && isTerminal(d.opts.Out) {
				fmt.Fprintln(d.opts.Out)
			}
			d.abandon(app, "Floe client interrupted during deployment")
			return yarnrpc.ApplicationReport{}, fmt.Errorf("deploy %s: %w (application killed, staging folder removed)", app, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// abandon kills app and removes its staging folder, bounded.
func (d *YarnDescriptor) abandon(app yarnrpc.ApplicationID, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = d.opts.RM.Kill(ctx, app, why)
	_ = d.staging.Remove(ctx, app)
}

// failure builds the report of an application that ended unsuccessfully
// and removes its staging folder (the AM may never have run).
func (d *YarnDescriptor) failure(ctx context.Context, rep yarnrpc.ApplicationReport) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = d.staging.Remove(cctx, rep.ID)
	if rep.State == yarnrpc.StateFinished && rep.FinalStatus == yarnrpc.FinalSucceeded {
		return nil
	}
	return &ApplicationError{Report: rep, AMLog: d.logs.AMLogTail(cctx, rep, amLogLines)}
}

// WaitEnd polls app until it is in a terminal state and returns its final
// report; an unsuccessful end is an *ApplicationError.
func (d *YarnDescriptor) WaitEnd(ctx context.Context, app yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
	for {
		rep, err := d.opts.RM.ApplicationReport(ctx, app)
		if err == nil && rep.State.Terminal() {
			return rep, d.failure(ctx, rep)
		}
		if err != nil && isNotFound(err) {
			return rep, fmt.Errorf("application %s: %w", app, err)
		}
		t := time.NewTimer(d.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return rep, context.Cause(ctx)
		case <-t.C:
		}
	}
}

// IsApplicationError reports whether err is an *ApplicationError.
func IsApplicationError(err error) bool {
	var ae *ApplicationError
	return errors.As(err, &ae)
}

// isTerminal reports whether w is a terminal (status lines redraw in place
// there; elsewhere each change is its own line).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
