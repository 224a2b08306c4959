package main

import (
	"fmt"
	"strings"

	"github.com/floe-yarn/floe/conf"

	"github.com/urfave/cli/v2"
)

// normalizeArgs rewrites Flink's glued dynamic properties, "-Dkey=value"
// (and -yDkey=value), into "-D" "key=value", which urfave/cli parses (Go's flag package would
// read "-Dkey=value" as a flag named "Dkey"). "-D key=value" passes through
// unchanged, so both spellings work for every command. Nothing after "--"
// is touched: arguments for the job program go there.
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args)+4)
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if i > 0 && len(a) > 2 && strings.HasPrefix(a, "-D") && a[2] != '=' {
			out = append(out, "-D", a[2:])
			continue
		}
		// Flink 1.x's -yDkey=value (floe run) likewise.
		if i > 0 && len(a) > 3 && strings.HasPrefix(a, "-yD") && a[3] != '=' {
			out = append(out, "-yD", a[3:])
			continue
		}
		out = append(out, a)
	}
	return out
}

// dynamicProperties collects repeated -D values as given. Unlike
// cli.StringSliceFlag it does not split on commas, so
// -D yarn.tags=a,b stays one property.
type dynamicProperties struct{ kvs []string }

func (d *dynamicProperties) Set(v string) error {
	d.kvs = append(d.kvs, v)
	return nil
}

func (d *dynamicProperties) String() string { return strings.Join(d.kvs, " ") }

// dynamicFlag is the -D flag of every command that takes configuration:
// -D key=value (or -Dkey=value, see normalizeArgs), repeatable.
func dynamicFlag() cli.Flag {
	return &cli.GenericFlag{
		Name:  "D",
		Usage: "set a configuration option, `key=value` (repeatable; -Dkey=value works too)",
		Value: &dynamicProperties{},
	}
}

// dynamicArgs returns the -D values of the running command, in order.
func dynamicArgs(c *cli.Context) []string {
	if d, ok := c.Generic("D").(*dynamicProperties); ok && d != nil {
		return append([]string(nil), d.kvs...)
	}
	return nil
}

// loadConfig loads the configuration with the dynamic properties dyn and
// prints one warning line per ignored key (Flink's options that Floe does
// not implement, unknown keys of the file) on standard error.
func loadConfig(c *cli.Context, dyn []string) (*conf.Config, error) {
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: dyn})
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(c.App.ErrWriter, "floe: warning:", w)
	}
	return cfg, nil
}
