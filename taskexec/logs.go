package taskexec

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// logFiles lists the files of the TaskManager's log folder (none without
// one).
func (tm *TaskManager) logFiles() []api.FlinkLogInfo {
	if tm.opts.LogDir == "" {
		return nil
	}
	ents, err := os.ReadDir(tm.opts.LogDir)
	if err != nil {
		return nil
	}
	var out []api.FlinkLogInfo
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			out = append(out, api.FlinkLogInfo{Name: e.Name(), Size: fi.Size(), MTime: fi.ModTime().UnixMilli()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// readLog answers a LogRequest from the log folder: only plain names of
// files in it, at most api.MaxLogTail bytes from the end.
func (tm *TaskManager) readLog(req api.LogRequest) api.LogReply {
	rep := api.LogReply{ID: req.ID}
	if tm.opts.LogDir == "" {
		rep.Error = "this TaskManager keeps no log files (not in a YARN container)"
		return rep
	}
	if req.Name == "" || strings.ContainsAny(req.Name, `/\`) || req.Name == "." || req.Name == ".." {
		rep.Error = fmt.Sprintf("log %q: want a file name from the TaskManager's log list", req.Name)
		return rep
	}
	f, err := os.Open(filepath.Join(tm.opts.LogDir, req.Name))
	if err != nil {
		rep.Error = fmt.Sprintf("log %s: %v", req.Name, err)
		return rep
	}
	defer func() { _ = f.Close() }() // read only
	fi, err := f.Stat()
	if err != nil {
		rep.Error = fmt.Sprintf("log %s: %v", req.Name, err)
		return rep
	}
	tail := req.Tail
	if tail <= 0 || tail > api.MaxLogTail {
		tail = api.MaxLogTail
	}
	rep.Size = fi.Size()
	start := max(0, fi.Size()-tail)
	b, err := io.ReadAll(io.NewSectionReader(f, start, fi.Size()-start))
	if err != nil {
		rep.Error = fmt.Sprintf("log %s: %v", req.Name, err)
		return rep
	}
	rep.Data = string(b)
	return rep
}
