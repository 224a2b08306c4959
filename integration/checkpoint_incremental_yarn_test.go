package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnIncrementalCheckpoints is issue 9's incremental checkpoint test:
// a per-job run of testdata/slowstate (about 20 MiB of keyed state in
// pebble, then one key in 100 rewritten every 50 ms) with
// execution.checkpointing.incremental, a checkpoint every second and two
// retained. From the files under state.checkpoints.dir on HDFS:
//   - later checkpoints upload far fewer bytes than the state they
//     reference: the bytes new to chk-n (its own files plus shared files no
//     earlier checkpoint referenced) are under a tenth of its total at
//     least twice. Not every checkpoint: a pebble compaction rewrites the
//     state into new files, which the next checkpoint must upload.
//   - after the job ends only the retained checkpoints remain
//     (RETAIN_ON_CANCELLATION keeps them), and every file under shared/
//     is referenced by one of them, and every reference exists.
func TestYarnIncrementalCheckpoints(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	bin := filepath.Join(t.TempDir(), "slowstate")
	ycRun(t, e.c.Root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", bin, "./integration/testdata/slowstate")
	chk := e.qualify(t, dir+"/chk")
	const retained = 2
	app, job := e.runDetached(t, "-p", "1", "-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir="+chk,
		"-Dstate.backend.type=pebble", "-Dexecution.checkpointing.incremental=true",
		"-Dstate.checkpoints.num-retained="+strconv.Itoa(retained),
		"-Dexecution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION",
		bin, "--keys", "100000", "--value-bytes", "200", "--updates", "300", "--every", "50ms")
	jobDir := chk + "/" + job

	// Read every checkpoint's _metadata while the job runs (a checkpoint
	// lives at least two intervals), then once more after it ended.
	seen := map[int64]*jobmanager.CheckpointMetadata{}
	waitUntil(t, 4*time.Minute, "the application to end", func() (bool, error) {
		e.readCheckpoints(t, jobDir, seen)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := e.rm.ApplicationReport(ctx, app)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			return false, fmt.Errorf("application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	remaining := map[int64]*jobmanager.CheckpointMetadata{}
	e.readCheckpoints(t, jobDir, remaining)
	for id, m := range remaining {
		seen[id] = m
	}

	// Bytes new to each checkpoint vs the bytes it references.
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	known := map[string]bool{} // shared files referenced by an earlier checkpoint
	full, small := false, 0
	for _, id := range ids {
		m := seen[id]
		var newBytes, total int64
		for _, h := range m.Handles() {
			total += h.Size
			if !h.Shared || !known[path.Base(h.Path)] {
				newBytes += h.Size
			}
		}
		for _, h := range m.Handles() {
			if h.Shared {
				known[path.Base(h.Path)] = true
			}
		}
		t.Logf("chk-%d: %d bytes new of %d referenced", id, newBytes, total)
		if total < 10<<20 {
			continue // the state is not all there yet
		}
		if full && newBytes*10 < total {
			small++
		}
		full = true
	}
	if !full {
		t.Fatalf("no checkpoint references the whole state (≥ 10 MiB) among %d seen", len(ids))
	}
	if small < 2 {
		t.Errorf("%d later checkpoints uploaded under a tenth of their state; want at least 2", small)
	}

	// Only the retained checkpoints remain, and shared/ holds exactly
	// what they reference.
	if len(ids) < retained {
		t.Fatalf("saw %d checkpoints", len(ids))
	}
	want := ids[len(ids)-retained:]
	var got []int64
	for id := range remaining {
		got = append(got, id)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if last := ids[len(ids)-1]; remaining[last] == nil && len(ids) > retained {
		// The last one seen was in flight when the job ended: its
		// _metadata was written, but the job finished before it
		// completed, so it was aborted and deleted (one at a time).
		want = ids[len(ids)-1-retained : len(ids)-1]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("checkpoints left after the job: %v, want the last %d completed: %v", got, retained, want)
	}
	referenced := map[string]bool{}
	for _, m := range remaining {
		for _, h := range m.Handles() {
			if h.Shared {
				referenced[path.Base(h.Path)] = true
			}
		}
	}
	onDisk := map[string]bool{}
	for _, f := range e.filesUnder(t, jobDir+"/shared") {
		onDisk[f] = true
		if !referenced[f] {
			t.Errorf("orphan shared file %s: no retained checkpoint references it", f)
		}
	}
	for f := range referenced {
		if !onDisk[f] {
			t.Errorf("shared file %s referenced by a retained checkpoint is missing", f)
		}
	}
	if len(referenced) == 0 {
		t.Error("the retained checkpoints reference no shared file: not incremental")
	}
	for _, f := range e.entries(t, jobDir) {
		if f != "shared" && !strings.HasPrefix(f, "chk-") {
			t.Errorf("unexpected entry %s in the job's checkpoint folder", f)
		}
	}
}

// readCheckpoints adds the completed checkpoints under jobDir (those with
// a _metadata) to into, by id; one deleted while it reads is skipped.
func (e *ycEnv) readCheckpoints(t *testing.T, jobDir string, into map[int64]*jobmanager.CheckpointMetadata) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range e.entries(t, jobDir) {
		id, err := strconv.ParseInt(strings.TrimPrefix(name, "chk-"), 10, 64)
		if !strings.HasPrefix(name, "chk-") || err != nil || into[id] != nil {
			continue
		}
		f, err := e.st.Open(ctx, jobDir+"/"+name+"/_metadata")
		if errors.Is(err, fs.ErrNotExist) {
			continue // in progress, or deleted
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		_ = f.Close()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatalf("read %s/_metadata: %v", name, err)
		}
		m, err := jobmanager.DecodeCheckpointMetadata(b)
		if err != nil {
			t.Fatalf("%s/_metadata: %v", name, err)
		}
		into[id] = m
	}
}

// entries lists the names in folder p (none when it does not exist).
func (e *ycEnv) entries(t *testing.T, p string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fis, err := e.st.List(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("list %s: %v", p, err)
	}
	out := make([]string, 0, len(fis))
	for _, fi := range fis {
		out = append(out, path.Base(fi.Path))
	}
	return out
}
