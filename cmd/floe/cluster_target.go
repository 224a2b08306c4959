package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/urfave/cli/v2"
)

// clusterFlags are -t (which kind of YARN cluster) and -m (a standalone
// or remote JobManager's host:port) of list, cancel and savepoint.
func clusterFlags() []cli.Flag {
	return []cli.Flag{yarnTargetFlag(),
		&cli.StringFlag{Name: "jobmanager", Aliases: []string{"m"},
			Usage: "JobManager `host:port` of a standalone cluster (default: the YARN application of -t / -Dyarn.application.id)"}}
}

// openedCluster is the JobManager a command talks to, and, on YARN, the
// application around it (env nil for a standalone JobManager).
type openedCluster struct {
	ctx  context.Context
	cc   *client.ClusterClient
	env  *yarnEnv
	name string // "application_…" or "JobManager host:port", for messages
	done func()
}

// openCluster connects to the JobManager of -m host:port, or else to the
// YARN application's (-Dyarn.application.id or the properties file),
// under a deadline that Ctrl-C ends too.
func openCluster(c *cli.Context, timeout time.Duration) (*openedCluster, error) {
	if addr := c.String("jobmanager"); addr != "" && addr != jobManagerYarnCluster {
		if _, err := loadConfig(c, dynamicArgs(c)); err != nil {
			return nil, err
		}
		jm, err := remoteClient(addr)
		if err != nil {
			return nil, fmt.Errorf("%s -m %s: %w", c.Command.Name, addr, err)
		}
		ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
		ctx, cancel := context.WithTimeout(ctx, timeout)
		return &openedCluster{ctx: ctx, cc: &client.ClusterClient{Addr: addr, JM: jm}, name: "JobManager " + addr,
			done: func() { cancel(); stop() }}, nil
	}
	if err := checkYarnTarget(c); err != nil {
		return nil, err
	}
	ctx, env, app, done, err := openApp(c, timeout)
	if err != nil {
		return nil, err
	}
	cc, err := env.desc.Retrieve(ctx, app)
	if err != nil {
		done()
		return nil, err
	}
	return &openedCluster{ctx: ctx, cc: cc, env: env, name: app.String(), done: done}, nil
}
