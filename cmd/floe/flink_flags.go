package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/urfave/cli/v2"
)

// jobManagerYarnCluster is Flink 1.x's `-m yarn-cluster`: a per-job
// cluster on YARN (or, with -yid, the session of that application).
const jobManagerYarnCluster = "yarn-cluster"

// flinkRunFlags are the flags of Flink 1.x's `flink run` that Floe accepts
// for scripts written for Flink: the legacy YARN flags (valid with
// -m yarn-cluster), -c, -sae, -n and -s. flinkDynamic maps them to options.
func flinkRunFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "class", Aliases: []string{"c"}, Usage: "Flink's entry class; ignored: the job binary is the job"},
		&cli.StringFlag{Name: "yjm", Usage: "JobManager memory (`MB`, or with a unit: 1g) = " + conf.JobManagerProcessSize},
		&cli.StringFlag{Name: "ytm", Usage: "TaskManager memory (`MB`, or with a unit) = " + conf.TaskManagerProcessSize},
		&cli.StringFlag{Name: "ys", Usage: "slots per TaskManager = " + conf.TaskManagerSlots},
		&cli.StringFlag{Name: "ynm", Usage: "YARN application `NAME` = " + conf.YarnApplicationName},
		&cli.StringFlag{Name: "yqu", Usage: "YARN `QUEUE` = " + conf.YarnApplicationQueue},
		&cli.StringFlag{Name: "yid", Usage: "YARN session `APPID` to submit to = " + conf.YarnApplicationID},
		&cli.StringFlag{Name: "yat", Usage: "YARN application `TYPE` = " + conf.YarnApplicationType},
		&cli.GenericFlag{Name: "yD", Usage: "dynamic property `key=value`, as -D (repeatable)", Value: &dynamicProperties{}},
		&cli.BoolFlag{Name: "yd", Usage: "detached, as -d"},
		&cli.StringSliceFlag{Name: "yt", Usage: "ship `DIR` to the containers = " + conf.YarnShipFiles + ""},
		&cli.BoolFlag{Name: "shutdownOnAttachedExit", Aliases: []string{"sae"}, Usage: "end the cluster when the attached client is interrupted (Floe always cancels the job then)"},
		&cli.BoolFlag{Name: "allowNonRestoredState", Aliases: []string{"n"}, Usage: "start from a savepoint whose state matches no operator = " + conf.SavepointIgnoreUnclaimed},
		&cli.StringFlag{Name: "fromSavepoint", Aliases: []string{"s"}, Usage: "start from the savepoint `SAVEPOINT_PATH` = " + conf.SavepointPath},
	}
}

// flinkDynamic maps the Flink flags of `floe run` to -D values, placed
// before the explicit -D ones, which win. Flags that Floe accepts but
// cannot honour print one line each on warn.
func flinkDynamic(c *cli.Context, warn io.Writer) ([]string, error) {
	var dyn []string
	add := func(flag, key, val string) {
		if c.IsSet(flag) {
			dyn = append(dyn, key+"="+val)
		}
	}
	add("yjm", conf.JobManagerProcessSize, flinkMemory(c.String("yjm")))
	add("ytm", conf.TaskManagerProcessSize, flinkMemory(c.String("ytm")))
	add("ys", conf.TaskManagerSlots, c.String("ys"))
	add("ynm", conf.YarnApplicationName, c.String("ynm"))
	add("yqu", conf.YarnApplicationQueue, c.String("yqu"))
	add("yid", conf.YarnApplicationID, c.String("yid"))
	add("yat", conf.YarnApplicationType, c.String("yat"))
	if c.IsSet("yt") {
		add("yt", conf.YarnShipFiles, strings.Join(c.StringSlice("yt"), ";"))
	}
	add("fromSavepoint", conf.SavepointPath, c.String("fromSavepoint"))
	if c.Bool("allowNonRestoredState") {
		dyn = append(dyn, conf.SavepointIgnoreUnclaimed+"=true")
	}
	if c.IsSet("class") {
		fmt.Fprintf(warn, "floe: warning: -c %s ignored: a Floe job is its binary, which has no entry class to choose\n", c.String("class"))
	}
	if c.Bool("shutdownOnAttachedExit") {
		fmt.Fprintln(warn, "floe: note: -sae: an interrupted attached `floe run` always cancels its job, which ends a per-job or application cluster; a session keeps running")
	}
	if d, ok := c.Generic("yD").(*dynamicProperties); ok && d != nil {
		dyn = append(dyn, d.kvs...)
	}
	return append(dyn, dynamicArgs(c)...), nil
}

// flinkMemory reads a memory flag as Flink 1.x does: a bare number is MB.
func flinkMemory(v string) string {
	v = strings.TrimSpace(v)
	if v != "" && strings.Trim(v, "0123456789") == "" {
		return v + "m"
	}
	return v
}
