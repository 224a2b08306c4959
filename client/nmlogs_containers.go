package client

import (
	"bufio"
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// ContainerInfo is one container of an application as `floe logs` lists
// it: where it ran, the TaskManager it held, and whether it still runs.
type ContainerInfo struct {
	ContainerRef
	// TaskManager is the TaskManager id ("" for the AM).
	TaskManager string
	// Node is the NodeManager's id (host:port).
	Node string
	// State is RUNNING while a NodeManager lists the container, else
	// FINISHED.
	State string
	// Exit says how a finished TaskManager container ended, as the AM
	// logged it ("" when it was stopped on purpose or still runs).
	Exit string
}

// amLogEntry is what the AM's jobmanager.log (zerolog JSON) says about a
// TaskManager container.
type amLogEntry struct {
	TM         string `json:"tm"`
	Container  string `json:"container"`
	Node       string `json:"node"`
	Message    string `json:"message"`
	ExitText   string `json:"exit"`
	ExitStatus *int32 `json:"exit_status"`
}

// AllContainers lists every container of rep's application, running or
// finished: the AM's, and each TaskManager container the AM's log records
// (the AM logs every container it was given, with its node). The
// NodeManagers list only running containers, so this is what finds the
// TaskManagers of an application that has ended, while the NodeManagers
// keep their logs; containers whose logs were aggregated to HDFS are
// listed from there.
func (l *NodeLogs) AllContainers(ctx context.Context, rep yarnrpc.ApplicationReport) ([]ContainerInfo, error) {
	l.appUser(rep)
	running, err := l.Containers(ctx, rep.ID)
	if err != nil {
		return nil, err
	}
	nodes, err := l.rm.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	httpOf := map[string]string{}
	for _, n := range nodes {
		httpOf[n.ID.String()] = n.HTTPAddress
	}
	live := map[yarnrpc.ContainerID]ContainerRef{}
	for _, c := range running {
		live[c.ID] = c
	}
	var out []ContainerInfo
	seen := map[yarnrpc.ContainerID]bool{}
	add := func(ci ContainerInfo) {
		if seen[ci.ID] {
			return
		}
		seen[ci.ID] = true
		ci.State = "FINISHED"
		if c, ok := live[ci.ID]; ok {
			ci.State, ci.NodeWS = "RUNNING", c.NodeWS
		}
		out = append(out, ci)
	}
	am, amErr := l.AMContainer(ctx, rep)
	if amErr == nil {
		add(ContainerInfo{ContainerRef: am})
		if b, err := l.ReadLog(ctx, am, contract.LogJobManager, 0); err == nil {
			for _, ci := range loggedContainers(LogContents(string(b)), httpOf) {
				add(ci)
			}
		}
	}
	for _, c := range running { // anything the AM log did not name
		add(ContainerInfo{ContainerRef: c})
	}
	for id, ac := range l.aggregated(ctx, rep.ID) { // and what went to HDFS
		add(ContainerInfo{ContainerRef: ContainerRef{ID: id, NodeWS: httpOf[ac.node]}, Node: ac.node})
	}
	if len(out) == 0 && amErr != nil {
		return nil, amErr
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].ID, out[j].ID
		if a.Attempt.Attempt != b.Attempt.Attempt {
			return a.Attempt.Attempt > b.Attempt.Attempt
		}
		return a.Sequence() < b.Sequence()
	})
	return out, nil
}

// loggedContainers reads the TaskManager containers from the AM's log
// lines: "container allocated" names container, TaskManager and node; a
// later "completed unexpectedly" line says how it ended.
func loggedContainers(log string, httpOf map[string]string) []ContainerInfo {
	byID := map[string]*ContainerInfo{}
	var order []string
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e amLogEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Container == "" || e.TM == "" {
			continue
		}
		id, err := yarnrpc.ParseContainerID(e.Container)
		if err != nil {
			continue
		}
		ci := byID[e.Container]
		if ci == nil {
			if e.Node == "" {
				continue
			}
			ci = &ContainerInfo{ContainerRef: ContainerRef{ID: id, NodeWS: httpOf[e.Node]}, TaskManager: e.TM, Node: e.Node}
			byID[e.Container] = ci
			order = append(order, e.Container)
		}
		if strings.Contains(e.Message, "completed unexpectedly") {
			ci.Exit = e.ExitText
		}
	}
	out := make([]ContainerInfo, 0, len(order))
	for _, k := range order {
		out = append(out, *byID[k])
	}
	return out
}
