package testutil

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitForSeesCondition(t *testing.T) {
	var n atomic.Int32
	WaitFor(t, 5*time.Second, "three polls", func() bool { return n.Add(1) >= 3 })
	if n.Load() != 3 {
		t.Fatalf("cond called %d times, want 3", n.Load())
	}
}

// fatalRecorder records Fatalf instead of ending the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = format
	panic(f)
}

func TestWaitForFailsAtBound(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	defer func() {
		if r := recover(); r != rec || rec.msg == "" {
			t.Fatalf("WaitFor did not fail at its bound (recovered %v)", r)
		}
	}()
	WaitFor(rec, 20*time.Millisecond, "never", func() bool { return false })
}
