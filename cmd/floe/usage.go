package main

import (
	"fmt"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/urfave/cli/v2"
)

// oneLineUsageErrors makes every flag error of app and its commands one
// line naming the flag and, for an unknown flag, the nearest known one,
// instead of urfave/cli's "Incorrect Usage" followed by the whole help.
func oneLineUsageErrors(app *cli.App) {
	app.OnUsageError = usageError("", app.Flags)
	for _, cmd := range app.Commands {
		cmd.OnUsageError = usageError(cmd.Name, cmd.Flags)
	}
}

func usageError(cmd string, flags []cli.Flag) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		return flagError(cmd, flags, err)
	}
}

// flagError rewrites a flag parse error of the command cmd ("" for the
// global flags): "run: unknown flag -yjmx; did you mean -yjm? (…)".
func flagError(cmd string, flags []cli.Flag, err error) error {
	prefix, help := cmd+": ", "floe "+cmd+" --help"
	if cmd == "" {
		prefix, help = "", "floe --help"
	}
	msg := err.Error()
	given, ok := strings.CutPrefix(msg, "flag provided but not defined: ")
	if !ok {
		return fmt.Errorf("%s%s (`%s` lists the flags)", prefix, msg, help)
	}
	var known []string
	for _, f := range flags {
		known = append(known, f.Names()...)
	}
	if near := conf.Nearest(strings.TrimLeft(given, "-"), known); near != "" {
		return fmt.Errorf("%sunknown flag %s; did you mean %s? (`%s` lists the flags)", prefix, given, dashed(near), help)
	}
	return fmt.Errorf("%sunknown flag %s (`%s` lists the flags)", prefix, given, help)
}

// dashed writes a flag the way Flink's docs do: short names with one
// dash (-p, -yjm, -sae), long ones with two (--parallelism).
func dashed(name string) string {
	if len(name) <= 3 {
		return "-" + name
	}
	return "--" + name
}
