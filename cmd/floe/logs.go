package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/urfave/cli/v2"
)

// logsCommand is `floe logs`: container logs of an application, read from
// the NodeManagers' web services (no log aggregation needed).
func logsCommand() *cli.Command {
	return &cli.Command{
		Name:  "logs",
		Usage: "print the container logs of a Floe application (-Dyarn.application.id=APPID, or the properties file)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "container", Usage: "only this container `ID` (default: all; the AM first)"},
			&cli.IntFlag{Name: "tail", Usage: "only the last `N` lines of each file (0 = all)"},
			&cli.StringFlag{Name: "file", Usage: "only log files with this `NAME` (e.g. jobmanager.log)"},
			&cli.BoolFlag{Name: "all", Usage: "also YARN's own files (launch_container.sh, prelaunch.*, directory.info) and empty ones"},
			dynamicFlag(),
		},
		Action: func(c *cli.Context) error {
			ctx, env, app, done, err := openApp(c, 2*time.Minute)
			if err != nil {
				return err
			}
			defer done()
			nm := env.desc.Logs()
			var cs []client.ContainerRef
			if id := c.String("container"); id != "" {
				cid, err := yarnrpc.ParseContainerID(id)
				if err != nil {
					return err
				}
				if ref, ok, err := nm.FindContainer(ctx, cid); err != nil {
					return err
				} else if ok {
					cs = append(cs, ref)
				}
			} else {
				rep, err := env.rm.ApplicationReport(ctx, app)
				if err != nil {
					return err
				}
				if cs, err = nm.AppContainers(ctx, rep); err != nil {
					return err
				}
			}
			if len(cs) == 0 {
				return fmt.Errorf("logs: no NodeManager has containers of %s", app)
			}
			out := c.App.Writer
			for _, ct := range cs {
				files, err := nm.LogFiles(ctx, ct)
				if err != nil {
					fmt.Fprintf(out, "== %s on %s: %v\n", ct.ID, ct.NodeWS, err)
					continue
				}
				for _, f := range files {
					if c.String("file") != "" && f.Name != c.String("file") {
						continue
					}
					if c.String("file") == "" && !c.Bool("all") && (f.Size == 0 || yarnOwnLog[f.Name]) {
						continue
					}
					b, err := nm.ReadLog(ctx, ct, f.Name, 0)
					fmt.Fprintf(out, "== %s on %s: %s (%d bytes)\n", ct.ID, ct.NodeWS, f.Name, f.Size)
					if err != nil {
						fmt.Fprintf(out, "   %v\n", err)
						continue
					}
					text := client.LogContents(string(b))
					if n := c.Int("tail"); n > 0 {
						text = strings.Join(client.LastLines(text, n), "\n")
					}
					fmt.Fprintln(out, strings.TrimRight(text, "\n"))
				}
			}
			return nil
		},
	}
}

// yarnOwnLog names the files the NodeManager writes into every container's
// log folder; `floe logs` leaves them out unless --all.
var yarnOwnLog = map[string]bool{"launch_container.sh": true, "directory.info": true, "prelaunch.out": true, "prelaunch.err": true}
