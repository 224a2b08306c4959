package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// Pebble's native checkpoints: the files of a Pebble checkpoint are
// uploaded as they are. With incremental checkpoints the immutable SST
// files go once each under <dir>/shared/<shared name> (Shared handles,
// referenced again by later checkpoints); every other file, and every file
// of a full checkpoint, under
// <dir>/chk-<n>/<operator>-<vertex>-<subtask>-pebble-<name>. A restore
// downloads each old subtask's files into a local folder and opens the
// backend on them (state.Options.PebbleRestore), which keeps the key groups
// of its range.

const pebblePrivate = "pebble-"

// uploadedSet is the shared files a subtask already uploaded, for
// incremental checkpoints (written by uploads, read at barriers).
type uploadedSet struct {
	mu    sync.Mutex
	names map[string]bool
}

func (u *uploadedSet) has(n string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.names[n]
}

func (u *uploadedSet) add(n string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.names == nil {
		u.names = map[string]bool{}
	}
	u.names[n] = true
}

// nativeFileName is the name a native Pebble handle's file had in its
// checkpoint folder, or "" when h is not one.
func nativeFileName(h runtime.StateHandle) string {
	base := path.Base(h.Path)
	if h.Shared {
		if _, name, ok := strings.Cut(base, "-"); ok {
			return name
		}
		return ""
	}
	if _, name, ok := strings.Cut(base, "-"+pebblePrivate); ok {
		return name
	}
	return ""
}

// downloadPebble fetches the native Pebble handles overlapping rng into one
// local folder per old subtask (key-group range), the first folder's shared
// files mapped to their shared names. cleanup removes the folders.
func downloadPebble(ctx context.Context, st runtime.CheckpointStorage, localDir string, hs []runtime.StateHandle, rng state.KeyGroupRange) (dirs []string, shared map[string]string, cleanup func(), err error) {
	groups := map[[2]int][]runtime.StateHandle{}
	var keys [][2]int
	for _, h := range hs {
		if nativeFileName(h) == "" || h.KeyGroupEnd <= rng.Start || h.KeyGroupStart > rng.End {
			continue
		}
		k := [2]int{h.KeyGroupStart, h.KeyGroupEnd}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], h)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0] < keys[j][0] })
	cleanup = func() {
		for _, d := range dirs {
			_ = os.RemoveAll(d)
		}
	}
	shared = map[string]string{}
	for i, k := range keys {
		d, err := os.MkdirTemp(localDir, "floe-restore-")
		if err != nil {
			cleanup()
			return nil, nil, nil, err
		}
		dirs = append(dirs, d)
		for _, h := range groups[k] {
			name := nativeFileName(h)
			if err := download(ctx, st, h.Path, filepath.Join(d, name)); err != nil {
				cleanup()
				return nil, nil, nil, fmt.Errorf("download %s: %w", h.Path, err)
			}
			if h.Shared && i == 0 {
				shared[name] = path.Base(h.Path)
			}
		}
	}
	return dirs, shared, cleanup, nil
}

func download(ctx context.Context, st runtime.CheckpointStorage, from, to string) error {
	r, err := st.Open(ctx, from)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }() // read-only
	f, err := os.Create(to)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

func upload(ctx context.Context, st runtime.CheckpointStorage, from, to string) error {
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only
	w, err := st.Create(ctx, to)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, f)
	return errors.Join(err, w.Close())
}

// pebbleSnapshot takes a native Pebble checkpoint at the barrier; Upload
// writes its new files and returns a handle for every file.
func (kv *keyedBackend[K]) pebbleSnapshot(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	cs := kv.oc.Checkpointing
	var uploaded func(string) bool
	if cs.Incremental {
		uploaded = kv.uploaded.has
	}
	snap, err := state.CheckpointSnapshotOf(ctx, kv.b, uploaded)
	if err != nil {
		return runtime.OperatorSnapshot{}, err
	}
	c := snap.Files
	if c == nil {
		_ = snap.Release()
		return runtime.OperatorSnapshot{}, errors.New("pebble backend gave no checkpoint files")
	}
	return runtime.OperatorSnapshot{Upload: func(ctx context.Context) (hs []runtime.StateHandle, err error) {
		defer func() { err = errors.Join(err, snap.Release()) }()
		var done []string
		for _, f := range c.Files {
			// Full checkpoints keep every file their own.
			shared := f.Shared && cs.Incremental
			h := runtime.StateHandle{Size: f.Size, KeyGroupStart: c.Range.Start, KeyGroupEnd: c.Range.End + 1, Shared: shared}
			if shared {
				h.Path = strings.TrimSuffix(cs.Dir, "/") + "/shared/" + f.SharedName
			} else {
				h.Path = cs.StatePath(cp.ID, kv.oc.Operator.ID, kv.oc.Vertex, kv.oc.Subtask, pebblePrivate+f.Name)
			}
			if f.New || !shared {
				err := upload(ctx, cs.Storage, filepath.Join(c.Dir, f.Name), h.Path)
				if shared && errors.Is(err, fs.ErrExist) {
					// Stored by an earlier attempt or before a restore: a
					// shared name always holds the same bytes.
					err = nil
				}
				if err != nil {
					return nil, fmt.Errorf("upload %s: %w", h.Path, err)
				}
				if shared {
					done = append(done, f.SharedName)
				}
			}
			hs = append(hs, h)
		}
		for _, n := range done {
			kv.uploaded.add(n)
		}
		return hs, nil
	}}, nil
}
