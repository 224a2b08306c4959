// Command rules is the real-time rule-marketing job:
//
//	rules --events PATH --rules PATH --output DIR [--rate N] [--out-of-orderness D]
//
// Events are lines "<eventTimeMillis> <user> <eventType>", keyed by user;
// rules are lines "<validFromMillis> <ruleId> <eventType> <count>
// <withinMillis>", a broadcast stream (a later line with the same ruleId
// replaces the rule from its validFrom on; count 0 deletes it). A rule
// (type X, count N, within W) fires for user u at every event of type X at
// time t of u when u has at least N events of type X with event time in
// (t − W, t]; the rule in force at t is the line with the greatest
// validFrom ≤ t, the later line in the file among equal validFroms,
// whatever the order of the lines. The events wait for the rules input to
// end (a bounded rules file always does) before any is evaluated. The
// output, in DIR through the exactly-once file sink, is one
// line "<user> <ruleId> <eventTimeMillis>" per distinct firing — the same
// on every run, at any parallelism, whatever fails (see package job).
//
// PATHs are local or hdfs:// files (or folders); --rate limits the lines
// per second of each source subtask (0: unlimited); --out-of-orderness
// (a Go duration, default 0s) bounds the events' disorder for the
// watermark. Events later than that are still counted (package job says
// how). Checkpointing comes from the configuration. A missing flag, a
// stray argument or a bad value is refused with exit status 2, naming it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/floe-yarn/floe/examples/rules/job"
	"github.com/floe-yarn/floe/stream"
)

const usage = "usage: rules --events PATH --rules PATH --output DIR [--rate N] [--out-of-orderness D]"

func main() {
	o, err := parseArgs(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Println(usage)
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "rules: %v\n%s\n", err, usage)
		os.Exit(2)
	}
	env := stream.NewEnvironment(stream.Options{})
	job.Build(env, o)
	if err := env.Execute("rules"); err != nil {
		fmt.Fprintln(os.Stderr, "rules:", err)
		os.Exit(1)
	}
}

// parseArgs reads the flags of args, refusing a missing required flag, a
// negative rate, an out-of-orderness that is not a whole number of
// milliseconds (event time is in milliseconds) and arguments that are not
// flags.
func parseArgs(args []string) (job.Options, error) {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error is returned and printed once
	var o job.Options
	fs.StringVar(&o.Events, "events", "", "events: text file or folder (local path or hdfs://)")
	fs.StringVar(&o.Rules, "rules", "", "rules: text file or folder (local path or hdfs://)")
	fs.StringVar(&o.Output, "output", "", "folder for the part files with the firings")
	fs.Float64Var(&o.Rate, "rate", 0, "lines per second per source subtask (0: unlimited)")
	ooo := fs.String("out-of-orderness", "0s", "bounded out-of-orderness of the events' watermark (a Go duration, e.g. 500ms)")
	if err := fs.Parse(args); err != nil {
		return job.Options{}, err
	}
	for _, f := range []struct{ name, v string }{{"events", o.Events}, {"rules", o.Rules}, {"output", o.Output}} {
		if f.v == "" {
			return job.Options{}, fmt.Errorf("--%s is required", f.name)
		}
	}
	if o.Rate < 0 {
		return job.Options{}, fmt.Errorf("--rate %v: want 0 (unlimited) or more lines per second", o.Rate)
	}
	if fs.NArg() > 0 {
		return job.Options{}, fmt.Errorf("unexpected argument %q: every option is a flag (--name value)", fs.Arg(0))
	}
	d, err := parseOutOfOrderness(*ooo)
	if err != nil {
		return job.Options{}, err
	}
	o.OutOfOrderness = d
	return o, nil
}

// parseOutOfOrderness parses --out-of-orderness: a Go duration, not
// negative, in whole milliseconds.
func parseOutOfOrderness(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("--out-of-orderness %q: want a Go duration such as 500ms or 2s", s)
	case d < 0:
		return 0, fmt.Errorf("--out-of-orderness %q: must not be negative", s)
	case d%time.Millisecond != 0:
		return 0, fmt.Errorf("--out-of-orderness %q: want whole milliseconds (event time is in milliseconds)", s)
	}
	return d, nil
}
