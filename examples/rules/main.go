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
	"fmt"
	"os"

	"github.com/floe-yarn/floe/examples/rules/job"
	"github.com/floe-yarn/floe/internal/exampleargs"
	"github.com/floe-yarn/floe/stream"
)

const usage = "usage: rules --events PATH --rules PATH --output DIR [--rate N] [--out-of-orderness D]"

func main() {
	o := exampleargs.Main("rules", usage, parseArgs)
	env := stream.NewEnvironment(stream.Options{})
	job.Build(env, o)
	if err := env.Execute("rules"); err != nil {
		fmt.Fprintln(os.Stderr, "rules:", err)
		os.Exit(1)
	}
}

// parseArgs reads the flags of args with the examples' shared checks
// (exampleargs).
func parseArgs(args []string) (job.Options, error) {
	fs := exampleargs.New("rules")
	var o job.Options
	fs.Required(&o.Events, "events", "events: text file or folder (local path or hdfs://)")
	fs.Required(&o.Rules, "rules", "rules: text file or folder (local path or hdfs://)")
	fs.Required(&o.Output, "output", "folder for the part files with the firings")
	fs.Rate(&o.Rate, "lines")
	fs.OutOfOrderness(&o.OutOfOrderness, "bounded out-of-orderness of the events' watermark (a Go duration, e.g. 500ms)")
	err := fs.Parse(args) // fills o
	return o, err
}
