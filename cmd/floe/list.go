package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

// yarnTargetFlag is -t of list and cancel: which kind of YARN cluster the
// application id names (all three are reached the same way).
func yarnTargetFlag() cli.Flag {
	return &cli.StringFlag{Name: "target", Aliases: []string{"t"}, Value: targetYarnSession,
		Usage: "yarn-session, yarn-per-job or yarn-application (with -Dyarn.application.id=APPID, or the properties file)"}
}

func checkYarnTarget(c *cli.Context) error {
	switch t := c.String("target"); t {
	case targetYarnSession, targetYarnPerJob, targetYarnApplication:
		return nil
	default:
		return fmt.Errorf("%s: target %q: want yarn-session, yarn-per-job or yarn-application", c.Command.Name, t)
	}
}

// listCommand is `floe list`: the jobs of a Floe cluster on YARN.
func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the jobs of a Floe cluster on YARN (or of a standalone JobManager, -m host:port)",
		Flags: append(clusterFlags(), dynamicFlag()),
		Action: func(c *cli.Context) error {
			oc, err := openCluster(c, 60*time.Second)
			if err != nil {
				return err
			}
			defer oc.done()
			ctx, cc, app := oc.ctx, oc.cc, oc.name
			jobs, err := cc.Jobs(ctx)
			if err != nil {
				return err
			}
			out := c.App.Writer
			if n := cc.Attempt(); n > 1 {
				fmt.Fprintf(out, "Application %s: JobManager attempt %d at %s (failed over %d time(s))\n", app, n, cc.Addr, n-1)
			}
			if len(jobs) == 0 {
				fmt.Fprintf(out, "No jobs in %s.\n", app)
				return nil
			}
			fmt.Fprintf(out, "%-24s %-12s %s\n", "JOB ID", "STATE", "NAME")
			for _, j := range jobs {
				fmt.Fprintf(out, "%-24s %-12s %s\n", j.ID, j.State, j.Name)
				if st, err := cc.Checkpoints(ctx, j.ID); err == nil && st.Line() != "" {
					fmt.Fprintf(out, "%-24s %s\n", "", st.Line())
				}
				if lines, err := cc.VertexLines(ctx, j.ID); err == nil {
					for _, l := range lines {
						fmt.Fprintf(out, "%-24s %s\n", "", l)
					}
				}
			}
			return nil
		},
	}
}
