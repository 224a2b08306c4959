// Command testjob is the job binary of the jobmanager package's process
// tests. Its pipeline is chosen by flags; TESTJOB_VARIANT in the
// environment changes the graph (for the fingerprint-mismatch test).
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/stream"
)

type rec struct {
	Key int64
	N   int64
}

func main() {
	mode := flag.String("mode", "count", "count | unbounded | panic | backpressure | metrics")
	n := flag.Int64("n", 1000, "records (count, panic)")
	at := flag.Int64("at", -1, "panic at this record (panic)")
	out := flag.String("out", "", "output folder (count)")
	stall := flag.String("stall", "", "the sink stalls while this file exists (backpressure)")
	flag.Parse()
	env := stream.NewEnvironment(stream.Options{})
	switch *mode {
	case "count":
		src := stream.Generate(env, func(i int64) rec { return rec{Key: i % 97, N: 1} }, stream.GeneratorOptions{Count: *n})
		sums := stream.Reduce(stream.KeyBy(src, func(r rec) int64 { return r.Key }), func(a, b rec) rec { a.N += b.N; return a })
		final := stream.ProcessWithEnd(stream.AsKeyed(sums, func(r rec) int64 { return r.Key }),
			func(c *stream.KeyedContext[int64, int64], r rec, _ func(string)) { c.Update(r.N) },
			func(k, n int64, emit func(string)) { emit(strconv.FormatInt(k, 10) + " " + strconv.FormatInt(n, 10)) })
		stream.WriteText(final, *out)
	case "unbounded":
		src := stream.Generate(env, func(i int64) rec { return rec{Key: i % 97, N: 1} }, stream.GeneratorOptions{RatePerSecond: 20000})
		stream.Reduce(stream.KeyBy(src, func(r rec) int64 { return r.Key }), func(a, b rec) rec { a.N += b.N; return a }).Discard()
	case "metrics":
		// Unbounded, with a user counter and histogram in its map.
		src := stream.Generate(env, func(i int64) rec { return rec{Key: i % 97, N: 1} }, stream.GeneratorOptions{RatePerSecond: 5000})
		seen := stream.MapWith(src, func(rc *stream.RuntimeContext) (func(rec) rec, error) {
			c, h := rc.Metrics.Counter("recordsSeen"), rc.Metrics.Histogram("keySizes", 256)
			return func(r rec) rec { c.Inc(); h.Update(r.Key); return r }, nil
		})
		stream.Reduce(stream.KeyBy(seen, func(r rec) int64 { return r.Key }), func(a, b rec) rec { a.N += b.N; return a }).Discard()
	case "panic":
		src := stream.Generate(env, func(i int64) int64 { return i }, stream.GeneratorOptions{Count: *n}).Parallelism(1)
		stream.Map(src, func(i int64) int64 {
			if i == *at {
				panic(fmt.Sprintf("record %d is cursed", i))
			}
			return i
		}).Parallelism(1).Discard()
	case "backpressure":
		backpressure(env, *stall)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
	if os.Getenv("TESTJOB_VARIANT") != "" {
		stream.FromSlice(env, []int{1}).Name("variant " + os.Getenv("TESTJOB_VARIANT")).Discard()
	}
	if err := env.Execute("testjob-" + *mode); err != nil {
		fmt.Fprintln(os.Stderr, "testjob:", err)
		os.Exit(1)
	}
}

// backpressure is a fast generator of 1 KB records into a sink throttled
// to 1,000 records/s that, before each record, waits while the file stall
// (when not "") exists; the process prints both counts twice a second.
func backpressure(env *stream.Environment, stall string) {
	var produced, consumed atomic.Int64
	payload := strings.Repeat("x", 1000)
	src := stream.Generate(env, func(i int64) big {
		produced.Add(1)
		return big{Seq: i, Payload: payload}
	}, stream.GeneratorOptions{}).Parallelism(1)
	stream.AddSink(src.Rebalance(), "throttled", func(int) (func(big), func() error, error) {
		var next time.Time
		return func(big) {
			for stall != "" && exists(stall) {
				time.Sleep(5 * time.Millisecond)
			}
			consumed.Add(1)
			// One record per millisecond, without catching up after a stall.
			next = later(next, time.Now()).Add(time.Millisecond)
			time.Sleep(time.Until(next))
		}, nil, nil
	}).Parallelism(1)
	if os.Getenv(contract.EnvRole) == contract.RoleTaskManager {
		go func() {
			start := time.Now()
			for range time.Tick(500 * time.Millisecond) {
				fmt.Fprintf(os.Stderr, "PROGRESS t_ms=%d source=%d sink=%d\n", time.Since(start).Milliseconds(), produced.Load(), consumed.Load())
			}
		}()
	}
}

type big struct {
	Seq     int64
	Payload string
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
