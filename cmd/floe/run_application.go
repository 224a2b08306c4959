package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// runApplicationCommand is `floe run-application -t yarn-application`:
// the AM runs the job binary's plan role inside the cluster, so the client
// runs nothing of the job. With -Dyarn.provided.lib.dirs=hdfs://… and a job
// binary given as hdfs://…, nothing is uploaded.
func runApplicationCommand() *cli.Command {
	return &cli.Command{
		Name:      "run-application",
		Usage:     "run a job in application mode on YARN (the plan runs in the cluster)",
		ArgsUsage: "JOB_BINARY_OR_HDFS_URI [args…]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "target", Aliases: []string{"t"}, Value: targetYarnApplication, Usage: "must be yarn-application"},
			&cli.IntFlag{Name: "parallelism", Aliases: []string{"p"}, Usage: "default parallelism of the job"},
			&cli.BoolFlag{Name: "detached", Aliases: []string{"d"}, Usage: "return once the job is submitted"},
			dynamicFlag(),
		},
		Action: func(c *cli.Context) error {
			if t := c.String("target"); t != targetYarnApplication {
				return fmt.Errorf("run-application: target %q: only yarn-application is supported", t)
			}
			if c.NArg() < 1 {
				return errors.New("run-application: no job binary given (floe run-application -t yarn-application JOB_BINARY [args…])")
			}
			cfg, err := loadConfig(c, dynamicArgs(c))
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runOnYarn(ctx, yarnRun{c: c, cfg: cfg, target: targetYarnApplication, bin: c.Args().First(),
				args: c.Args().Tail(), parallelism: c.Int("parallelism"), detached: c.Bool("detached"), out: c.App.Writer})
		},
	}
}
