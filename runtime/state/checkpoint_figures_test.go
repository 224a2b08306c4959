package state

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestPebbleCheckpointFigures prints the duration and new bytes of a full
// Pebble checkpoint and of an incremental one after 1% of the keys changed,
// for FLOE_BENCH_STATE_MIB MiB of state (1 KiB values). It is a figure for
// `make bench`, skipped unless that variable is set, and asserts nothing
// about speed.
func TestPebbleCheckpointFigures(t *testing.T) {
	mib, err := strconv.Atoi(os.Getenv("FLOE_BENCH_STATE_MIB"))
	if err != nil || mib <= 0 {
		t.Skip("set FLOE_BENCH_STATE_MIB to the state size in MiB")
	}
	const valueSize = 1024
	n := mib << 20 / valueSize
	keys, kgs := benchKeys(n, DefaultMaxParallelism)
	p := newPebble(t, Options{})
	st, err := NewValueState(p, ValueDescriptor[[]byte]{Name: "v"})
	must(t, err)
	value := make([]byte, valueSize)
	rng := rand.New(rand.NewSource(1))
	for j := range keys {
		rng.Read(value) // incompressible, so the bytes on disk match the state size
		p.SetCurrentKey(keys[j], kgs[j])
		must(t, st.Update(value))
	}
	ctx := context.Background()
	start := time.Now()
	full, err := p.Checkpoint(ctx, nil)
	must(t, err)
	fullTook := time.Since(start)
	uploaded := map[string]bool{}
	for _, f := range full.Files {
		if f.Shared {
			uploaded[f.SharedName] = true
		}
	}
	fmt.Printf("checkpoint: pebble full, %d MiB state (%d keys): %v, %.1f MiB new\n",
		mib, n, fullTook.Round(time.Millisecond), float64(full.NewBytes())/(1<<20))
	must(t, full.Release())
	for j := 0; j < n; j += 100 { // 1% of the keys
		p.SetCurrentKey(keys[j], kgs[j])
		must(t, st.Update([]byte("changed")))
	}
	start = time.Now()
	incr, err := p.Checkpoint(ctx, func(s string) bool { return uploaded[s] })
	must(t, err)
	incrTook := time.Since(start)
	fmt.Printf("checkpoint: pebble incremental after 1%% of keys changed: %v, %.1f KiB new of %.1f MiB\n",
		incrTook.Round(time.Millisecond), float64(incr.NewBytes())/(1<<10), float64(incr.TotalBytes())/(1<<20))
	must(t, incr.Release())
}
