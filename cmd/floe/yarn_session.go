package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/urfave/cli/v2"
)

// sessionPoll is how often an attached yarn-session reports status, as
// Flink's 3 s.
const sessionPoll = 3 * time.Second

// yarnSessionCommand is `floe yarn-session`, Flink's yarn-session.sh.
func yarnSessionCommand() *cli.Command {
	return &cli.Command{
		Name:  "yarn-session",
		Usage: "start, attach to or stop a Floe session cluster on YARN",
		Description: "Attached (default): prints the JobManager's web address and the YARN tracking URL, then reports status;\n" +
			"type `stop` to stop the cluster. Detached (-d): writes the YARN properties file and exits.\n" +
			"`echo stop | floe yarn-session -id APPID` stops a running session. -q prints the cluster's free resources.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "detached", Aliases: []string{"d"}, Usage: "start the session and exit"},
			&cli.StringFlag{Name: "name", Aliases: []string{"nm"}, Usage: "YARN application `NAME`"},
			&cli.StringFlag{Name: "queue", Aliases: []string{"qu"}, Usage: "YARN `QUEUE`"},
			&cli.StringFlag{Name: "jobManagerMemory", Aliases: []string{"jm"}, Usage: "JobManager container memory (`MB`, or with a unit: 512m, 1g)"},
			&cli.StringFlag{Name: "taskManagerMemory", Aliases: []string{"tm"}, Usage: "TaskManager container memory (`MB`, or with a unit)"},
			&cli.IntFlag{Name: "slots", Aliases: []string{"s"}, Usage: "slots per TaskManager"},
			&cli.StringFlag{Name: "applicationType", Aliases: []string{"at"}, Usage: "YARN application `TYPE`"},
			&cli.StringFlag{Name: "applicationId", Aliases: []string{"id"}, Usage: "attach to a running session `APPID`"},
			&cli.BoolFlag{Name: "query", Aliases: []string{"q"}, Usage: "print the cluster's free resources and exit"},
			dynamicFlag(),
		},
		Action: runYarnSession,
	}
}

// sessionDynamic turns the session's short flags into -D values (after
// the explicit -D ones, so the flags win as in Flink).
func sessionDynamic(c *cli.Context) []string {
	dyn := dynamicArgs(c)
	add := func(flag, key string, val string) {
		if c.IsSet(flag) {
			dyn = append(dyn, key+"="+val)
		}
	}
	add("name", conf.YarnApplicationName, c.String("name"))
	add("queue", conf.YarnApplicationQueue, c.String("queue"))
	add("jobManagerMemory", conf.JobManagerProcessSize, flinkMemory(c.String("jobManagerMemory")))
	add("taskManagerMemory", conf.TaskManagerProcessSize, flinkMemory(c.String("taskManagerMemory")))
	add("slots", conf.TaskManagerSlots, fmt.Sprint(c.Int("slots")))
	add("applicationType", conf.YarnApplicationType, c.String("applicationType"))
	if c.IsSet("applicationId") {
		dyn = append(dyn, conf.YarnApplicationID+"="+c.String("applicationId"))
	}
	return dyn
}

func runYarnSession(c *cli.Context) error {
	dyn := sessionDynamic(c)
	cfg, err := loadConfig(c, dyn)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGTERM)
	defer stop()
	env, err := newYarnEnv(ctx, c, cfg)
	if err != nil {
		return err
	}
	defer env.Close()
	out := c.App.Writer
	if c.Bool("query") {
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return client.PrintClusterResources(qctx, env.rm, cfg.String(conf.YarnApplicationQueue), out)
	}
	var cc *client.ClusterClient
	if id := cfg.String(conf.YarnApplicationID); id != "" {
		app, err := yarnrpc.ParseApplicationID(id)
		if err != nil {
			return fmt.Errorf("-id %s: %w", id, err)
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		cc, err = env.desc.Retrieve(rctx, app)
		cancel()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Attached to Floe session %s\n", app)
	} else {
		// Deploying is interruptible: Ctrl-C kills the half-started session.
		dctx, dstop := signal.NotifyContext(ctx, os.Interrupt)
		dep, err := env.desc.Deploy(dctx, client.DeploySpec{Mode: contract.ModeSession})
		if err != nil {
			dstop()
			return err
		}
		fmt.Fprintf(out, "Submitted application %s (%s uploaded)\n", dep.App, humanBytes(dep.Uploaded))
		rep, err := env.desc.WaitRunning(dctx, dep.App)
		dstop()
		if err != nil {
			return err
		}
		if cc, err = client.Connect(rep, dep.Secret); err != nil {
			return err
		}
		props := client.SessionProperties{AppID: dep.App.String(), Dynamic: map[string]string{}}
		for _, kv := range dyn {
			if k, v, ok := strings.Cut(kv, "="); ok && k != conf.YarnApplicationID {
				props.Dynamic[strings.TrimSpace(k)] = v
			}
		}
		if err := client.WriteProperties(propertiesPath(cfg), props); err != nil {
			return err
		}
		fmt.Fprintf(out, "Floe session %s is running.\nJobManager web interface: %s\nYARN tracking URL: %s\nWrote the YARN properties file %s\n",
			dep.App, cc.WebAddress(), rep.TrackingURL, propertiesPath(cfg))
		if c.Bool("detached") {
			fmt.Fprintf(out, "Detached. Stop the session with: echo stop | floe yarn-session -id %s\n", dep.App)
			return nil
		}
	}
	if cc.Report.TrackingURL != "" && cfg.String(conf.YarnApplicationID) != "" {
		fmt.Fprintf(out, "JobManager web interface: %s\nYARN tracking URL: %s\n", cc.WebAddress(), cc.Report.TrackingURL)
	}
	return sessionREPL(ctx, env, cfg, cc, os.Stdin, out)
}

