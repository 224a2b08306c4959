package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// NodeLogs reads containers' logs from the NodeManagers' web services, so
// no log aggregation is needed: it finds an application's containers on
// the nodes the ResourceManager lists and lists and reads their files.
// When a NodeManager no longer serves a finished container's logs because
// it aggregated them to HDFS (yarn.log-aggregation-enable), they are read
// there (nmlogs_aggregated.go).
type NodeLogs struct {
	rm      RM
	timeout time.Duration
	agg     *aggregatedLogs // nil: NodeManagers only

	mu    sync.Mutex
	users map[yarnrpc.ApplicationID]string // whose folder holds the aggregated logs
}

// NewNodeLogs returns a NodeLogs asking rm for the nodes; httpTimeout
// bounds each NodeManager call (default 5 s).
func NewNodeLogs(rm RM, httpTimeout time.Duration) *NodeLogs {
	if httpTimeout <= 0 {
		httpTimeout = 5 * time.Second
	}
	return &NodeLogs{rm: rm, timeout: httpTimeout, users: map[yarnrpc.ApplicationID]string{}}
}

// appUser records whose application rep is (its aggregated logs are under
// that user's folder).
func (l *NodeLogs) appUser(rep yarnrpc.ApplicationReport) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rep.User != "" {
		l.users[rep.ID] = rep.User
	}
}

// aggregated returns app's containers aggregated to HDFS (none without a
// store, or when nothing was aggregated).
func (l *NodeLogs) aggregated(ctx context.Context, app yarnrpc.ApplicationID) map[yarnrpc.ContainerID]aggregatedContainer {
	if l.agg == nil {
		return nil
	}
	l.mu.Lock()
	user, ok := l.users[app]
	l.mu.Unlock()
	if !ok {
		user = l.agg.store.User()
	}
	cs, err := l.agg.containers(ctx, app, user)
	if err != nil {
		return nil
	}
	return cs
}

// ContainerRef is one container of an application and the NodeManager web
// address that serves its logs.
type ContainerRef struct {
	ID     yarnrpc.ContainerID
	NodeWS string // NodeManager http address, host:port
}

// IsAM reports whether c is the ApplicationMaster container of its attempt
// (the attempt's first container).
func (c ContainerRef) IsAM() bool { return c.ID.Sequence() == 1 }

// LogFile is one log file of a container.
type LogFile struct {
	Name string
	Size int64
}

