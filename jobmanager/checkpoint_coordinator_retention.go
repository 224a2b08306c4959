package jobmanager

import (
	"fmt"
	"sort"
	"strings"
)

// checkpointRetention keeps the last N completed checkpoints and counts
// references to shared files (incremental checkpoints reuse the immutable
// files of earlier ones): a shared file is deleted exactly when no retained
// checkpoint references it any more, and never while one does. Files that
// are not shared belong to one checkpoint and go with it, together with its
// chk-<n> folder (which holds _metadata).
type checkpointRetention struct {
	dir      string
	max      int
	retained []*CheckpointMetadata // oldest first
	shared   map[string]int        // path -> retained checkpoints referencing it
}

func newCheckpointRetention(dir string, keep int) checkpointRetention {
	return checkpointRetention{dir: dir, max: keep, shared: map[string]int{}}
}

// chkDir is the folder of checkpoint id: <dir>/chk-<id>.
func (r *checkpointRetention) chkDir(id int64) string {
	// Not path.Join: it would fold the "//" of an hdfs:// URL.
	return strings.TrimRight(r.dir, "/") + fmt.Sprintf("/chk-%d", id)
}

// latest returns the newest retained checkpoint, or nil.
func (r *checkpointRetention) latest() *CheckpointMetadata {
	if len(r.retained) == 0 {
		return nil
	}
	return r.retained[len(r.retained)-1]
}

// uploaded is how many bytes of m are new: files no retained checkpoint
// already holds (what an incremental checkpoint really wrote).
func (r *checkpointRetention) uploaded(m *CheckpointMetadata) int64 {
	var n int64
	seen := map[string]bool{}
	for _, h := range m.Handles() {
		if h.Shared && (r.shared[h.Path] > 0 || seen[h.Path]) {
			continue
		}
		seen[h.Path] = true
		n += h.Size
	}
	return n
}

// add retains m (its shared files counted first, so that a file m shares
// with a checkpoint it subsumes survives) and returns the files of the
// checkpoints it pushes beyond the retained count.
func (r *checkpointRetention) add(m *CheckpointMetadata) []string {
	for p := range sharedPaths(m.Handles()) {
		r.shared[p]++
	}
	r.retained = append(r.retained, m)
	sort.SliceStable(r.retained, func(i, j int) bool { return r.retained[i].ID < r.retained[j].ID })
	var del []string
	for len(r.retained) > r.max {
		old := r.retained[0]
		r.retained = r.retained[1:]
		del = append(del, r.release(old)...)
	}
	return del
}

// release drops a subsumed checkpoint: its exclusive files, the shared
// files no other retained checkpoint references, and its folder.
func (r *checkpointRetention) release(m *CheckpointMetadata) []string {
	var del []string
	for _, h := range m.Handles() {
		if !h.Shared {
			del = append(del, h.Path)
		}
	}
	var gone []string
	for p := range sharedPaths(m.Handles()) {
		if r.shared[p]--; r.shared[p] <= 0 {
			delete(r.shared, p)
			gone = append(gone, p)
		}
	}
	sort.Strings(gone)
	return append(append(del, gone...), r.chkDir(m.ID))
}

// discard returns the files of a checkpoint that never completed (or of a
// late acknowledgement): all of them except shared files a retained
// checkpoint references.
func (r *checkpointRetention) discard(handles []StateHandle) []string {
	var del []string
	seen := map[string]bool{}
	for _, h := range handles {
		if seen[h.Path] || (h.Shared && r.shared[h.Path] > 0) {
			continue
		}
		seen[h.Path] = true
		del = append(del, h.Path)
	}
	return del
}

func sharedPaths(hs []StateHandle) map[string]bool {
	s := map[string]bool{}
	for _, h := range hs {
		if h.Shared {
			s[h.Path] = true
		}
	}
	return s
}
