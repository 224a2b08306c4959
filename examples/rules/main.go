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
// how). Checkpointing comes from the configuration.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/floe-yarn/floe/examples/rules/job"
	"github.com/floe-yarn/floe/stream"
)

func main() {
	var o job.Options
	flag.StringVar(&o.Events, "events", "", "events: text file or folder (local path or hdfs://)")
	flag.StringVar(&o.Rules, "rules", "", "rules: text file or folder (local path or hdfs://)")
	flag.StringVar(&o.Output, "output", "", "folder for the part files with the firings")
	flag.Float64Var(&o.Rate, "rate", 0, "lines per second per source subtask (0: unlimited)")
	ooo := flag.String("out-of-orderness", "0s", "bounded out-of-orderness of the events' watermark (a Go duration, e.g. 500ms)")
	flag.Parse()
	usage := "usage: rules --events PATH --rules PATH --output DIR [--rate N] [--out-of-orderness D]"
	if o.Events == "" || o.Rules == "" || o.Output == "" || o.Rate < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	d, err := time.ParseDuration(*ooo)
	if err != nil || d < 0 {
		fmt.Fprintf(os.Stderr, "rules: --out-of-orderness %q: want a non-negative Go duration such as 500ms or 2s\n%s\n", *ooo, usage)
		os.Exit(2)
	}
	o.OutOfOrderness = d
	env := stream.NewEnvironment(stream.Options{})
	job.Build(env, o)
	if err := env.Execute("rules"); err != nil {
		fmt.Fprintln(os.Stderr, "rules:", err)
		os.Exit(1)
	}
}
