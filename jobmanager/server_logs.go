package jobmanager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// Logs on Flink's paths: /jobmanager/logs lists ServerOptions.LogDir and
// /jobmanager/logs/:name serves a file's tail; /taskmanagers/:tmid/logs
// lists what the TaskManager's metric reports name, and
// /taskmanagers/:tmid/logs/:name asks the TaskManager for the tail over
// its control channel (MsgLogRequest), waiting up to logWait.

// logWait bounds how long a TaskManager log request waits for its reply.
const logWait = 10 * time.Second

// logTail is how much of a log file's end the log paths send by default.
const logTail = 256 << 10

// logRequests are the TaskManager log requests awaiting replies.
type logRequests struct {
	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan api.LogReply
}

func (l *logRequests) add() (uint64, chan api.LogReply) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		l.pending = map[uint64]chan api.LogReply{}
	}
	l.next++
	ch := make(chan api.LogReply, 1)
	l.pending[l.next] = ch
	return l.next, ch
}

func (l *logRequests) done(id uint64) {
	l.mu.Lock()
	delete(l.pending, id)
	l.mu.Unlock()
}

// deliver hands a reply to its request, if still waiting.
func (l *logRequests) deliver(r api.LogReply) {
	l.mu.Lock()
	ch := l.pending[r.ID]
	delete(l.pending, r.ID)
	l.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// tailParam reads ?tail=N (bytes), default logTail.
func tailParam(r *http.Request) int64 {
	if n, err := strconv.ParseInt(r.URL.Query().Get("tail"), 10, 64); err == nil && n > 0 {
		return min(n, api.MaxLogTail)
	}
	return logTail
}

func (s *Server) jobManagerLogs(*http.Request) (any, error) {
	out := api.FlinkLogList{Logs: []api.FlinkLogInfo{}}
	if s.opts.LogDir == "" {
		return out, nil
	}
	ents, err := os.ReadDir(s.opts.LogDir)
	if err != nil {
		return nil, fmt.Errorf("JobManager logs: %w", err)
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			out.Logs = append(out.Logs, api.FlinkLogInfo{Name: e.Name(), Size: fi.Size(), MTime: fi.ModTime().UnixMilli()})
		}
	}
	sort.Slice(out.Logs, func(i, j int) bool { return out.Logs[i].Name < out.Logs[j].Name })
	return out, nil
}

// plainLogName refuses names that are not a file of the log folder.
func plainLogName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return &httpError{http.StatusBadRequest, fmt.Errorf("log %q: want a file name from the log list", name)}
	}
	return nil
}

// writeText answers with a log's text.
func writeText(w http.ResponseWriter, data string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(data))
}

func (s *Server) jobManagerLog(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := plainLogName(name); err != nil {
		return err
	}
	if s.opts.LogDir == "" {
		return &httpError{http.StatusNotFound, errors.New("this JobManager keeps no log files")}
	}
	f, err := os.Open(filepath.Join(s.opts.LogDir, name))
	if err != nil {
		return &httpError{http.StatusNotFound, fmt.Errorf("log %s: %w", name, err)}
	}
	defer func() { _ = f.Close() }() // read only
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	start := max(0, fi.Size()-tailParam(r))
	b := make([]byte, fi.Size()-start)
	if _, err := f.ReadAt(b, start); err != nil {
		return fmt.Errorf("log %s: %w", name, err)
	}
	writeText(w, string(b))
	return nil
}

func (s *Server) taskManagerLogs(r *http.Request) (any, error) {
	tm, err := s.findTaskManager(r.PathValue("tmid"))
	if err != nil {
		return nil, err
	}
	rep, _ := s.metrics.store.taskManager(tm.ID)
	out := api.FlinkLogList{Logs: []api.FlinkLogInfo{}}
	out.Logs = append(out.Logs, rep.Logs...)
	return out, nil
}

func (s *Server) taskManagerLog(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := plainLogName(name); err != nil {
		return err
	}
	id := r.PathValue("tmid")
	s.mu.Lock()
	t := s.tms[id]
	s.mu.Unlock()
	if t == nil {
		return &httpError{http.StatusNotFound, fmt.Errorf("no TaskManager %s with a control channel", id)}
	}
	req, ch := s.logs.add()
	defer s.logs.done(req)
	if err := t.push(api.MsgLogRequest, api.LogRequest{ID: req, Name: name, Tail: tailParam(r)}); err != nil {
		return &httpError{http.StatusServiceUnavailable, err}
	}
	ctx, cancel := context.WithTimeout(r.Context(), logWait)
	defer cancel()
	select {
	case rep := <-ch:
		if rep.Error != "" {
			return &httpError{http.StatusNotFound, errors.New(rep.Error)}
		}
		writeText(w, rep.Data)
		return nil
	case <-ctx.Done():
		return &httpError{http.StatusGatewayTimeout, fmt.Errorf("TaskManager %s sent no log within %s", id, logWait)}
	}
}
