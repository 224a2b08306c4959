// Command windows counts records per key in event-time windows: it reads
// lines "<eventTimeMillis> <key>" from --input (a file or folder, local or
// hdfs://), with watermarks of the largest timestamp seen −
// --out-of-orderness − 1 ms, and writes "<key> <windowStartMillis>
// <windowEndMillis> <count>" for every window of --window
// (tumbling:SIZE, sliding:SIZE:SLIDE or session:GAP; Go durations) to
// part files in --output through the exactly-once file sink, and the late
// records as "<eventTimeMillis> <key>" to --output/late. --rate limits the
// lines per second of each source subtask (0: unlimited). Parallelism and
// checkpointing come from the submission (floe run -p, the
// configuration), as for the other examples. A missing flag, a stray
// argument or a bad value is refused with exit status 2, naming it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/floe-yarn/floe/examples/windows/job"
	"github.com/floe-yarn/floe/stream"
)

const usage = "usage: windows --input PATH --output DIR --window tumbling:SIZE|sliding:SIZE:SLIDE|session:GAP [--rate N] [--out-of-orderness D]"

func main() {
	o, err := parseArgs(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Println(usage)
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "windows: %v\n%s\n", err, usage)
		os.Exit(2)
	}
	env := stream.NewEnvironment(stream.Options{})
	if err := job.Build(env, o); err != nil {
		fmt.Fprintln(os.Stderr, "windows:", err)
		os.Exit(2)
	}
	if err := env.Execute("windows"); err != nil {
		fmt.Fprintln(os.Stderr, "windows:", err)
		os.Exit(1)
	}
}

// parseArgs reads the flags of args, refusing a missing required flag, a
// negative rate, an out-of-orderness that is not a whole number of
// milliseconds (event time is in milliseconds) and arguments that are not
// flags. The window spec is checked by job.Build.
func parseArgs(args []string) (job.Options, error) {
	fs := flag.NewFlagSet("windows", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error is returned and printed once
	var o job.Options
	fs.StringVar(&o.Input, "input", "", "events \"<eventTimeMillis> <key>\": text file or folder (local path or hdfs://)")
	fs.StringVar(&o.Output, "output", "", "folder for the part files with the window counts (late records go to its late/ folder)")
	fs.StringVar(&o.Window, "window", "", "tumbling:SIZE | sliding:SIZE:SLIDE | session:GAP (Go durations, e.g. 5s, 100ms)")
	fs.Float64Var(&o.Rate, "rate", 0, "lines per second per source subtask (0: unlimited)")
	ooo := fs.String("out-of-orderness", "0s", "bounded out-of-orderness of the event-time watermarks (a Go duration, e.g. 500ms)")
	if err := fs.Parse(args); err != nil {
		return job.Options{}, err
	}
	for _, f := range []struct{ name, v string }{{"input", o.Input}, {"output", o.Output}, {"window", o.Window}} {
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
