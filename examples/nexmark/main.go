// Command nexmark runs one Nexmark query over generated events and reports
// its throughput per CPU core (scripts/bench-nexmark.sh drives it):
//
//	nexmark --query q0|q1|q2|q5|q7|q8 [--events N] [--parallelism P]
//
// When the job ends it prints, on standard error,
//
//	BENCH query=Q events=N rows=R wall_s=W cpu_s=C events_per_core_s=E
//
// where C is the CPU time the process used while the job ran and E =
// N / C: events per second per core, the figure Nexmark suites report.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/examples/nexmark/queries"
	"github.com/floe-yarn/floe/stream"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func main() {
	query := flag.String("query", "q0", fmt.Sprintf("the query: one of %v", queries.Names))
	events := flag.Int64("events", 10_000_000, "events to generate")
	parallelism := flag.Int("parallelism", 1, "parallelism of every operator")
	flag.Parse()
	if *events <= 0 || *parallelism <= 0 {
		fmt.Fprintln(os.Stderr, "usage: nexmark --query Q [--events N>0] [--parallelism P>0]")
		os.Exit(2)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: *parallelism})
	var rows atomic.Int64
	if err := queries.Build(env, *query, *events, nil, func(_ int, n int64) { rows.Add(n) }); err != nil {
		fmt.Fprintln(os.Stderr, "nexmark:", err)
		os.Exit(2)
	}
	start, cpu0 := time.Now(), cpuSeconds()
	if err := env.Execute("nexmark-" + *query); err != nil {
		fmt.Fprintln(os.Stderr, "nexmark:", err)
		os.Exit(1)
	}
	wall, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
	fmt.Fprintf(os.Stderr, "BENCH query=%s events=%d rows=%d wall_s=%.3f cpu_s=%.3f events_per_core_s=%.0f\n",
		*query, *events, rows.Load(), wall, cpu, float64(*events)/cpu)
}
