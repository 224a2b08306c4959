package hdfsstore

import (
	"context"
	"errors"
	"testing"
)

// TestLazy: nothing is opened before Get, a failed open is tried again,
// a successful one is kept, and Close closes only what was opened.
func TestLazy(t *testing.T) {
	ctx := context.Background()
	opens := 0
	fail := true
	l := NewLazy(func(ctx context.Context) (*Store, error) {
		opens++
		if fail {
			return nil, errors.New("namenode down")
		}
		return New(ctx, Options{})
	})
	if err := l.Close(); err != nil || opens != 0 {
		t.Fatalf("Close before any Get: %v after %d opens, want nil after none", err, opens)
	}
	if _, err := l.Get(ctx); err == nil || err.Error() != "namenode down" {
		t.Fatalf("Get = %v, want the open's error", err)
	}
	fail = false
	a, err := l.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Get(ctx)
	if err != nil || a != b || opens != 2 {
		t.Fatalf("second Get: %p vs %p (%v), %d opens; want the same store after 2 opens", a, b, err, opens)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
