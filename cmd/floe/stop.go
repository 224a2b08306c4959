package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/urfave/cli/v2"
)

// stopCommand is Flink's `floe stop [--savepointPath DIR] [--drain] JOBID`:
// a synchronous savepoint, after which the job's sources end and its sinks
// commit; the job ends FINISHED (a per-job or application cluster ends
// with it, SUCCEEDED). A savepoint that fails leaves the job running.
func stopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "stop a job of a Floe cluster on YARN with a savepoint",
		ArgsUsage: "JOBID",
		Flags: []cli.Flag{yarnTargetFlag(), dynamicFlag(),
			&cli.StringFlag{Name: "savepointPath", Aliases: []string{"p"}, Usage: "folder under which the savepoint is made (default: " + conf.SavepointsDir + ")"},
			&cli.BoolFlag{Name: "drain", Aliases: []string{"d"}, Usage: "end the input first (MAX watermark: event-time timers fire) before the savepoint"},
		},
		Action: func(c *cli.Context) error {
			if err := checkYarnTarget(c); err != nil {
				return err
			}
			if c.NArg() != 1 {
				return fmt.Errorf("stop: want one JOBID (see `floe list`)")
			}
			id := c.Args().First()
			ctx, env, app, done, err := openApp(c, api.SavepointWait+90*time.Second)
			if err != nil {
				return err
			}
			defer done()
			target := c.String("savepointPath")
			if target == "" {
				target = env.cfg.String(conf.SavepointsDir)
			}
			if target == "" {
				return fmt.Errorf("stop: no --savepointPath and %s is not set", conf.SavepointsDir)
			}
			cc, err := env.desc.Retrieve(ctx, app)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "Suspending job %s with a savepoint under %s.\n", id, target)
			dir, err := cc.StopWithSavepoint(ctx, id, target, c.Bool("drain"))
			if errors.Is(err, client.ErrUnknownJob) {
				return fmt.Errorf("stop: %w", err) // names the jobs the cluster has
			} else if err != nil {
				return fmt.Errorf("stop job %s of %s: %w", id, app, err)
			}
			fmt.Fprintf(c.App.Writer, "Savepoint completed. Path: %s\n", dir)
			if c.String("target") != targetYarnSession {
				wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
				rep, err := env.desc.WaitEnd(wctx, app)
				wcancel()
				if err == nil {
					fmt.Fprintf(c.App.Writer, "Application %s %s (%s).\n", app, rep.State, rep.FinalStatus)
				}
			}
			return nil
		},
	}
}
