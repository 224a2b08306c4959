package state

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/runtime"
)

// fakeClock is the injected time of TTL tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.UnixMilli(1_700_000_000_000)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// backendCase makes a backend of one type for table-driven tests.
type backendCase struct {
	name string
	make func(t testing.TB, o Options) KeyedBackend
}

func backendCases() []backendCase {
	return []backendCase{
		{TypeHashMap, func(t testing.TB, o Options) KeyedBackend { return openBackend(t, TypeHashMap, o) }},
		{TypePebble, func(t testing.TB, o Options) KeyedBackend { return openBackend(t, TypePebble, o) }},
	}
}

func openBackend(t testing.TB, typ string, o Options) KeyedBackend {
	t.Helper()
	o.Type = typ
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	b, err := New(context.Background(), o)
	if err != nil {
		t.Fatalf("open %s backend: %v", typ, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// setKey makes k the current key of b, with its key group.
func setKey(b KeyedBackend, k string) {
	kg := KeyGroupOf(runtime.HashString(k), b.MaxParallelism())
	b.SetCurrentKey([]byte(k), kg)
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}

// savepointBytes writes b's canonical savepoint.
func savepointBytes(t testing.TB, b KeyedBackend) []byte {
	t.Helper()
	sn, err := b.SavepointSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Release()
	var buf bytes.Buffer
	if _, err := sn.WriteTo(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
