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
// configuration), as for the other examples.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/floe-yarn/floe/examples/windows/job"
	"github.com/floe-yarn/floe/stream"
)

func main() {
	var o job.Options
	flag.StringVar(&o.Input, "input", "", "events \"<eventTimeMillis> <key>\": text file or folder (local path or hdfs://)")
	flag.StringVar(&o.Output, "output", "", "folder for the part files with the window counts (late records go to its late/ folder)")
	flag.StringVar(&o.Window, "window", "", "tumbling:SIZE | sliding:SIZE:SLIDE | session:GAP (Go durations, e.g. 5s, 100ms)")
	flag.Float64Var(&o.Rate, "rate", 0, "lines per second per source subtask (0: unlimited)")
	flag.DurationVar(&o.OutOfOrderness, "out-of-orderness", 0, "bounded out-of-orderness of the event-time watermarks (a Go duration)")
	flag.Parse()
	if o.Input == "" || o.Output == "" || o.Window == "" {
		fmt.Fprintln(os.Stderr, "usage: windows --input PATH --output DIR --window tumbling:SIZE|sliding:SIZE:SLIDE|session:GAP [--rate N] [--out-of-orderness D]")
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