// sessionREPL reports the session's status and reads commands until the
// user stops the session or detaches.
func sessionREPL(ctx context.Context, env *yarnEnv, cfg *conf.Config, cc *client.ClusterClient, in io.Reader, out io.Writer) error {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	fmt.Fprintln(out, "Type `stop` to stop the session, `help` for help.")
	lastStatus := ""
	tick := time.NewTicker(sessionPoll)
	defer tick.Stop()
	status := func() (done bool, err error) {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rep, err := env.rm.ApplicationReport(sctx, cc.App)
		if err != nil {
			fmt.Fprintf(out, "Status unknown: %v\n", err)
			return false, nil
		}
		if rep.State.Terminal() {
			fmt.Fprintf(out, "Session %s ended %s (%s)\n", cc.App, rep.State, rep.FinalStatus)
			removeOwnProperties(cfg, cc.App)
			_, err := env.desc.WaitEnd(sctx, cc.App)
			return true, err
		}
		s := fmt.Sprintf("Session %s %s", cc.App, rep.State)
		if o, err := cc.Overview(sctx); err == nil {
			s += " | " + formatOverview(o)
		}
		if s != lastStatus {
			fmt.Fprintln(out, s)
			lastStatus = s
		}
		return false, nil
	}
	if done, err := status(); done {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return stopSession(env, cfg, cc, out)
		case <-tick.C:
			if done, err := status(); done {
				return err
			}
		case <-sigs:
			fmt.Fprintf(out, "\nStop the Floe session %s? [y/N] ", cc.App)
			select {
			case l, ok := <-lines:
				if ok && (strings.EqualFold(l, "y") || strings.EqualFold(l, "yes") || l == "stop") {
					return stopSession(env, cfg, cc, out)
				}
			case <-sigs:
			case <-time.After(30 * time.Second):
			}
			fmt.Fprintf(out, "\nDetached; the session keeps running. Stop it with: echo stop | floe yarn-session -id %s\n", cc.App)
			return nil
		case l, ok := <-lines:
			if !ok {
				return sessionEOF(env, cfg, cc, out)
			}
			switch strings.ToLower(l) {
			case "":
			case "stop", "quit":
				return stopSession(env, cfg, cc, out)
			case "help":
				fmt.Fprintln(out, "Commands: stop (or quit) stops the session; help prints this.")
			default:
				fmt.Fprintf(out, "Unknown command %q; type `help`.\n", l)
			}
		}
	}
}

// sessionEOF handles the end of stdin: ask on the terminal whether to stop
// the session; without a terminal, leave it running.
func sessionEOF(env *yarnEnv, cfg *conf.Config, cc *client.ClusterClient, out io.Writer) error {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(out, "Input closed; the session keeps running. Stop it with: echo stop | floe yarn-session -id %s\n", cc.App)
		return nil
	}
	defer func() { _ = tty.Close() }()
	fmt.Fprintf(tty, "Input closed. Stop the Floe session %s? [y/N] ", cc.App)
	ans, _ := bufio.NewReader(tty).ReadString('\n')
	if a := strings.TrimSpace(ans); strings.EqualFold(a, "y") || strings.EqualFold(a, "yes") {
		return stopSession(env, cfg, cc, out)
	}
	fmt.Fprintf(out, "The session keeps running. Stop it with: echo stop | floe yarn-session -id %s\n", cc.App)
	return nil
}

// stopSession asks the JobManager to shut down (killing through YARN when
// it does not answer), waits for the end, and removes the properties file.
func stopSession(env *yarnEnv, cfg *conf.Config, cc *client.ClusterClient, out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	fmt.Fprintf(out, "Stopping Floe session %s…\n", cc.App)
	if err := cc.Shutdown(ctx, "stopped by floe yarn-session"); err != nil {
		fmt.Fprintf(out, "The JobManager did not accept the shutdown (%v); killing the application through YARN.\n", err)
		if err := env.rm.Kill(ctx, cc.App, "stopped by floe yarn-session"); err != nil {
			return err
		}
	}
	rep, err := env.desc.WaitEnd(ctx, cc.App)
	removeOwnProperties(cfg, cc.App)
	_ = env.desc.Staging().Remove(ctx, cc.App)
	if err != nil {
		var ae *client.ApplicationError
		if errors.As(err, &ae) && ae.Report.State == yarnrpc.StateKilled {
			fmt.Fprintf(out, "Session %s stopped (KILLED)\n", cc.App)
			return nil
		}
		return err
	}
	fmt.Fprintf(out, "Session %s stopped: %s (%s)\n", cc.App, rep.State, rep.FinalStatus)
	return nil
}

// removeOwnProperties removes the properties file when it names app.
func removeOwnProperties(cfg *conf.Config, app yarnrpc.ApplicationID) {
	p := propertiesPath(cfg)
	if props, err := client.ReadProperties(p); err == nil && props.AppID == app.String() {
		_ = client.RemoveProperties(p)
	}
}

// formatOverview renders the JobManager overview in one line.
func formatOverview(o api.Overview) string {
	states := make([]string, 0, len(o.Jobs))
	for st, n := range o.Jobs {
		states = append(states, fmt.Sprintf("%s %d", st, n))
	}
	sort.Strings(states)
	jobs := "none"
	if len(states) > 0 {
		jobs = strings.Join(states, ", ")
	}
	return fmt.Sprintf("TaskManagers %d (+%d pending), slots %d free of %d, jobs: %s", o.TaskManagers, o.PendingTaskManagers, o.SlotsFree, o.SlotsTotal, jobs)
}
