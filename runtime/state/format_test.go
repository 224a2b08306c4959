package state

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const goldenSavepoint = "testdata/savepoint_v1.golden"

// goldenState writes a small fixed state of every kind (one with a TTL)
// into b, at a fixed time.
func goldenState(t testing.TB, b KeyedBackend) {
	t.Helper()
	v, err := NewValueState(b, ValueDescriptor[string]{Name: "value"})
	must(t, err)
	l, err := NewListState(b, ListDescriptor[int64]{Name: "list"})
	must(t, err)
	m, err := NewMapState(b, MapDescriptor[string, int32]{Name: "map", TTL: TTLConfig{TTL: time.Hour}})
	must(t, err)
	r, err := NewReducingState(b, ReducingDescriptor[int]{Name: "sum", Reduce: func(a, b int) int { return a + b }})
	must(t, err)
	for _, k := range []string{"alice", "bob", "carol"} {
		setKey(b, k)
		must(t, v.Update("hello "+k))
		must(t, l.AddAll([]int64{1, -2, 3}))
		must(t, m.Put("x", 7))
		must(t, m.Put("y", 8))
		must(t, r.Add(len(k)))
		must(t, r.Add(1))
		v.SetNamespace([]byte("window-1"))
		must(t, v.Update("in a window"))
		v.SetNamespace(nil)
	}
}

func TestSavepointGolden(t *testing.T) {
	clk := newFakeClock()
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(t, Options{MaxParallelism: 8, Clock: clk.Now})
			goldenState(t, b)
			got := savepointBytes(t, b)
			if *update && bc.name == TypeHashMap {
				must(t, os.MkdirAll(filepath.Dir(goldenSavepoint), 0o755))
				must(t, os.WriteFile(goldenSavepoint, got, 0o644))
			}
			want, err := os.ReadFile(goldenSavepoint)
			must(t, err)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s savepoint differs from %s (run with -update if the format changed on purpose)\n got %x\nwant %x", bc.name, goldenSavepoint, got, want)
			}
		})
	}
}

// decodeSavepoint runs every decoder of the format over data.
func decodeSavepoint(data []byte) error {
	sr, err := newSavepointReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	for {
		_, payload, err := sr.next(func(kg int) bool { return kg%2 == 0 })
		if err != nil {
			return err
		}
		if err := sr.entries(payload, func(savedState, []byte, []byte, []byte, []byte) error { return nil }); err != nil {
			return err
		}
	}
}

func FuzzSavepointDecode(f *testing.F) {
	golden, err := os.ReadFile(goldenSavepoint)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:40])
	f.Add([]byte(savepointMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		err := decodeSavepoint(data)
		if err == nil {
			t.Fatal("decoding never ends without an error (io.EOF at least)")
		}
		// A restore of any bytes fails cleanly or succeeds; never panics.
		b, herr := NewHashMap(Options{MaxParallelism: 8})
		if herr != nil {
			t.Fatal(herr)
		}
		rerr := b.RestoreSavepoint(context.Background(), bytes.NewReader(data))
		if rerr != nil && !errors.Is(rerr, ErrCorrupt) && !bytes.HasPrefix(data, golden[:12]) {
			t.Fatalf("restore error %v does not wrap ErrCorrupt", rerr)
		}
	})
}