// nmGet GETs a NodeManager web-service path and returns the body.
func (l *NodeLogs) nmGet(ctx context.Context, node, p string, accept string) ([]byte, error) {
	if node == "" {
		return nil, errors.New("the NodeManager is not known to the ResourceManager any more")
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	u := "http://" + node + p
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("NodeManager %s: %w", node, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", u, resp.StatusCode, firstLine(string(b)))
	}
	return b, nil
}

// Containers lists app's containers known to the NodeManagers (running
// ones, and finished ones whose logs the NodeManager still keeps), AM
// containers first.
func (l *NodeLogs) Containers(ctx context.Context, app yarnrpc.ApplicationID) ([]ContainerRef, error) {
	nodes, err := l.rm.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	var out []ContainerRef
	for _, n := range nodes {
		if n.HTTPAddress == "" {
			continue
		}
		b, err := l.nmGet(ctx, n.HTTPAddress, "/ws/v1/node/apps/"+app.String(), "application/json")
		if err != nil {
			continue
		}
		var r struct {
			App struct {
				ContainerIDs []string `json:"containerids"`
			} `json:"app"`
		}
		if json.Unmarshal(b, &r) != nil {
			continue
		}
		for _, s := range r.App.ContainerIDs {
			if id, err := yarnrpc.ParseContainerID(s); err == nil {
				out = append(out, ContainerRef{ID: id, NodeWS: n.HTTPAddress})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].ID, out[j].ID
		if a.Attempt.Attempt != b.Attempt.Attempt {
			return a.Attempt.Attempt > b.Attempt.Attempt
		}
		return a.Sequence() < b.Sequence()
	})
	return out, nil
}

// AMContainer finds the ApplicationMaster container of rep's current
// attempt. Running applications are listed by the NodeManagers; for ended
// ones the id comes from YARN's diagnostics or is derived from the attempt
// id, and the NodeManager still serving its logs is probed.
func (l *NodeLogs) AMContainer(ctx context.Context, rep yarnrpc.ApplicationReport) (ContainerRef, error) {
	l.appUser(rep)
	cs, err := l.Containers(ctx, rep.ID)
	if err != nil {
		return ContainerRef{}, err
	}
	for _, c := range cs {
		if c.IsAM() && (rep.Attempt.IsZero() || c.ID.Attempt == rep.Attempt) {
			return c, nil
		}
	}
	var cands []yarnrpc.ContainerID
	for _, m := range containerIDPattern.FindAllString(rep.Diagnostics, -1) {
		if id, err := yarnrpc.ParseContainerID(m); err == nil && id.Sequence() == 1 && id.App() == rep.ID {
			cands = append(cands, id)
		}
	}
	if !rep.Attempt.IsZero() {
		for epoch := int64(0); epoch < 4; epoch++ {
			cands = append(cands, yarnrpc.NewContainerID(rep.Attempt, epoch, 1))
		}
	}
	nodes, err := l.rm.Nodes(ctx)
	if err != nil {
		return ContainerRef{}, err
	}
	httpOf := map[string]string{}
	for _, n := range nodes {
		httpOf[n.ID.String()] = n.HTTPAddress
	}
	for _, id := range cands {
		for _, n := range nodes {
			// A NodeManager answers an empty list for ids it never ran.
			c := ContainerRef{ID: id, NodeWS: n.HTTPAddress}
			if fs, err := l.nmLogFiles(ctx, c); err == nil && len(fs) > 0 {
				return c, nil
			}
		}
	}
	// Aggregated to HDFS: the current attempt's AM, else the latest one.
	var best ContainerRef
	for id, ac := range l.aggregated(ctx, rep.ID) {
		if id.Sequence() != 1 || (!rep.Attempt.IsZero() && id.Attempt != rep.Attempt) {
			continue
		}
		if best.ID.IsZero() || id.Attempt.Attempt > best.ID.Attempt.Attempt {
			best = ContainerRef{ID: id, NodeWS: httpOf[ac.node]}
		}
	}
	if !best.ID.IsZero() {
		return best, nil
	}
	return ContainerRef{}, fmt.Errorf("no NodeManager serves the logs of the AM container of %s, and none were aggregated to HDFS", rep.ID)
}

var containerIDPattern = regexp.MustCompile(`container_(e\d+_)?\d+_\d+_\d+_\d+`)

// LogFiles lists the log files of a container: the NodeManager's, else
// those aggregated to HDFS.
func (l *NodeLogs) LogFiles(ctx context.Context, c ContainerRef) ([]LogFile, error) {
	files, err := l.nmLogFiles(ctx, c)
	if err == nil && len(files) > 0 {
		return files, nil
	}
	if ac, ok := l.aggregated(ctx, c.ID.App())[c.ID]; ok {
		files = files[:0]
		for _, f := range ac.files {
			files = append(files, LogFile{Name: f.Name, Size: int64(len(f.Data))})
		}
		return files, nil
	}
	return files, err
}

func (l *NodeLogs) nmLogFiles(ctx context.Context, c ContainerRef) ([]LogFile, error) {
	b, err := l.nmGet(ctx, c.NodeWS, "/ws/v1/node/containers/"+c.ID.String()+"/logs", "application/json")
	if err != nil {
		return nil, err
	}
	// Hadoop 3 answers a list of {logAggregationType, containerLogInfo: [...]}.
	type info struct {
		FileName string `json:"fileName"`
		FileSize string `json:"fileSize"`
	}
	type group struct {
		Infos []info `json:"containerLogInfo"`
	}
	// It answers one object, {"containerLogsInfo": {...}}, or a list of
	// them, depending on the version and the number of log types.
	var groups []group
	if err := json.Unmarshal(b, &groups); err != nil {
		var one struct {
			Group json.RawMessage `json:"containerLogsInfo"`
		}
		if err2 := json.Unmarshal(b, &one); err2 != nil || len(one.Group) == 0 {
			return nil, fmt.Errorf("container %s: log list: %w", c.ID, err)
		}
		var g group
		if json.Unmarshal(one.Group, &g) == nil {
			groups = []group{g}
		} else if err := json.Unmarshal(one.Group, &groups); err != nil {
			return nil, fmt.Errorf("container %s: log list: %w", c.ID, err)
		}
	}
	var out []LogFile
	seen := map[string]bool{} // a NodeManager may list a file as local and as aggregated
	for _, g := range groups {
		for _, i := range g.Infos {
			if seen[i.FileName] {
				continue
			}
			seen[i.FileName] = true
			var n int64
			_, _ = fmt.Sscan(i.FileSize, &n) // a size that does not parse stays 0 (unknown)
			out = append(out, LogFile{Name: i.FileName, Size: n})
		}
	}
	return out, nil
}

// ReadLog returns a container log file; tailBytes > 0 returns only its
// last tailBytes bytes.
func (l *NodeLogs) ReadLog(ctx context.Context, c ContainerRef, file string, tailBytes int64) ([]byte, error) {
	p := "/ws/v1/node/containers/" + c.ID.String() + "/logs/" + url.PathEscape(file)
	if tailBytes > 0 {
		p += fmt.Sprintf("?size=-%d", tailBytes)
	}
	b, err := l.nmGet(ctx, c.NodeWS, p, "text/plain")
	if err == nil {
		return b, nil
	}
	if ac, ok := l.aggregated(ctx, c.ID.App())[c.ID]; ok {
		for _, f := range ac.files {
			if f.Name == file {
				d := f.Data
				if tailBytes > 0 && int64(len(d)) > tailBytes {
					d = d[int64(len(d))-tailBytes:]
				}
				return d, nil
			}
		}
	}
	return nil, err
}

// AMLogTail returns the last n lines of the AM's jobmanager.err,
// jobmanager.out and jobmanager.log (whichever are not empty), each line
// prefixed with its file name. It never fails: when no log can be read the
// one line says why.
func (l *NodeLogs) AMLogTail(ctx context.Context, rep yarnrpc.ApplicationReport, n int) []string {
	c, err := l.AMContainer(ctx, rep)
	if err != nil {
		return []string{"(AM log not readable: " + err.Error() + ")"}
	}
	var out []string
	for _, f := range []string{"jobmanager.err", "jobmanager.out", contract.LogJobManager} {
		b, err := l.ReadLog(ctx, c, f, 16<<10)
		if err != nil {
			continue
		}
		lines := LastLines(LogContents(string(b)), n)
		for _, l := range lines {
			out = append(out, f+": "+l)
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("(the AM container %s on %s wrote no log lines)", c.ID, c.NodeWS))
	}
	return out
}

// AppContainers returns the containers of app whose logs a NodeManager
// serves, AM containers first; when none is listed (the application
// ended and its containers are gone from the listings) the AM container
// of rep's attempt is probed for.
func (l *NodeLogs) AppContainers(ctx context.Context, rep yarnrpc.ApplicationReport) ([]ContainerRef, error) {
	cs, err := l.Containers(ctx, rep.ID)
	if err != nil || len(cs) > 0 {
		return cs, err
	}
	if am, err := l.AMContainer(ctx, rep); err == nil {
		cs = append(cs, am)
	}
	return cs, nil
}

// FindContainer returns the NodeManager serving the logs of container id:
// from the listings, else (finished containers are not listed) by asking
// every NodeManager for its log files. ok is false when none has them.
func (l *NodeLogs) FindContainer(ctx context.Context, id yarnrpc.ContainerID) (c ContainerRef, ok bool, err error) {
	all, err := l.Containers(ctx, id.App())
	if err != nil {
		return c, false, err
	}
	for _, x := range all {
		if x.ID == id {
			return x, true, nil
		}
	}
	nodes, err := l.rm.Nodes(ctx)
	if err != nil {
		return c, false, err
	}
	for _, n := range nodes {
		ref := ContainerRef{ID: id, NodeWS: n.HTTPAddress}
		if fs, err := l.nmLogFiles(ctx, ref); err == nil && len(fs) > 0 {
			return ref, true, nil
		}
	}
	if ac, ok := l.aggregated(ctx, id.App())[id]; ok {
		for _, n := range nodes {
			if n.ID.String() == ac.node {
				return ContainerRef{ID: id, NodeWS: n.HTTPAddress}, true, nil
			}
		}
		return ContainerRef{ID: id}, true, nil
	}
	return c, false, nil
}

// LastLines returns the last n non-empty lines of s.
func LastLines(s string, n int) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, "\r"))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func isNotFound(err error) bool { return errors.Is(err, yarnrpc.ErrApplicationNotFound) }

// LogContents strips the NodeManager's framing (Container:, LogType:,
// LogContents: … End of LogType:) from a log file answer.
func LogContents(s string) string {
	if i := strings.Index(s, "LogContents:\n"); i >= 0 {
		s = s[i+len("LogContents:\n"):]
		if j := strings.Index(s, "End of LogType:"); j >= 0 {
			s = s[:j]
		}
	}
	return s
}
