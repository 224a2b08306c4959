// Command ledger keeps running account balances exactly once: it reads
// transactions "<account> <amount>" from --input (a file or folder, local
// or hdfs://), keyed by account keeps each account's count and balance in
// keyed state, and writes "<account> <seq> <balance>" for every
// transaction to part files in --output through the exactly-once file
// sink. --rate limits the lines per second of each source subtask (0:
// unlimited). Checkpointing comes from the configuration
// (execution.checkpointing.interval, state.checkpoints.dir). A bad line
// fails the job, naming the file, the byte offset and the line. A
// missing flag, a negative rate or an argument that is not a flag is
// refused with exit status 2, naming it.
package main

import (
	"fmt"
	"os"

	"github.com/floe-yarn/floe/examples/ledger/job"
	"github.com/floe-yarn/floe/internal/exampleargs"
	"github.com/floe-yarn/floe/stream"
)

const usage = "usage: ledger --input PATH --output DIR [--rate N]"

// options are ledger's flags.
type options struct {
	input, output string
	rate          float64
}

func main() {
	o := exampleargs.Main("ledger", usage, parseArgs)
	env := stream.NewEnvironment(stream.Options{})
	job.Build(env, o.input, o.output, o.rate)
	if err := env.Execute("ledger"); err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
		os.Exit(1)
	}
}

// parseArgs reads the flags of args with the examples' shared checks
// (exampleargs).
func parseArgs(args []string) (options, error) {
	fs := exampleargs.New("ledger")
	var o options
	fs.Required(&o.input, "input", "transactions: text file or folder (local path or hdfs://)")
	fs.Required(&o.output, "output", "folder for the part files with the balances")
	fs.Rate(&o.rate, "lines")
	err := fs.Parse(args) // fills o
	return o, err
}
