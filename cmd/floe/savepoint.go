package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/urfave/cli/v2"
)

// savepointCommand is Flink's `floe savepoint JOBID [TARGET_DIR]`: a
// savepoint of a running job, under TARGET_DIR or state.savepoints.dir;
// the job goes on running.
func savepointCommand() *cli.Command {
	return &cli.Command{
		Name:      "savepoint",
		Usage:     "take a savepoint of a running job of a Floe cluster on YARN",
		ArgsUsage: "JOBID [TARGET_DIR]",
		Flags:     append(clusterFlags(), dynamicFlag()),
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 || c.NArg() > 2 {
				return fmt.Errorf("savepoint: want JOBID [TARGET_DIR] (see `floe list`)")
			}
			id := c.Args().First()
			cfg, err := loadConfig(c, dynamicArgs(c))
			if err != nil {
				return err
			}
			target := c.Args().Get(1)
			if target == "" {
				target = cfg.String(conf.SavepointsDir)
			}
			if target == "" {
				return fmt.Errorf("savepoint: no TARGET_DIR and %s is not set", conf.SavepointsDir)
			}
			oc, err := openCluster(c, api.SavepointWait+30*time.Second)
			if err != nil {
				return err
			}
			defer oc.done()
			ctx, cc, app := oc.ctx, oc.cc, oc.name
			dir, err := cc.Savepoint(ctx, id, target)
			if errors.Is(err, client.ErrUnknownJob) {
				return fmt.Errorf("savepoint: %w", err) // names the jobs the cluster has
			} else if err != nil {
				return fmt.Errorf("savepoint of job %s of %s: %w", id, app, err)
			}
			fmt.Fprintf(c.App.Writer, "Savepoint completed. Path: %s\n", dir)
			return nil
		},
	}
}
