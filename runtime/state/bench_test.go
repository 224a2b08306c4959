package state

import (
	"context"
	"fmt"
	"testing"

	"github.com/floe-yarn/floe/runtime"
)

// benchKeys are n keys with their key groups.
func benchKeys(n, maxP int) ([][]byte, []int) {
	keys := make([][]byte, n)
	kgs := make([]int, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "account-%08d", i)
		kgs[i] = KeyGroupOf(runtime.HashBytes(keys[i]), maxP)
	}
	return keys, kgs
}

// BenchmarkValueState measures value-state writes and reads per second
// (ns/op is one access) of each backend over 100k keys.
func BenchmarkValueState(b *testing.B) {
	const n = 100_000
	keys, kgs := benchKeys(n, DefaultMaxParallelism)
	for _, bc := range backendCases() {
		be := bc.make(b, Options{})
		st, err := NewValueState(be, ValueDescriptor[int64]{Name: "balance"})
		must(b, err)
		b.Run(bc.name+"/write", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				j := i % n
				be.SetCurrentKey(keys[j], kgs[j])
				if err := st.Update(int64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
		for j := range keys {
			be.SetCurrentKey(keys[j], kgs[j])
			must(b, st.Update(int64(j)))
		}
		b.Run(bc.name+"/read", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				j := i % n
				be.SetCurrentKey(keys[j], kgs[j])
				if _, ok, err := st.Value(); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// An incremental Pebble checkpoint after 1% of the keys changed uploads far
// fewer bytes than a full one.
func TestPebbleIncrementalUploadsFewerBytes(t *testing.T) {
	const n = 50_000
	keys, kgs := benchKeys(n, DefaultMaxParallelism)
	p := newPebble(t, Options{})
	st, err := NewValueState(p, ValueDescriptor[string]{Name: "v"})
	must(t, err)
	payload := string(make([]byte, 100))
	for j := range keys {
		p.SetCurrentKey(keys[j], kgs[j])
		must(t, st.Update(payload+fmt.Sprint(j)))
	}
	full, err := p.Checkpoint(context.Background(), nil)
	must(t, err)
	uploaded := map[string]bool{}
	for _, f := range full.Files {
		if f.Shared {
			uploaded[f.SharedName] = true
		}
	}
	must(t, full.Release())
	for j := 0; j < n; j += 100 { // 1% of the keys
		p.SetCurrentKey(keys[j], kgs[j])
		must(t, st.Update("changed"))
	}
	incr, err := p.Checkpoint(context.Background(), func(s string) bool { return uploaded[s] })
	must(t, err)
	defer func() { must(t, incr.Release()) }()
	t.Logf("full checkpoint uploads %d bytes; incremental after 1%% changed %d bytes (of %d in the checkpoint)", full.NewBytes(), incr.NewBytes(), incr.TotalBytes())
	if incr.NewBytes()*10 > full.NewBytes() {
		t.Fatalf("incremental uploads %d bytes, full %d: want under a tenth", incr.NewBytes(), full.NewBytes())
	}
	// All files of the incremental checkpoint (reused ones too) restore it.
	restored := newPebble(t, Options{PebbleRestore: []string{download(t, incr)}})
	rst, err := NewValueState(restored, ValueDescriptor[string]{Name: "v"})
	must(t, err)
	for _, j := range []int{0, 1, 100, n - 1} {
		restored.SetCurrentKey(keys[j], kgs[j])
		got, _, err := rst.Value()
		must(t, err)
		if want := payload + fmt.Sprint(j); j%100 == 0 {
			want = "changed"
			if got != want {
				t.Fatalf("key %d: %q", j, got)
			}
		} else if got != want {
			t.Fatalf("key %d: %q", j, got)
		}
	}
}
