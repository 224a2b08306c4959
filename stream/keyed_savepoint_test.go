package stream

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
)

// dirStorage is runtime.CheckpointStorage on local disk.
type dirStorage struct{}

func (dirStorage) Create(_ context.Context, p string) (io.WriteCloser, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return os.Create(p)
}

func (dirStorage) Open(_ context.Context, p string) (io.ReadCloser, error) { return os.Open(p) }

// TestKeyedStateThroughSavepoints moves keyed state hashmap (p 2) →
// pebble (p 3) → hashmap (p 1) through savepoints, changing it on the way:
// every savepoint file lies in the savepoint's own folder, in the
// canonical format whatever the backend (never Pebble's SST files), and
// each restore sees exactly the state saved. A pebble checkpoint, for
// contrast, is native files under the job's chk-<n>/.
func TestKeyedStateThroughSavepoints(t *testing.T) {
	const keys, maxP = 200, 32
	ctx := context.Background()
	env := NewEnvironment(Options{})
	root := t.TempDir()
	op := graph.Operator{ID: "sum-uid", Node: graph.Node{Name: "sum"}}
	open := func(backend string, p, i int, restore []runtime.StateHandle) *keyedValue[string, int64] {
		t.Helper()
		oc := runtime.OperatorContext{Job: "j", Operator: op, Subtask: i, Parallelism: p, MaxParallelism: maxP, Vertex: 1,
			Logger: zerolog.Nop(), Checkpointing: &runtime.CheckpointSettings{Dir: root + "/chk", Backend: backend,
				LocalDir: t.TempDir(), Storage: dirStorage{}}}
		if restore != nil {
			oc.Restore = &runtime.OperatorRestore{Checkpoint: 1, Handles: restore}
		}
		kv, err := openKeyedValue[string, int64](ctx, env, oc, "sum")
		if err != nil {
			t.Fatalf("%s subtask %d/%d: %v", backend, i, p, err)
		}
		t.Cleanup(func() { _ = kv.close() })
		return kv
	}
	// snapshot takes cp of every subtask and returns the handles.
	snapshot := func(kvs []*keyedValue[string, int64], cp runtime.CheckpointMeta) []runtime.StateHandle {
		t.Helper()
		var hs []runtime.StateHandle
		for _, kv := range kvs {
			s, err := kv.snapshot(ctx, cp)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Upload(ctx)
			if err != nil {
				t.Fatal(err)
			}
			hs = append(hs, got...)
		}
		return hs
	}
	// stage opens p subtasks of backend from restore, checks they hold
	// want (each key in exactly one subtask), adds delta to every key and
	// returns the subtasks.
	stage := func(backend string, p int, restore []runtime.StateHandle, want, delta int64) []*keyedValue[string, int64] {
		t.Helper()
		var kvs []*keyedValue[string, int64]
		for i := 0; i < p; i++ {
			kvs = append(kvs, open(backend, p, i, restore))
		}
		for k := 0; k < keys; k++ {
			key := fmt.Sprintf("account-%d", k)
			kg := runtime.KeyGroup(runtime.HashString(key), maxP)
			for i, kv := range kvs {
				lo, hi := (i*maxP+p-1)/p, ((i+1)*maxP-1)/p
				if kg < lo || kg > hi {
					continue
				}
				v, ok := kv.get(key)
				if restore != nil && (!ok || v != want+int64(k)) {
					t.Fatalf("%s p%d: %s = %d %v, want %d", backend, p, key, v, ok, want+int64(k))
				}
				kv.put(key, want+int64(k)+delta)
			}
		}
		return kvs
	}
	saved := func(hs []runtime.StateHandle, dir string) {
		t.Helper()
		for _, h := range hs {
			if !strings.HasPrefix(h.Path, dir+"/") || nativeFileName(h) != "" || h.Shared {
				t.Fatalf("savepoint handle %+v: want a canonical file under %s", h, dir)
			}
		}
	}

	hm := stage("hashmap", 2, nil, 0, 10)
	sp1 := root + "/sp/savepoint-1"
	h1 := snapshot(hm, runtime.CheckpointMeta{ID: 1, Savepoint: sp1})
	saved(h1, sp1)

	pb := stage("pebble", 3, h1, 10, 5)
	native := snapshot(pb, runtime.CheckpointMeta{ID: 2})
	for _, h := range native {
		if !strings.HasPrefix(h.Path, root+"/chk/chk-2/") || nativeFileName(h) == "" {
			t.Fatalf("pebble checkpoint handle %+v: want a native file under chk-2", h)
		}
	}
	sp2 := root + "/sp/savepoint-2"
	h2 := snapshot(pb, runtime.CheckpointMeta{ID: 3, Savepoint: sp2})
	saved(h2, sp2)

	if err := os.RemoveAll(root + "/chk"); err != nil { // the job's checkpoints are gone
		t.Fatal(err)
	}
	stage("hashmap", 1, h2, 15, 0)
}
