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
	"fmt"
	"os"

	"github.com/floe-yarn/floe/examples/windows/job"
	"github.com/floe-yarn/floe/internal/exampleargs"
	"github.com/floe-yarn/floe/stream"
)

const usage = "usage: windows --input PATH --output DIR --window tumbling:SIZE|sliding:SIZE:SLIDE|session:GAP [--rate N] [--out-of-orderness D]"

func main() {
	o := exampleargs.Main("windows", usage, parseArgs)
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

// parseArgs reads the flags of args with the examples' shared checks
// (exampleargs); the window spec is checked by job.Build.
func parseArgs(args []string) (job.Options, error) {
	fs := exampleargs.New("windows")
	var o job.Options
	fs.Required(&o.Input, "input", "events \"<eventTimeMillis> <key>\": text file or folder (local path or hdfs://)")
	fs.Required(&o.Output, "output", "folder for the part files with the window counts (late records go to its late/ folder)")
	fs.Required(&o.Window, "window", "tumbling:SIZE | sliding:SIZE:SLIDE | session:GAP (Go durations, e.g. 5s, 100ms)")
	fs.Rate(&o.Rate, "lines")
	fs.OutOfOrderness(&o.OutOfOrderness, "bounded out-of-orderness of the event-time watermarks (a Go duration, e.g. 500ms)")
	err := fs.Parse(args) // fills o
	return o, err
}
