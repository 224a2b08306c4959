package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// fill writes n keys into value, list and map state of b.
func fill(t testing.TB, b KeyedBackend, n int, val string) {
	t.Helper()
	v, err := NewValueState(b, ValueDescriptor[string]{Name: "v"})
	must(t, err)
	l, err := NewListState(b, ListDescriptor[int]{Name: "l"})
	must(t, err)
	m, err := NewMapState(b, MapDescriptor[int, string]{Name: "m"})
	must(t, err)
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key-%d", i)
		setKey(b, k)
		if !b.KeyGroupRange().Contains(b.CurrentKeyGroup()) {
			continue // another subtask's key
		}
		must(t, v.Update(val+k))
		must(t, l.Update([]int{i, i + 1}))
		must(t, m.Put(i, val))
	}
}

// check verifies the keys of fill whose key group is in b's range, and
// that the others are absent.
func check(t testing.TB, b KeyedBackend, n int, val string) {
	t.Helper()
	v, err := NewValueState(b, ValueDescriptor[string]{Name: "v"})
	must(t, err)
	l, err := NewListState(b, ListDescriptor[int]{Name: "l"})
	must(t, err)
	m, err := NewMapState(b, MapDescriptor[int, string]{Name: "m"})
	must(t, err)
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key-%d", i)
		setKey(b, k)
		in := b.KeyGroupRange().Contains(b.CurrentKeyGroup())
		got, ok, err := v.Value()
		if !in {
			if !errors.Is(err, ErrKeyGroupOutOfRange) {
				t.Fatalf("key %s outside the range: err %v", k, err)
			}
			continue
		}
		must(t, err)
		if !ok || got != val+k {
			t.Fatalf("key %s (group %d, in range %v): value %q %v", k, b.CurrentKeyGroup(), in, got, ok)
		}
		if lst, _ := l.Get(); len(lst) != 2 || lst[0] != i {
			t.Fatalf("key %s: list %v", k, lst)
		}
		if mv, ok, _ := m.Get(i); !ok || mv != val {
			t.Fatalf("key %s: map %q %v", k, mv, ok)
		}
	}
}

// A snapshot sees the state as it was when taken, while the backend keeps
// writing (copy-on-write), and the write runs on another goroutine.
func TestHashMapSnapshotIsolation(t *testing.T) {
	b, err := NewHashMap(Options{})
	must(t, err)
	fill(t, b, 500, "before")
	want := savepointBytes(t, b)
	sn := b.Snapshot()
	var wg sync.WaitGroup
	var got bytes.Buffer
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, werr = sn.WriteTo(context.Background(), &got)
	}()
	fill(t, b, 500, "after")
	wg.Wait()
	sn.Release()
	must(t, werr)
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("snapshot changed by writes after it was taken")
	}
	check(t, b, 500, "after")
	// After Release, writes go in place again and a new snapshot sees them.
	fill(t, b, 500, "again")
	r, err := NewHashMap(Options{})
	must(t, err)
	must(t, r.RestoreSavepoint(context.Background(), bytes.NewReader(savepointBytes(t, b))))
	check(t, r, 500, "again")
}

// Restore loads only the key groups of the new range, from one or several
// old snapshots, across backends in both directions.
func TestRestoreRescale(t *testing.T) {
	const n, maxP = 400, 16
	for _, from := range backendCases() {
		for _, to := range backendCases() {
			for _, tc := range []struct{ oldP, newP int }{{1, 2}, {2, 3}, {3, 1}, {2, 2}} {
				t.Run(fmt.Sprintf("%s to %s/p%d to p%d", from.name, to.name, tc.oldP, tc.newP), func(t *testing.T) {
					// Write n keys, each into the old subtask that owns it.
					var snaps [][]byte
					for i := 0; i < tc.oldP; i++ {
						rng, _ := RangeForSubtask(maxP, tc.oldP, i)
						b := from.make(t, Options{MaxParallelism: maxP, Range: rng})
						fill(t, b, n, "x")
						snaps = append(snaps, savepointBytes(t, b))
					}
					for j := 0; j < tc.newP; j++ {
						rng, _ := RangeForSubtask(maxP, tc.newP, j)
						src, _ := RescaleSources(maxP, tc.oldP, rng)
						var rs []io.Reader
						for _, i := range src {
							rs = append(rs, bytes.NewReader(snaps[i]))
						}
						b := to.make(t, Options{MaxParallelism: maxP, Range: rng})
						must(t, b.RestoreSavepoint(context.Background(), rs...))
						check(t, b, n, "x")
					}
				})
			}
		}
	}
}

func TestRestoreErrors(t *testing.T) {
	src, err := NewHashMap(Options{MaxParallelism: 64})
	must(t, err)
	fill(t, src, 10, "x")
	good := savepointBytes(t, src)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"max parallelism changed", good, "max parallelism cannot change"},
		{"empty", nil, "truncated"},
		{"not a savepoint", []byte("hello world, this is not it"), "bad magic"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"flipped byte", flip(good, len(good)-20), "checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := 64
			if tc.name == "max parallelism changed" {
				mp = 128
			}
			b, err := NewHashMap(Options{MaxParallelism: mp})
			must(t, err)
			err = b.RestoreSavepoint(context.Background(), bytes.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if tc.name != "max parallelism changed" && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err %v does not wrap ErrCorrupt", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}
