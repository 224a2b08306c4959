package integration

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMinicluster checks scripts/minicluster.sh itself against what the
// processes and the ResourceManager's REST API say, never against the
// script's own claims: NodeManager stop/start, and that `stop` leaves no
// Hadoop JVM and no container process behind (including a container orphaned
// by a SIGKILLed NodeManager). It leaves the cluster running.
func TestMinicluster(t *testing.T) {
	c := requireCluster(t)
	state := filepath.Dir(c.ConfDir)
	rmWeb := mcSiteValue(t, filepath.Join(c.ConfDir, "yarn-site.xml"), "yarn.resourcemanager.webapp.address")
	nm1Addr := mcSiteValue(t, filepath.Join(c.ConfDir, "yarn-site.xml"), "yarn.nodemanager.address")
	nm1Port := nm1Addr[strings.LastIndex(nm1Addr, ":")+1:]

	// Whatever happens below, hand the cluster back running.
	t.Cleanup(func() {
		if code, _ := mcStatus(c); code != 0 {
			if out, err := exec.Command(c.Script, "start").CombinedOutput(); err != nil {
				t.Errorf("restarting the cluster after the test: %v\n%s", err, out)
			}
		}
	})

	t.Run("status shows two running NodeManagers", func(t *testing.T) {
		mcWaitNodes(t, c, rmWeb, 2)
	})

	t.Run("stop-nm 1 then start-nm 1", func(t *testing.T) {
		t.Log(strings.TrimSpace(c.Run(t, "stop-nm", "1")))
		code, n := mcStatus(c)
		if n != 1 {
			t.Fatalf("after stop-nm 1: status reports %d running NodeManagers, want 1", n)
		}
		if code != 0 {
			t.Fatalf("after stop-nm 1: status exit %d, want 0 (one NM is enough to be usable)", code)
		}
		ids := mcRunningNodeIDs(t, rmWeb)
		if len(ids) != 1 || strings.HasSuffix(ids[0], ":"+nm1Port) {
			t.Fatalf("RM REST after stop-nm 1: RUNNING nodes %v, want only the NM not on port %s", ids, nm1Port)
		}
		if pids := mcDaemonPIDs(t, state, "nm1"); len(pids) != 0 {
			t.Fatalf("NodeManager 1 process still alive after stop-nm 1: %v", pids)
		}
		t.Log(strings.TrimSpace(c.Run(t, "start-nm", "1")))
		if _, n := mcStatus(c); n != 2 {
			t.Fatalf("after start-nm 1: status reports %d running NodeManagers, want 2", n)
		}
		if ids := mcRunningNodeIDs(t, rmWeb); len(ids) != 2 {
			t.Fatalf("RM REST after start-nm 1: RUNNING nodes %v, want 2", ids)
		}
	})

	t.Run("stop kills daemons and orphaned containers", func(t *testing.T) {
		app := mcSubmitSleepApp(t, rmWeb)
		var orphan mcProc
		mcPoll(t, 120*time.Second, "a container process of "+app, func() bool {
			for _, p := range mcContainerProcs(t, state) {
				if strings.Contains(p.env["CONTAINER_ID"], strings.TrimPrefix(app, "application_")) &&
					strings.Contains(p.cmdline, "sleep") {
					orphan = p
					return true
				}
			}
			return false
		})
		nm := map[string]string{"18041": "1", "18051": "2"}[orphan.env["NM_PORT"]]
		if nm == "" {
			t.Fatalf("container %d has NM_PORT %q, not one of the cluster's NodeManagers", orphan.pid, orphan.env["NM_PORT"])
		}
		if orphan.env["HADOOP_CONF_DIR"] != c.ConfDir {
			t.Errorf("container HADOOP_CONF_DIR = %q, want %q", orphan.env["HADOOP_CONF_DIR"], c.ConfDir)
		}
		// SIGKILL its NodeManager: the container (own session) must survive
		// it, so only `stop` can clean it up.
		t.Log(strings.TrimSpace(c.Run(t, "kill-nm", nm)))
		if !mcAlive(orphan.pid) {
			t.Fatalf("container pid %d is gone right after kill-nm %s (it died with its NodeManager, or the RM "+
				"expired the never-registering AM first); the orphan case is not exercised", orphan.pid, nm)
		}

		t.Log(strings.TrimSpace(c.Run(t, "stop")))
		if mcAlive(orphan.pid) {
			t.Errorf("orphaned container pid %d (%s) still alive after stop", orphan.pid, orphan.cmdline)
		}
		if jvms := mcHadoopJVMs(t, state); len(jvms) != 0 {
			t.Errorf("Hadoop JVMs still running after stop: %v", jvms)
		}
		if procs := mcContainerProcs(t, state); len(procs) != 0 {
			t.Errorf("container processes still running after stop: %v", procs)
		}
		code, n := mcStatus(c)
		if code != 3 || n != 0 {
			t.Errorf("status after stop: exit %d with %d NodeManagers, want exit 3 and 0", code, n)
		}
	})

	t.Run("start again", func(t *testing.T) {
		t.Log(strings.TrimSpace(c.Run(t, "start")))
		code, n := mcStatus(c)
		if code != 0 || n != 2 {
			t.Fatalf("status after start: exit %d with %d NodeManagers, want exit 0 and 2", code, n)
		}
		mcWaitNodes(t, c, rmWeb, 2)
		if jvms := mcHadoopJVMs(t, state); len(jvms) != 5 {
			t.Fatalf("after start: %d Hadoop JVMs (%v), want 5", len(jvms), jvms)
		}
	})
}

