package client

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/hdfsstore"
)

func TestCachePutUploadsOnce(t *testing.T) {
	ctx := context.Background()
	store, err := hdfsstore.New(ctx, hdfsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	root := filepath.Join(t.TempDir(), ".floe")
	c := &Cache{Store: store, Root: "file://" + root}
	bin := filepath.Join(t.TempDir(), "job")
	if err := os.WriteFile(bin, []byte(strings.Repeat("x", 4096)), 0o755); err != nil {
		t.Fatal(err)
	}
	first, err := c.Put(ctx, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Uploaded != 4096 || first.Size != 4096 || first.ModTimeMillis == 0 {
		t.Fatalf("first put = %+v", first)
	}
	second, err := c.Put(ctx, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Uploaded != 0 || second.Path != first.Path || second.ModTimeMillis != first.ModTimeMillis {
		t.Fatalf("second put = %+v, want a cache hit on %+v", second, first)
	}
	// Different content lands under a different digest.
	if err := os.WriteFile(bin, []byte("other"), 0o755); err != nil {
		t.Fatal(err)
	}
	third, err := c.Put(ctx, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if third.Path == first.Path || third.Uploaded != 5 {
		t.Fatalf("third put = %+v", third)
	}
	entries, _ := filepath.Glob(filepath.Join(root, "cache", "*", "*"))
	if len(entries) != 2 {
		t.Fatalf("cache holds %v, want 2 entries and no temp files", entries)
	}
}
