// Command ledger keeps running account balances exactly once: it reads
// transactions "<account> <amount>" from --input (a file or folder, local
// or hdfs://), keyed by account keeps each account's count and balance in
// keyed state, and writes "<account> <seq> <balance>" for every
// transaction to part files in --output through the exactly-once file
// sink. --rate limits the lines per second of each source subtask (0:
// unlimited). Checkpointing comes from the configuration
// (execution.checkpointing.interval, state.checkpoints.dir). A bad line
// fails the job, naming the file, the byte offset and the line. An
// argument that is not a flag is refused with exit status 2.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/floe-yarn/floe/examples/ledger/job"
	"github.com/floe-yarn/floe/stream"
)

func main() {
	input := flag.String("input", "", "transactions: text file or folder (local path or hdfs://)")
	output := flag.String("output", "", "folder for the part files with the balances")
	rate := flag.Float64("rate", 0, "lines per second per source subtask (0: unlimited)")
	flag.Parse()
	const usage = "usage: ledger --input PATH --output DIR [--rate N]"
	if flag.NArg() > 0 {
		// A stray word (a path without --input, a misspelt flag after
		// one) would otherwise be ignored silently.
		fmt.Fprintf(os.Stderr, "ledger: unexpected argument %q: every option is a flag (--name value)\n%s\n", flag.Arg(0), usage)
		os.Exit(2)
	}
	if *input == "" || *output == "" || *rate < 0 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	env := stream.NewEnvironment(stream.Options{})
	job.Build(env, *input, *output, *rate)
	if err := env.Execute("ledger"); err != nil {
		fmt.Fprintln(os.Stderr, "ledger:", err)
		os.Exit(1)
	}
}
