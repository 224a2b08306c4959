package jobmanager

import (
	"fmt"
	"sort"
	"strings"
)

func (c *CheckpointCoordinator) restored(e CheckpointRestored) {
	ms := append([]*CheckpointMetadata(nil), e.Checkpoints...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	for _, m := range ms {
		if m.ID >= c.nextID {
			c.nextID = m.ID + 1
		}
		if e.Owned && !c.retained(m.ID) {
			c.deleteFiles(c.retention.add(m))
		}
	}
	if e.Owned {
		c.deleteFiles(c.orphans(e.Found))
	} else if len(ms) > 0 {
		c.external = ms[len(ms)-1]
	}
	c.nextID += e.SkipIDs
	if l := c.retention.latest(); l != nil && (c.stats.Latest == nil || c.stats.Latest.ID < l.ID) {
		c.stats.Latest = &CompletedCheckpointStats{ID: l.ID, Path: c.retention.chkDir(l.ID), Size: l.Size(),
			Duration: max(l.Duration(), 0)} // a _metadata is written before its completion time is known
	}
}

// orphans returns the found paths that no retained checkpoint holds: files
// of checkpoints in progress or being deleted when the previous run ended.
// A chk-<n> folder among them moves the next id past n.
func (c *CheckpointCoordinator) orphans(found []string) []string {
	var keep []string
	for _, m := range c.retention.retained {
		keep = append(keep, c.retention.chkDir(m.ID))
		for _, h := range m.Handles() {
			keep = append(keep, h.Path)
		}
	}
	var del []string
	for _, p := range found {
		rel, ok := strings.CutPrefix(p, c.opts.Dir+"/")
		if !ok {
			continue // not ours to judge
		}
		var n int64
		if _, err := fmt.Sscanf(strings.SplitN(rel, "/", 2)[0], "chk-%d", &n); err == nil && n >= c.nextID {
			c.nextID = n + 1
		}
		held := false
		for _, k := range keep {
			if k == p || strings.HasPrefix(k, p+"/") || strings.HasPrefix(p, k+"/") {
				held = true
				break
			}
		}
		if !held {
			del = append(del, p)
		}
	}
	sort.Strings(del)
	return del
}

func (c *CheckpointCoordinator) retained(id int64) bool {
	for _, m := range c.retention.retained {
		if m.ID == id {
			return true
		}
	}
	return false
}
