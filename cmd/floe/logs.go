package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/urfave/cli/v2"
)

// logsCommand is `floe logs`: every container of an application, running
// or finished (the AM's log names the TaskManager containers it had), and
// their logs, read from the NodeManagers' web services while they keep
// them, and from HDFS once a NodeManager aggregated them
// (yarn.log-aggregation-enable; Hadoop's TFile format).
func logsCommand() *cli.Command {
	return &cli.Command{
		Name:  "logs",
		Usage: "print the container logs of a Floe application (-Dyarn.application.id=APPID, or the properties file)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "container", Usage: "only this container `ID` or TaskManager id (tm-3) (default: all; the AM first)"},
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
			rep, err := env.rm.ApplicationReport(ctx, app)
			if err != nil {
				return err
			}
			all, err := nm.AllContainers(ctx, rep)
			if err != nil {
				return err
			}
			out := c.App.Writer
			cs := all
			if want := c.String("container"); want != "" {
				cs = nil
				for _, ci := range all {
					if ci.ID.String() == want || ci.TaskManager == want {
						cs = append(cs, ci)
					}
				}
				if len(cs) == 0 {
					cid, err := yarnrpc.ParseContainerID(want)
					if err != nil {
						return fmt.Errorf("logs: %q is neither a container id nor a TaskManager id of %s; its containers:\n%s", want, app, listContainers(all))
					}
					ref, ok, err := nm.FindContainer(ctx, cid)
					if err != nil {
						return err
					}
					if ok {
						cs = append(cs, client.ContainerInfo{ContainerRef: ref, State: "FINISHED"})
					}
				}
			}
			if len(cs) == 0 {
				return fmt.Errorf("logs: no NodeManager has containers of %s", app)
			}
			fmt.Fprintf(out, "Containers of %s:\n%s", app, listContainers(cs))
			for _, ct := range cs {
				where := ct.NodeWS
				if where == "" {
					where = ct.Node
				}
				files, err := nm.LogFiles(ctx, ct.ContainerRef)
				if err != nil {
					fmt.Fprintf(out, "== %s on %s: %v\n", ct.ID, where, err)
					continue
				}
				for _, f := range files {
					if c.String("file") != "" && f.Name != c.String("file") {
						continue
					}
					if c.String("file") == "" && !c.Bool("all") && (f.Size == 0 || yarnOwnLog[f.Name]) {
						continue
					}
					b, err := nm.ReadLog(ctx, ct.ContainerRef, f.Name, 0)
					fmt.Fprintf(out, "== %s on %s: %s (%d bytes)\n", ct.ID, where, f.Name, f.Size)
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

// listContainers is one line per container: id, role, node, state.
func listContainers(cs []client.ContainerInfo) string {
	var b strings.Builder
	for _, ci := range cs {
		role := "JobManager (AM)"
		if ci.TaskManager != "" {
			role = "TaskManager " + ci.TaskManager
		} else if !ci.IsAM() {
			role = "container"
		}
		where := ci.NodeWS
		if ci.Node != "" {
			where = ci.Node
		}
		line := fmt.Sprintf("  %s  %-20s on %-22s %s", ci.ID, role, where, ci.State)
		if ci.Exit != "" {
			line += " (" + ci.Exit + ")"
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// yarnOwnLog names the files the NodeManager writes into every container's
// log folder; `floe logs` leaves them out unless --all.
var yarnOwnLog = map[string]bool{"launch_container.sh": true, "directory.info": true, "prelaunch.out": true, "prelaunch.err": true}
