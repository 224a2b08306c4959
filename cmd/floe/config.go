package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/floe-yarn/floe/am"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/urfave/cli/v2"
)

// configCommand is `floe config`: load floe-conf.yaml ($FLOE_CONF_DIR), -D
// overrides and, when HADOOP_CONF_DIR or YARN_CONF_DIR is set, Hadoop's
// *-site.xml, and print every effective value with where it came from.
func configCommand() *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "print the effective configuration and where each value came from",
		Description: "Reads " + contract.FileConf + " from $" + contract.EnvConfDir + ", applies -D overrides, and reads\n" +
			"core-site.xml, hdfs-site.xml and yarn-site.xml from $" + contract.EnvHadoopConfDir + " / $" + contract.EnvYarnConfDir + ".",
		Flags: []cli.Flag{
			dynamicFlag(),
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also print each option's type and description"},
			&cli.StringFlag{Name: "get", Usage: "print only the effective value of the Floe option `KEY` (for scripts)"},
		},
		Action: runConfig,
	}
}

func runConfig(c *cli.Context) error {
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: dynamicArgs(c)})
	if err != nil {
		return err
	}
	if key := c.String("get"); key != "" {
		if !slices.Contains(knownKeys(), key) {
			msg := fmt.Sprintf("config --get: %q is not a Floe option", key)
			if near := conf.Nearest(key, knownKeys()); near != "" {
				msg += "; did you mean " + near + "?"
			}
			return errors.New(msg + " (floe config -v lists them)")
		}
		for _, e := range cfg.Entries() {
			if e.Option.Key == key {
				fmt.Fprintln(c.App.Writer, e.Value)
			}
		}
		return nil
	}
	var hadoop *conf.Hadoop
	hadoopNote := ""
	h, err := conf.LoadHadoop("")
	switch {
	case errors.Is(err, conf.ErrNoHadoopConf):
		hadoop = conf.HadoopDefaults()
		hadoopNote = fmt.Sprintf("%s and %s are not set: Hadoop defaults shown", contract.EnvHadoopConfDir, contract.EnvYarnConfDir)
	case err != nil:
		return err
	default:
		hadoop = h
		hadoopNote = fmt.Sprintf("read from %v", h.Dirs())
	}

	verbose := c.Bool("verbose")
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	header := "KEY\tVALUE\tSOURCE"
	if verbose {
		header += "\tTYPE\tDESCRIPTION"
	}
	fmt.Fprintln(w, "# Floe options")
	fmt.Fprintln(w, header)
	for _, e := range cfg.Entries() {
		src := e.Source.String()
		switch {
		case e.Flink:
			src += " (Flink option not supported by Floe, ignored)"
		case !e.Known:
			src += " (unknown option, ignored)"
			if near := conf.Nearest(e.Option.Key, knownKeys()); near != "" {
				src += "; did you mean " + near + "?"
			}
		}
		line := fmt.Sprintf("%s\t%s\t%s", e.Option.Key, display(e.Value), src)
		if verbose {
			typ := "-"
			if e.Known {
				typ = e.Option.Type.String()
			}
			line += fmt.Sprintf("\t%s\t%s", typ, e.Option.Doc)
		}
		fmt.Fprintln(w, line)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := printEffective(c.App.Writer, cfg); err != nil {
		return err
	}
	w = tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "\n# Hadoop (%s)\n", hadoopNote)
	fmt.Fprintln(w, "KEY\tVALUE\tSOURCE")
	for _, k := range conf.HadoopKeys() {
		v, src, _ := hadoop.Lookup(k)
		fmt.Fprintf(w, "%s\t%s\t%s\n", k, display(v), hadoopSource(src))
	}
	if ids := hadoop.RMHAIDs(); len(ids) > 0 {
		for _, id := range ids {
			fmt.Fprintf(w, "%s.%s\t%s\tresolved (HA)\n", conf.KeyRMAddress, id, hadoop.RMAddress(id))
			fmt.Fprintf(w, "%s.%s\t%s\tresolved (HA)\n", conf.KeyRMSchedulerAddress, id, hadoop.RMSchedulerAddress(id))
			fmt.Fprintf(w, "%s.%s\t%s\tresolved (HA)\n", conf.KeyRMWebAppAddress, id, hadoop.RMWebAppAddress(id))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(c.App.ErrWriter, "floe: warning:", w)
	}
	for _, msg := range hadoop.Ignored() {
		fmt.Fprintf(c.App.ErrWriter, "floe: warning: %s; the later value is ignored\n", msg)
	}
	return nil
}

func knownKeys() []string {
	var keys []string
	for _, o := range conf.Declared() {
		keys = append(keys, o.Key)
	}
	return keys
}

func display(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

func hadoopSource(s conf.Source) string {
	if s.Kind == conf.SourceDefault {
		return "hadoop default"
	}
	return s.String()
}

// printEffective prints what a job submitted with this configuration runs
// with where the value is not an option's own: the restart strategy, whose
// default depends on the cluster (Floe on YARN restarts a lost container's
// job 3 times; a standalone JobManager does not restart unless told).
func printEffective(out io.Writer, cfg *conf.Config) error {
	yarn, err := am.RestartStrategy(cfg)
	if err != nil {
		return err
	}
	alone, err := jobmanager.ParseRestartStrategy(cfg, &api.RestartStrategy{})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "\n# What runs (restart strategy of a submitted job)")
	fmt.Fprintln(w, "CLUSTER\tRESTART STRATEGY")
	fmt.Fprintf(w, "YARN (per-job, session, application)\t%s\n", describeRestart(yarn))
	fmt.Fprintf(w, "standalone (floe jobmanager, -m host:port)\t%s\n", describeRestart(*alone))
	return w.Flush()
}

// describeRestart says in words what a restart strategy does.
func describeRestart(r api.RestartStrategy) string {
	ms := func(v int64) string { return (time.Duration(v) * time.Millisecond).String() }
	switch r.Kind() {
	case api.RestartFixedDelay:
		return fmt.Sprintf("fixed-delay: %d restart(s), %s apart", r.Attempts, ms(r.DelayMillis))
	case api.RestartExponentialDelay:
		return fmt.Sprintf("exponential-delay: %s, growing ×%g up to %s (jitter %g), %d attempts before the backoff resets",
			ms(r.InitialBackoffMillis), r.BackoffMultiplier, ms(r.MaxBackoffMillis), r.JitterFactor, r.Attempts)
	case api.RestartFailureRate:
		return fmt.Sprintf("failure-rate: at most %d failure(s) per %s, %s apart", r.MaxFailuresPerInterval,
			ms(r.FailureRateIntervalMillis), ms(r.DelayMillis))
	default:
		return "none: a failed job fails"
	}
}
