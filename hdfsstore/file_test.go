package hdfsstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocalSeekAndReadAt(t *testing.T) {
	ctx := context.Background()
	s := newLocalStore(t)
	p := filepath.Join(t.TempDir(), "f.txt")
	content := "0123456789abcdefghij"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(ctx, "file://"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases := []struct {
		name   string
		offset int64
		whence int
		want   string // the next 5 bytes after seeking
	}{
		{"from start", 10, io.SeekStart, "abcde"},
		{"back to start", 0, io.SeekStart, "01234"},
		{"relative", 5, io.SeekCurrent, "abcde"}, // after reading 0-4: 5+5
		{"from end", -5, io.SeekEnd, "fghij"},
	}
	for _, tc := range cases {
		if _, err := f.Seek(tc.offset, tc.whence); err != nil {
			t.Fatalf("%s: seek: %v", tc.name, err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(f, buf); err != nil || string(buf) != tc.want {
			t.Fatalf("%s: read %q, %v; want %q", tc.name, buf, err, tc.want)
		}
	}
	buf := make([]byte, 3)
	if n, err := f.ReadAt(buf, 7); err != nil || string(buf[:n]) != "789" {
		t.Fatalf("ReadAt: %q, %v", buf[:n], err)
	}
	if n, err := f.ReadAt(buf, 19); n != 1 || err != io.EOF {
		t.Fatalf("ReadAt at the end: %d, %v; want 1, EOF", n, err)
	}
}

func TestLocalCreateAtomic(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		before   map[string]string // files present before, relative to dir
		write    string
		commit   bool
		want     string // content at the path afterwards; "" means absent
		wantErr  error
		wantTmps int
	}{
		{name: "commit creates", write: "new", commit: true, want: "new"},
		{name: "commit replaces", before: map[string]string{"_metadata": "old"}, write: "new", commit: true, want: "new"},
		{name: "close without commit leaves nothing", write: "half", want: ""},
		{name: "close without commit keeps the old file", before: map[string]string{"_metadata": "old"}, write: "half", want: "old"},
		{name: "stale in-progress file replaced", before: map[string]string{InProgressName("_metadata"): "stale"}, write: "new", commit: true, want: "new"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newLocalStore(t)
			dir := filepath.Join(t.TempDir(), "chk-1")
			writeTree(t, dir, tc.before)
			p := filepath.Join(dir, "_metadata")
			f, err := s.CreateAtomic(ctx, p, 0o640)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(f, tc.write); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(p); tc.before["_metadata"] != string(got) {
				t.Fatalf("visible before commit: %q", got)
			}
			if tc.commit {
				if err := f.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				if err := f.Commit(ctx); !errors.Is(err, fs.ErrClosed) {
					t.Fatalf("second commit: %v", err)
				}
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			got, err := os.ReadFile(p)
			switch {
			case tc.want == "" && !errors.Is(err, fs.ErrNotExist):
				t.Fatalf("file exists: %q, %v", got, err)
			case tc.want != "" && string(got) != tc.want:
				t.Fatalf("content %q, %v; want %q", got, err, tc.want)
			}
			if tc.commit {
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
					t.Fatalf("mode: %v, %v", fi.Mode(), err)
				}
			}
			ents, err := s.List(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				if strings.HasSuffix(e.Path, ".inprogress") {
					t.Fatalf("left behind: %s", e.Path)
				}
			}
		})
	}
	s := newLocalStore(t)
	if _, err := s.CreateAtomic(ctx, t.TempDir()+"/", 0o644); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("folder path: %v", err)
	}
}

func TestLocalRenameReplacesAndRemoveAllRecursive(t *testing.T) {
	ctx := context.Background()
	s := newLocalStore(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a": "new", "b": "old", "tree/x/y": "1", "tree/z": "2"})
	if err := s.Rename(ctx, filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, s, filepath.Join(dir, "b"))); got != "new" {
		t.Fatalf("renamed over: %q", got)
	}
	if err := s.RemoveAll(ctx, filepath.Join(dir, "tree")); err != nil {
		t.Fatal(err)
	}
	ents, err := s.List(ctx, dir)
	if err != nil || len(ents) != 1 || filepath.Base(ents[0].Path) != "b" {
		t.Fatalf("after remove: %+v, %v", ents, err)
	}
}
