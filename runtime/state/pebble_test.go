package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newPebble(t testing.TB, o Options) *Pebble {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	p, err := NewPebble(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// download stands in for the upload and download through HDFS: it copies
// the files of c into a fresh directory.
func download(t testing.TB, c *PebbleCheckpoint) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range c.Files {
		must(t, copyFile(filepath.Join(c.Dir, f.Name), filepath.Join(dir, f.Name)))
	}
	return dir
}

// Pebble checkpoints restore, also when rescaling from several of them.
func TestPebbleCheckpointRestore(t *testing.T) {
	const n, maxP = 300, 16
	for _, tc := range []struct{ oldP, newP int }{{1, 1}, {1, 3}, {3, 2}, {2, 1}} {
		t.Run(fmt.Sprintf("p%d to p%d", tc.oldP, tc.newP), func(t *testing.T) {
			var dirs []string
			for i := 0; i < tc.oldP; i++ {
				rng, _ := RangeForSubtask(maxP, tc.oldP, i)
				p := newPebble(t, Options{MaxParallelism: maxP, Range: rng})
				fill(t, p, n, "v")
				c, err := p.Checkpoint(context.Background(), nil)
				must(t, err)
				dirs = append(dirs, download(t, c))
				must(t, c.Release())
				fill(t, p, n, "after the checkpoint")
			}
			for j := 0; j < tc.newP; j++ {
				rng, _ := RangeForSubtask(maxP, tc.newP, j)
				src, _ := RescaleSources(maxP, tc.oldP, rng)
				var restore []string
				for _, i := range src {
					restore = append(restore, dirs[i])
				}
				p := newPebble(t, Options{MaxParallelism: maxP, Range: rng, PebbleRestore: restore})
				check(t, p, n, "v")
				// Entries outside the range are gone from the DB itself.
				c, err := p.Checkpoint(context.Background(), nil)
				must(t, err)
				full := newPebble(t, Options{MaxParallelism: maxP, PebbleRestore: []string{c.Dir}})
				v, err := NewValueState(full, ValueDescriptor[string]{Name: "v"})
				must(t, err)
				for i := 0; i < n; i++ {
					setKey(full, fmt.Sprintf("key-%d", i))
					_, ok, err := v.Value()
					must(t, err)
					if ok != rng.Contains(full.CurrentKeyGroup()) {
						t.Fatalf("key-%d (group %d): present %v, range %v", i, full.CurrentKeyGroup(), ok, rng)
					}
				}
			}
		})
	}
}

// An incremental checkpoint reports as new only the SST files the uploaded
// set lacks; shared names are stable across checkpoints.
func TestPebbleIncrementalCheckpoint(t *testing.T) {
	p := newPebble(t, Options{})
	fill(t, p, 2000, "v")
	first, err := p.Checkpoint(context.Background(), nil)
	must(t, err)
	uploaded := map[string]bool{}
	for _, f := range first.Files {
		if !f.New {
			t.Fatalf("full checkpoint: %s not new", f.Name)
		}
		if f.Shared {
			uploaded[f.SharedName] = true
		}
	}
	if len(uploaded) == 0 {
		t.Fatalf("no SST files in %v", first.Files)
	}
	must(t, first.Release())
	if _, err := os.Stat(first.Dir); !os.IsNotExist(err) {
		t.Fatalf("released checkpoint dir still there: %v", err)
	}
	v, err := NewValueState(p, ValueDescriptor[string]{Name: "v"})
	must(t, err)
	setKey(p, "key-1")
	must(t, v.Update("changed"))
	second, err := p.Checkpoint(context.Background(), func(n string) bool { return uploaded[n] })
	must(t, err)
	var reused, fresh int
	for _, f := range second.Files {
		switch {
		case f.Shared && !f.New:
			reused++
			if !uploaded[f.SharedName] {
				t.Fatalf("%s reported uploaded but was not", f.SharedName)
			}
		case f.Shared:
			fresh++
		}
	}
	if reused == 0 || fresh == 0 {
		t.Fatalf("second checkpoint: %d reused and %d new SST files, want both", reused, fresh)
	}
	restored := newPebble(t, Options{PebbleRestore: []string{download(t, second)}})
	rv, err := NewValueState(restored, ValueDescriptor[string]{Name: "v"})
	must(t, err)
	setKey(restored, "key-1")
	if got, _, _ := rv.Value(); got != "changed" {
		t.Fatalf("restored %q", got)
	}
}

// Close removes every local file, unreleased checkpoints included.
func TestPebbleCloseRemovesFiles(t *testing.T) {
	root := t.TempDir()
	p, err := NewPebble(context.Background(), Options{Dir: root})
	must(t, err)
	fill(t, p, 100, "v")
	if _, err := p.Checkpoint(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	must(t, p.Close())
	ents, err := os.ReadDir(root)
	must(t, err)
	if len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

func TestPebbleOptionErrors(t *testing.T) {
	src := newPebble(t, Options{})
	fill(t, src, 10, "v")
	c, err := src.Checkpoint(context.Background(), nil)
	must(t, err)
	chk128 := download(t, c)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"rocksdb", Options{Type: "rocksdb", Dir: t.TempDir()}, "pebble"},
		{"no dir", Options{Type: TypePebble}, "no local directory"},
		{"missing restore dir", Options{Type: TypePebble, Dir: t.TempDir(), PebbleRestore: []string{"/nonexistent/chk"}}, "/nonexistent/chk"},
		{"max parallelism changed", Options{Type: TypePebble, Dir: t.TempDir(), MaxParallelism: 64, PebbleRestore: []string{chk128}}, "max parallelism cannot change"},
		{"range beyond max", Options{Type: TypePebble, Dir: t.TempDir(), MaxParallelism: 4, Range: KeyGroupRange{0, 4}}, "not within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(context.Background(), tc.o)
			if err == nil {
				_ = b.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if tc.o.Dir != "" {
				if ents, _ := os.ReadDir(tc.o.Dir); len(ents) != 0 {
					t.Fatalf("failed open left %v", ents)
				}
			}
		})
	}
}

// After a restore given the shared names of the restored files, the next
// checkpoint uploads only what changed since.
func TestPebbleRestoreKeepsSharedNames(t *testing.T) {
	p := newPebble(t, Options{})
	fill(t, p, 1000, "v")
	c, err := p.Checkpoint(context.Background(), nil)
	must(t, err)
	uploaded, names := map[string]bool{}, map[string]string{}
	for _, f := range c.Files {
		if f.Shared {
			uploaded[f.SharedName], names[f.Name] = true, f.SharedName
		}
	}
	r := newPebble(t, Options{PebbleRestore: []string{download(t, c)}, PebbleRestoreShared: names})
	next, err := r.Checkpoint(context.Background(), func(s string) bool { return uploaded[s] })
	must(t, err)
	for _, f := range next.Files {
		if f.Shared && f.New {
			t.Fatalf("%s re-uploaded after restore (nothing changed)", f.Name)
		}
	}
}
