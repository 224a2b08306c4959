// Command slowstate is a test job whose keyed state is large at first and
// then changes slowly, for TestYarnIncrementalCheckpoints: one source
// emits --keys records as fast as the pipeline takes them, each setting a
// distinct key to a --value-bytes value, then --updates more records, one
// every --every, each rewriting one of the first 100 keys; a keyed
// function keeps the last value of each key. Checkpointing comes from the
// configuration, or, with --checkpoint-dir, from the job's code (every
// second, EXACTLY_ONCE, retained when the job ends), which wins over it.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/floe-yarn/floe/stream"
)

func main() {
	keys := flag.Int64("keys", 100_000, "distinct keys written first, at full speed")
	valueBytes := flag.Int("value-bytes", 200, "bytes of each value")
	updates := flag.Int64("updates", 200, "slow updates after the first keys")
	every := flag.Duration("every", 50*time.Millisecond, "time between slow updates")
	chkDir := flag.String("checkpoint-dir", "", "turn checkpointing on from the code, into this folder")
	flag.Parse()
	env := stream.NewEnvironment(stream.Options{})
	if *chkDir != "" {
		env.EnableCheckpointing(time.Second, stream.ExactlyOnce)
		env.Configure("state.checkpoints.dir", *chkDir)
		env.Configure("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
	}
	src := stream.FromSource[int64](env, &pacedSource{bulk: *keys, end: *keys + *updates, every: *every}, "paced").UID("paced")
	ks := stream.KeyBy(src, func(i int64) int64 {
		if i < *keys {
			return i
		}
		return i % 100
	})
	stream.Process(ks, func(c *stream.KeyedContext[int64, string], i int64, _ func(int64)) {
		c.Update(value(i, *valueBytes))
	}).UID("last-value").Discard()
	if err := env.Execute("slowstate"); err != nil {
		fmt.Fprintln(os.Stderr, "slowstate:", err)
		os.Exit(1)
	}
}

// value is n bytes that do not compress: a hash chain seeded by i.
func value(i int64, n int) string {
	b := make([]byte, 0, n+8)
	x := uint64(i)*0x9E3779B97F4A7C15 + 1
	for len(b) < n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return string(b[:n])
}

// pacedSource emits 0, 1, … end-1 from one split: those below bulk at
// once, the rest one every `every`. Its position is the next index, so it
// resumes from a checkpoint.
type pacedSource struct {
	bulk, end int64
	every     time.Duration
}

func (s *pacedSource) Info() stream.SourceInfo {
	return stream.SourceInfo{Bounded: true, Replayable: true, MaxParallelism: 1}
}

func (s *pacedSource) Splits(context.Context, int) ([]stream.SplitState, error) {
	return []stream.SplitState{{ID: "paced", Data: []byte("0")}}, nil
}

func (s *pacedSource) Reader(_ context.Context, rc stream.ReaderContext) (stream.SplitReader[int64], error) {
	return &pacedReader{src: s, idle: rc.Idle}, nil
}

type pacedReader struct {
	src  *pacedSource
	idle func()
	next int64
	has  bool
}

func (r *pacedReader) AddSplits(splits []stream.SplitState) error {
	for _, sp := range splits {
		n, err := strconv.ParseInt(string(sp.Data), 10, 64)
		if err != nil {
			return fmt.Errorf("split %s: %w", sp.ID, err)
		}
		r.next, r.has = n, true
	}
	return nil
}

func (r *pacedReader) Next(ctx context.Context) (int64, error) {
	if !r.has || r.next >= r.src.end {
		return 0, io.EOF
	}
	if r.next >= r.src.bulk {
		r.idle()
		t := time.NewTimer(r.src.every)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
	}
	r.next++
	return r.next - 1, nil
}

func (r *pacedReader) Snapshot() []stream.SplitState {
	if !r.has || r.next >= r.src.end {
		return nil
	}
	return []stream.SplitState{{ID: "paced", Data: []byte(strconv.FormatInt(r.next, 10))}}
}

func (r *pacedReader) Close() error { return nil }
