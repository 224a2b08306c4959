// Command bench runs Floe's benchmark pipelines and reports records per
// second per CPU core used (scripts/bench.sh drives it):
//
//	--pipeline chained   generator → map → filter → discarding sink, one chained task
//	--pipeline exchange  the same with a hash exchange before the map (100-byte records)
//	--pipeline wordcount words → keyBy → rolling reduce → discarding sink
//	--pipeline idle      one record, for measuring an idle TaskManager
//
// Each sink subtask prints, when its input ends, a line
//
//	BENCH pipeline=NAME subtask=I records=N wall_s=W cpu_s=C
//
// on standard error, where C is the CPU time of the whole process.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/stream"
)

// Record is the 100-byte record of the exchange pipeline: an 8-byte key and
// a payload; encoded with the 4-byte frame header it is 103 bytes.
type Record struct {
	Key     int64
	Payload [91]byte
}

// recordCodec is a user-supplied codec for Record (fixed 99-byte layout):
// the default codec would walk the payload array byte by byte.
type recordCodec struct{}

func (recordCodec) Append(dst []byte, r Record) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(r.Key))
	return append(dst, r.Payload[:]...)
}

func (recordCodec) Decode(src []byte) (r Record, n int, err error) {
	if len(src) < 8+len(r.Payload) {
		return r, 0, fmt.Errorf("record: %d bytes, want %d", len(src), 8+len(r.Payload))
	}
	r.Key = int64(binary.LittleEndian.Uint64(src))
	copy(r.Payload[:], src[8:])
	return r, 8 + len(r.Payload), nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func main() {
	pipeline := flag.String("pipeline", "chained", "chained | exchange | wordcount | idle")
	defaultCodec := flag.Bool("default-codec", false, "exchange: use the default codec for Record, not recordCodec")
	n := flag.Int64("n", 50_000_000, "records")
	flag.Parse()
	env := stream.NewEnvironment(stream.Options{})
	if !*defaultCodec {
		stream.RegisterCodec[Record](env, recordCodec{})
	}
	start := time.Now()
	report := func(sub int, records int64) {
		fmt.Fprintf(os.Stderr, "BENCH pipeline=%s subtask=%d records=%d wall_s=%.3f cpu_s=%.3f\n",
			*pipeline, sub, records, time.Since(start).Seconds(), cpuSeconds())
	}
	if err := build(env, *pipeline, *n, report); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := env.Execute("bench-" + *pipeline); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sink counts records per subtask and reports when the input ends.
func sink[T any](s stream.Stream[T], report func(sub int, n int64)) {
	stream.AddSink(s, "count", func(sub int) (func(T), func() error, error) {
		var n int64
		return func(T) { n++ }, func() error { report(sub, n); return nil }, nil
	})
}

// build adds the named pipeline of n records to env.
func build(env *stream.Environment, pipeline string, n int64, report func(sub int, n int64)) error {
	switch pipeline {
	case "chained":
		src := stream.Generate(env, func(i int64) int64 { return i }, stream.GeneratorOptions{Count: n})
		m := stream.Map(src, func(i int64) int64 { return i*3 + 1 })
		sink(m.Filter(func(i int64) bool { return i%1000 != 0 }), report)
	case "exchange":
		src := stream.Generate(env, func(i int64) Record { return Record{Key: i} }, stream.GeneratorOptions{Count: n})
		keyed := stream.KeyBy(src, func(r Record) int64 { return r.Key }).Stream()
		m := stream.Map(keyed, func(r Record) Record { r.Payload[0] = byte(r.Key); return r })
		sink(m.Filter(func(r Record) bool { return r.Key >= 0 }), report)
	case "wordcount":
		words := make([]string, 10000)
		for i := range words {
			words[i] = fmt.Sprintf("word%05d", i*7919%10000)
		}
		src := stream.Generate(env, func(i int64) string { return words[i%int64(len(words))] }, stream.GeneratorOptions{Count: n})
		type wc struct {
			Word  string
			Count int64
		}
		ones := stream.Map(src, func(w string) wc { return wc{w, 1} })
		counts := stream.Reduce(stream.KeyBy(ones, func(w wc) string { return w.Word }), func(a, b wc) wc { a.Count += b.Count; return a })
		sink(counts, report)
	case "idle":
		sink(stream.FromSlice(env, []int{1}), report)
	default:
		return fmt.Errorf("unknown pipeline %q", pipeline)
	}
	return nil
}
