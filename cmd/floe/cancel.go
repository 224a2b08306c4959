package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/urfave/cli/v2"
)

// cancelCommand is `floe cancel JOBID`. Cancelling the only job of a
// per-job or application cluster ends the application (the AM does it).
func cancelCommand() *cli.Command {
	return &cli.Command{
		Name:      "cancel",
		Usage:     "cancel a job of a Floe cluster on YARN (or of a standalone JobManager, -m host:port)",
		ArgsUsage: "JOBID",
		Flags:     append(clusterFlags(), dynamicFlag()),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("cancel: want one JOBID (see `floe list`)")
			}
			id := c.Args().First()
			oc, err := openCluster(c, 90*time.Second)
			if err != nil {
				return err
			}
			defer oc.done()
			ctx, cc, env, app := oc.ctx, oc.cc, oc.env, oc.cc.App
			if _, err := cc.Cancel(ctx, id); errors.Is(err, client.ErrUnknownJob) {
				return fmt.Errorf("cancel: %w", err) // names the jobs the cluster has
			} else if err != nil {
				return fmt.Errorf("cancel job %s of %s: %w", id, oc.name, err)
			}
			j, err := cc.WatchJob(ctx, id, 200*time.Millisecond, io.Discard)
			if err != nil && env == nil {
				return err
			}
			if err != nil {
				// Per-job and application clusters end with their job, so the
				// JobManager may be gone before it answered again.
				rep, rerr := env.rm.ApplicationReport(ctx, app)
				if rerr == nil && rep.State.Terminal() {
					fmt.Fprintf(c.App.Writer, "Cancelled job %s; application %s ended %s.\n", id, app, rep.FinalStatus)
					return nil
				}
				return err
			}
			fmt.Fprintf(c.App.Writer, "Cancelled job %s (%s).\n", id, j.State)
			if env != nil && c.String("target") != targetYarnSession {
				wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
				rep, _ := env.desc.WaitEnd(wctx, app)
				wcancel()
				fmt.Fprintf(c.App.Writer, "Application %s %s (%s).\n", app, rep.State, rep.FinalStatus)
			}
			return nil
		},
	}
}
