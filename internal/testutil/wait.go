package testutil

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds, failing t when bound passes first.
// Tests wait on conditions, never on fixed sleeps; the poll interval starts
// at 1 ms and grows to 100 ms, so fast conditions are seen fast and slow ones
// do not spin.
func WaitFor(t testing.TB, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	every := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", bound, what)
		}
		time.Sleep(every)
		every = min(2*every, 100*time.Millisecond)
	}
}