var mcNMLine = regexp.MustCompile(`(?m)^nodemanagers running: (\d+)$`)

// mcStatus runs `minicluster.sh status` and returns its exit code and the
// number of RUNNING NodeManagers it printed (-1 when it printed none).
func mcStatus(c *Cluster) (code, nms int) {
	out, err := exec.Command(c.Script, "status").CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		return -1, -1
	}
	m := mcNMLine.FindSubmatch(out)
	if m == nil {
		return code, -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return code, n
}

// mcWaitNodes waits (bounded) until both status and the RM REST API report
// want RUNNING NodeManagers.
func mcWaitNodes(t *testing.T, c *Cluster, rmWeb string, want int) {
	t.Helper()
	mcPoll(t, 120*time.Second, fmt.Sprintf("%d RUNNING NodeManagers", want), func() bool {
		code, n := mcStatus(c)
		return code == 0 && n == want && len(mcRunningNodeIDs(t, rmWeb)) == want
	})
}

func mcPoll(t *testing.T, bound time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", bound, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// mcSiteValue reads one property from a Hadoop *-site.xml file.
func mcSiteValue(t *testing.T, file, key string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	var doc struct {
		Props []struct {
			Name  string `xml:"name"`
			Value string `xml:"value"`
		} `xml:"property"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	for _, p := range doc.Props {
		if p.Name == key {
			return p.Value
		}
	}
	t.Fatalf("%s has no %s", file, key)
	return ""
}

// mcRunningNodeIDs asks the RM REST API for the RUNNING nodes; an
// unreachable RM yields none.
func mcRunningNodeIDs(t *testing.T, rmWeb string) []string {
	t.Helper()
	client := http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get("http://" + rmWeb + "/ws/v1/cluster/nodes?states=RUNNING")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body struct {
		Nodes *struct {
			Node []struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"node"`
		} `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode RM nodes: %v", err)
	}
	var ids []string
	if body.Nodes != nil {
		for _, n := range body.Nodes.Node {
			if n.State == "RUNNING" {
				ids = append(ids, n.ID)
			}
		}
	}
	return ids
}

// mcSubmitSleepApp submits, over the RM REST API, an application whose AM
// container only sleeps. It never registers, so the RM expires it after
// yarn.am.liveness-monitor.expiry-interval-ms; the test needs it for seconds.
func mcSubmitSleepApp(t *testing.T, rmWeb string) string {
	t.Helper()
	// Generous: on a loaded 2-core box the RM's first REST submission is slow.
	client := http.Client{Timeout: 90 * time.Second}
	base := "http://" + rmWeb + "/ws/v1/cluster/apps"
	resp, err := client.Post(base+"/new-application?user.name=root", "application/json", nil)
	if err != nil {
		t.Fatalf("new-application: %v", err)
	}
	var newApp struct {
		ID string `json:"application-id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&newApp)
	_ = resp.Body.Close()
	if err != nil || newApp.ID == "" {
		t.Fatalf("new-application: status %s, id %q, err %v", resp.Status, newApp.ID, err)
	}
	sub := map[string]any{
		"application-id":   newApp.ID,
		"application-name": "minicluster-test-sleep",
		"application-type": "FLOE-MC-TEST",
		"queue":            "default",
		"max-app-attempts": 1,
		"resource":         map[string]int{"memory": 64, "vCores": 1},
		"am-container-spec": map[string]any{
			"commands": map[string]string{"command": "sleep 300 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
		},
	}
	payload, _ := json.Marshal(sub)
	resp, err = client.Post(base+"?user.name=root", "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("submit %s: %v", newApp.ID, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit %s: HTTP %s, want 202", newApp.ID, resp.Status)
	}
	return newApp.ID
}

type mcProc struct {
	pid     int
	cmdline string
	env     map[string]string
}

func (p mcProc) String() string { return fmt.Sprintf("%d[%s]", p.pid, p.cmdline) }

// mcProcs lists the live processes with their command lines and
// environments (unreadable ones are skipped).
func mcProcs(t *testing.T) []mcProc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var out []mcProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !mcAlive(pid) {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(cmd) == 0 {
			continue
		}
		p := mcProc{pid: pid, cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")), env: map[string]string{}}
		if envb, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); err == nil {
			for _, kv := range strings.Split(string(envb), "\x00") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					p.env[k] = v
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// mcAlive reports whether pid exists and is not a zombie.
func mcAlive(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(st)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

var mcDaemonClasses = []string{
	"org.apache.hadoop.hdfs.server.namenode.NameNode",
	"org.apache.hadoop.hdfs.server.datanode.DataNode",
	"org.apache.hadoop.yarn.server.resourcemanager.ResourceManager",
	"org.apache.hadoop.yarn.server.nodemanager.NodeManager",
}

// mcHadoopJVMs lists every process running a Hadoop daemon main class of
// the cluster in state (the secure cluster of the TestSecure* tests may
// run beside it, in its own state dir).
func mcHadoopJVMs(t *testing.T, state string) []mcProc {
	t.Helper()
	var out []mcProc
	for _, p := range mcProcs(t) {
		if !strings.Contains(p.cmdline, "-Dfloe.mc.dir="+state+" ") {
			continue
		}
		for _, cls := range mcDaemonClasses {
			if strings.Contains(p.cmdline, " "+cls) {
				p.cmdline = cls
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// mcDaemonPIDs lists the processes of one daemon of the cluster in state.
func mcDaemonPIDs(t *testing.T, state, daemon string) []int {
	t.Helper()
	var pids []int
	for _, p := range mcProcs(t) {
		if strings.Contains(p.cmdline, "-Dfloe.mc.dir="+state+" ") && strings.Contains(p.cmdline, "-Dfloe.mc.daemon="+daemon+" ") {
			pids = append(pids, p.pid)
		}
	}
	return pids
}

// mcContainerProcs lists the processes a NodeManager of the cluster in
// state launched: CONTAINER_ID set and log dirs under the state dir.
func mcContainerProcs(t *testing.T, state string) []mcProc {
	t.Helper()
	var out []mcProc
	for _, p := range mcProcs(t) {
		if p.env["CONTAINER_ID"] != "" && strings.HasPrefix(p.env["LOG_DIRS"], state+"/") {
			out = append(out, p)
		}
	}
	return out
}
