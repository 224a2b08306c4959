package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
)

// TestHDFSSeekAndAtomicCreate checks, on the real HDFS, what checkpoints
// and split readers need from hdfsstore: Seek and ReadAt on an open file,
// CreateAtomic (invisible until Commit, nothing left behind by Close),
// Rename over an existing file, recursive RemoveAll and List.
func TestHDFSSeekAndAtomicCreate(t *testing.T) {
	c := requireCluster(t)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := newStore(t, h, "")
	base := fmt.Sprintf("/tmp/floe-it-file-%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = s.RemoveAll(context.Background(), base) })

	// A 3 MiB file; seek into it and read at offsets.
	data := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	w, err := s.Create(ctx, base+"/data.bin", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(ctx, base+"/data.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name   string
		offset int64
		whence int
		want   int64 // absolute position
	}{
		{"start", 2 << 20, io.SeekStart, 2 << 20},
		{"current", 1000, io.SeekCurrent, 2<<20 + 4096 + 1000}, // after reading 4096
		{"end", -4096, io.SeekEnd, 3<<20 - 4096},
		{"back", 17, io.SeekStart, 17},
	} {
		pos, err := f.Seek(tc.offset, tc.whence)
		if err != nil || pos != tc.want {
			t.Fatalf("%s: seek = %d, %v; want %d", tc.name, pos, err, tc.want)
		}
		buf := make([]byte, 4096)
		if _, err := io.ReadFull(f, buf); err != nil || string(buf) != string(data[pos:pos+4096]) {
			t.Fatalf("%s: read after seek: %v (content differs: %v)", tc.name, err, string(buf) != string(data[pos:pos+4096]))
		}
	}
	buf := make([]byte, 100)
	if n, err := f.ReadAt(buf, 1<<20); n != 100 || err != nil || string(buf) != string(data[1<<20:1<<20+100]) {
		t.Fatalf("ReadAt: %d, %v", n, err)
	}

	// CreateAtomic: invisible until Commit; Close without Commit leaves
	// the committed file and no in-progress file.
	meta := base + "/chk-1/_metadata"
	for i, commit := range []bool{true, false, true} {
		a, err := s.CreateAtomic(ctx, meta, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(a, "version %d", i); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := s.Stat(ctx, meta); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("visible before commit: %v", err)
			}
		}
		if commit {
			if err := a.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Open(ctx, meta)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	_ = r.Close() // read-only
	if err != nil || string(got) != "version 2" {
		t.Fatalf("_metadata = %q, %v; want the last committed version", got, err)
	}
	if fi, err := s.Stat(ctx, meta); err != nil || fi.Mode.Perm() != 0o600 {
		t.Fatalf("_metadata: %+v, %v", fi, err)
	}
	ents, err := s.List(ctx, base+"/chk-1")
	if err != nil || len(ents) != 1 || !strings.HasSuffix(ents[0].Path, "/_metadata") {
		t.Fatalf("chk-1 holds %+v, %v; want only _metadata", ents, err)
	}

	// Rename replaces; RemoveAll is recursive.
	if err := s.Rename(ctx, base+"/data.bin", meta); err != nil {
		t.Fatal(err)
	}
	if fi, err := s.Stat(ctx, meta); err != nil || fi.Size != int64(len(data)) {
		t.Fatalf("after rename over: %+v, %v", fi, err)
	}
	if err := s.RemoveAll(ctx, base+"/chk-1"); err != nil {
		t.Fatal(err)
	}
	if ents, err := s.List(ctx, base); err != nil || len(ents) != 0 {
		t.Fatalf("after RemoveAll: %+v, %v", ents, err)
	}
}
