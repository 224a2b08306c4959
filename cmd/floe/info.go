package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/floe-yarn/floe/client"
	"github.com/urfave/cli/v2"
)

// infoCommand is `floe info JOB_BINARY [args…]`: the job's plan as JSON,
// like `flink info`; it does not touch YARN. `floe info JOB_ID` describes a
// running job of a cluster on YARN instead (infoJob).
func infoCommand() *cli.Command {
	return &cli.Command{
		Name:      "info",
		Usage:     "print a job binary's plan (job graph) as JSON, or a running job's vertices with their records and backpressure (JOB_ID)",
		ArgsUsage: "JOB_BINARY [args…] | JOB_ID",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "parallelism", Aliases: []string{"p"}, Usage: "default parallelism of the job"},
			yarnTargetFlag(),
			dynamicFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return fmt.Errorf("info: no job binary given (floe info JOB_BINARY [args…])")
			}
			if c.NArg() == 1 && isRunningJobArg(c.Args().First()) {
				return infoJob(c, c.Args().First())
			}
			cfg, err := loadConfig(c, dynamicArgs(c))
			if err != nil {
				return err
			}
			bin, err := filepath.Abs(c.Args().First())
			if err != nil {
				return err
			}
			if err := client.CheckJobBinary(bin, client.ClusterPlatform(runtime.GOARCH)); err != nil {
				return err
			}
			job := client.NewJob(cfg, bin, c.Args().Tail(), c.Int("parallelism"))
			g, err := job.Plan(c.Context, os.Stdout)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if json.Indent(&buf, g, "", "  ") != nil {
				buf.Reset()
				buf.Write(g)
			}
			buf.WriteByte('\n')
			_, err = c.App.Writer.Write(buf.Bytes())
			return err
		},
	}
}
