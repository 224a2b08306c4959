package hdfsstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func newLocalStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(context.Background(), Options{User: "tester", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t *testing.T, s *Store, p string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLocalStore runs the whole API against file:// and plain local paths.
func TestLocalStore(t *testing.T) {
	ctx := context.Background()
	s := newLocalStore(t)
	src, dst := t.TempDir(), t.TempDir()

	// Upload one file with progress.
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB: several chunks
	if err := os.WriteFile(filepath.Join(src, "big.bin"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	var calls []int64
	var lastTotal int64
	target := "file://" + filepath.Join(dst, "stage", "big.bin")
	err := s.Upload(ctx, filepath.Join(src, "big.bin"), target, func(done, total int64) {
		calls = append(calls, done)
		lastTotal = total
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 3 || calls[0] != 0 || calls[len(calls)-1] != int64(len(big)) || lastTotal != int64(len(big)) {
		t.Fatalf("progress calls = %v (total %d)", calls, lastTotal)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] < calls[i-1] {
			t.Fatalf("progress went backwards: %v", calls)
		}
	}
	fi, err := s.Stat(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	osfi, err := os.Stat(filepath.Join(dst, "stage", "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size != int64(len(big)) || fi.IsDir || fi.Mode.Perm() != 0o600 || fi.Path != target {
		t.Fatalf("stat = %+v", fi)
	}
	if fi.ModTimeMillis() != osfi.ModTime().UnixMilli() {
		t.Fatalf("mtime %d != %d", fi.ModTimeMillis(), osfi.ModTime().UnixMilli())
	}
	if got := readAll(t, s, target); sha256.Sum256(got) != sha256.Sum256(big) {
		t.Fatal("content differs after upload")
	}

	// Upload a folder.
	tree := map[string]string{}
	for i := 0; i < 20; i++ {
		tree[fmt.Sprintf("f%02d.txt", i)] = strings.Repeat("x", i)
	}
	tree["sub/deep/g.txt"] = "deep"
	writeTree(t, filepath.Join(src, "folder"), tree)
	plainDst := filepath.Join(dst, "folder") // plain path, fs.defaultFS is file:///
	if err := s.Upload(ctx, filepath.Join(src, "folder"), plainDst, nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, plainDst)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 21 {
		t.Fatalf("list has %d entries", len(list))
	}
	for _, e := range list {
		name := filepath.Base(e.Path)
		if name == "sub" {
			if !e.IsDir || e.Mode&fs.ModeDir == 0 {
				t.Errorf("sub: %+v", e)
			}
			continue
		}
		if e.Size != int64(len(tree[name])) {
			t.Errorf("%s: size %d, want %d", name, e.Size, len(tree[name]))
		}
	}
	if got := string(readAll(t, s, filepath.Join(plainDst, "sub", "deep", "g.txt"))); got != "deep" {
		t.Fatalf("deep file = %q", got)
	}

	// Uploading onto existing files fails with ErrExist.
	if err := s.Upload(ctx, filepath.Join(src, "folder"), plainDst, nil); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second upload: %v, want ErrExist", err)
	}

	// Create with exact permissions, then rename atomically.
	w, err := s.Create(ctx, filepath.Join(dst, "new", "made.txt"), 0o604)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err = s.Stat(ctx, filepath.Join(dst, "new", "made.txt"))
	if err != nil || fi.Mode.Perm() != 0o604 {
		t.Fatalf("created file: %+v %v", fi, err)
	}
	if _, err := s.Create(ctx, filepath.Join(dst, "new", "made.txt"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("create over existing: %v", err)
	}
	if err := s.Rename(ctx, filepath.Join(dst, "new", "made.txt"), "file://"+filepath.Join(dst, "new", "moved.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, filepath.Join(dst, "new", "made.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old name after rename: %v", err)
	}
	if got := string(readAll(t, s, filepath.Join(dst, "new", "moved.txt"))); got != "hello" {
		t.Fatalf("moved content %q", got)
	}

	// MkdirAll, RemoveAll, re-stat.
	if err := s.MkdirAll(ctx, filepath.Join(dst, "a", "b", "c"), 0o750); err != nil {
		t.Fatal(err)
	}
	if fi, err := s.Stat(ctx, filepath.Join(dst, "a", "b", "c")); err != nil || !fi.IsDir {
		t.Fatalf("mkdir: %+v %v", fi, err)
	}
	if err := s.RemoveAll(ctx, plainDst); err != nil {
		t.Fatal(err)
	}
	_, err = s.Stat(ctx, plainDst)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != "file://"+plainDst {
		t.Fatalf("stat after remove: %v", err)
	}
	if err := s.RemoveAll(ctx, plainDst); err != nil {
		t.Fatalf("RemoveAll of missing path: %v", err)
	}
	if _, err := s.Open(ctx, filepath.Join(dst, "a")); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("open folder: %v", err)
	}
}

func TestLocalStoreErrors(t *testing.T) {
	s := newLocalStore(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Stat(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stat: %v", err)
	}
	if err := s.Rename(context.Background(), dir, "hdfs://nn:1/x"); !errors.Is(err, ErrCrossFS) {
		t.Errorf("cross-fs rename: %v", err)
	}
	if err := s.Upload(context.Background(), filepath.Join(dir, "missing"), filepath.Join(dir, "x"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("upload of missing file: %v", err)
	}
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o000); err != nil {
		t.Fatal(err)
	}
	// Restore access, else TempDir's cleanup cannot remove it.
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
	if os.Geteuid() != 0 { // root ignores permissions
		if _, err := s.List(context.Background(), locked); !errors.Is(err, fs.ErrPermission) {
			t.Errorf("list of unreadable folder: %v", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(context.Background(), "hdfs://nn:1/x"); !errors.Is(err, ErrClosed) {
		t.Errorf("stat after close: %v", err)
	}
}

func TestUploadCancelled(t *testing.T) {
	s := newLocalStore(t)
	src, dst := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "f"), make([]byte, 5*uploadChunk), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Upload(ctx, filepath.Join(src, "f"), filepath.Join(dst, "f"), func(done, total int64) {
		if done >= uploadChunk {
			cancel() // stop after the first chunk
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
