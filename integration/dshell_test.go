package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// TestDShell runs the Go distributed shell (testdata/dshell) as the AM of a
// real YARN application: it asks for 4 containers, 2 pinned to each
// NodeManager, runs a shell command in each (one exits 3) and unregisters
// SUCCEEDED listing the exit statuses, which the test reads back through
// the client API.
func TestDShell(t *testing.T) {
	env := newYarnEnv(t)
	nodes := env.runningNodes(t)
	app := env.submitDShell(t, "dshell", dshellNodeArgs(env, nodes), "-per-node", "2", "-fail-index", "2", "-fail-code", "3")

	env.waitState(t, app, 2*time.Minute, yarnrpc.StateRunning, yarnrpc.StateFinished)
	r := env.waitState(t, app, 3*time.Minute, yarnrpc.StateFinished)
	if r.FinalStatus != yarnrpc.FinalSucceeded {
		t.Fatalf("final status %s, diagnostics %q", r.FinalStatus, r.Diagnostics)
	}
	t.Logf("diagnostics: %s", r.Diagnostics)
	got := parseDShellDiag(t, r.Diagnostics)
	if got.attempt != r.Attempt.String() {
		t.Fatalf("AM decoded attempt %s from its AMRMToken, RM reports %s", got.attempt, r.Attempt)
	}
	if len(got.exits) != 4 {
		t.Fatalf("want 4 container exit statuses in diagnostics, got %d: %q", len(got.exits), r.Diagnostics)
	}
	threes, zeros := 0, 0
	for _, e := range got.exits {
		switch e.code {
		case 3:
			threes++
		case 0:
			zeros++
		}
	}
	if threes != 1 || zeros != 3 {
		t.Fatalf("want exit statuses {0,0,0,3}, diagnostics %q", r.Diagnostics)
	}
	if len(got.nodes) != 2 {
		t.Fatalf("want the 4 containers on 2 distinct nodes, got %v (%q)", got.nodes, r.Diagnostics)
	}
	for n, k := range got.nodes {
		if k != 2 {
			t.Fatalf("node %s ran %d containers, want 2 (%q)", n, k, r.Diagnostics)
		}
	}
}

// yarnEnv is what the YARN tests share: the cluster, its configuration, an
// RM client and an HDFS store.
type yarnEnv struct {
	c      *Cluster
	hadoop *conf.Hadoop
	rm     *yarnrpc.RMClient
	store  *hdfsstore.Store
	ctx    context.Context
}

func newYarnEnv(t *testing.T) *yarnEnv {
	t.Helper()
	c := requireCluster(t)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	rm := newRMClient(t, h, 30*time.Second)
	return &yarnEnv{c: c, hadoop: h, rm: rm, ctx: ctx}
}

func newRMClient(t testing.TB, h *conf.Hadoop, callTimeout time.Duration) *yarnrpc.RMClient {
	t.Helper()
	rm, err := yarnrpc.NewRMClient(context.Background(), yarnrpc.RMClientOptions{
		Hadoop: h, CallTimeout: callTimeout, DialTimeout: 5 * time.Second, Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rm.Close() })
	return rm
}

func testLogger(t testing.TB) zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	}
	return zerolog.Nop()
}

// hdfs opens the HDFS store on first use.
func (e *yarnEnv) hdfs(t *testing.T) *hdfsstore.Store {
	t.Helper()
	if e.store == nil {
		s, err := hdfsstore.New(e.ctx, hdfsstore.Options{Hadoop: e.hadoop, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		e.store = s
	}
	return e.store
}

// runningNodes waits (bounded) for the cluster's 2 NodeManagers.
func (e *yarnEnv) runningNodes(t *testing.T) []yarnrpc.NodeReport {
	t.Helper()
	var nodes []yarnrpc.NodeReport
	var last error
	waitUntil(t, time.Minute, "2 RUNNING NodeManagers", func() (bool, error) {
		nodes, last = e.rm.Nodes(e.ctx, yarnrpc.NodeRunning)
		if last != nil {
			t.Logf("list nodes: %v", last)
		}
		return last == nil && len(nodes) == 2, nil
	})
	return nodes
}

// dshellNodeArgs names the nodes as the scheduler does (host:port when the
// RM includes the port in node names, as the minicluster's two NMs on one
// host need).
func dshellNodeArgs(e *yarnEnv, nodes []yarnrpc.NodeReport) string {
	withPort := strings.EqualFold(e.hadoop.Get("yarn.scheduler.include-port-in-node-name"), "true")
	var parts []string
	for _, n := range nodes {
		name := n.ID.Host
		if withPort {
			name = n.ID.String()
		}
		parts = append(parts, name+"="+n.Rack)
	}
	return "-nodes=" + strings.Join(parts, ",")
}

// buildDShell compiles the AM (static, no cgo) into a temp folder.
func buildDShell(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "dshell")
	cmd := exec.Command("go", "build", "-o", out, "./integration/testdata/dshell")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build dshell: %v\n%s", err, b)
	}
	return out
}

// submitDShell uploads the AM binary to the application's staging folder
// and submits it; the staging folder is removed when the test ends.
func (e *yarnEnv) submitDShell(t *testing.T, name string, args ...string) yarnrpc.ApplicationID {
	t.Helper()
	bin := buildDShell(t)
	store := e.hdfs(t)
	id, maxRes, err := e.rm.NewApplication(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("application %s (max container %s)", id, maxRes)
	staging := client.Staging{Root: client.StagingRoot(conf.New(), store.User())}.Dir(id)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.RemoveAll(ctx, staging); err != nil {
			t.Errorf("remove staging folder %s: %v", staging, err)
		}
	})
	dst := staging + "/dshell"
	if err := store.Upload(e.ctx, bin, dst, nil); err != nil {
		t.Fatal(err)
	}
	st, err := store.Stat(e.ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	url, err := store.Qualify(dst)
	if err != nil {
		t.Fatal(err)
	}
	cmd := "./dshell " + strings.Join(args, " ") + " 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"
	err = e.rm.Submit(e.ctx, yarnrpc.ApplicationSubmissionContext{
		ID:          id,
		Name:        name,
		Type:        "FLOE-TEST",
		Tags:        []string{"floe-yarnrpc-test"},
		MaxAttempts: 1,
		AMResource:  yarnrpc.Resource{MemoryMB: 128, VCores: 1},
		AM: yarnrpc.ContainerLaunchContext{
			LocalResources: map[string]yarnrpc.LocalResource{
				"dshell": {URL: url, Size: st.Size, Timestamp: st.ModTimeMillis(), Type: yarnrpc.ResourceFile, Visibility: yarnrpc.VisibilityApplication},
			},
			Commands: []string{cmd},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.killIfRunning(t, id) })
	return id
}

// killIfRunning leaves no application behind when a test fails early.
func (e *yarnEnv) killIfRunning(t *testing.T, id yarnrpc.ApplicationID) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := e.rm.ApplicationReport(ctx, id)
	if err != nil || r.State.Terminal() {
		return
	}
	if err := e.rm.Kill(ctx, id, "test cleanup"); err != nil {
		t.Errorf("kill %s: %v", id, err)
	}
}

// waitState polls the report until the application is in one of states,
// failing if it ends in another terminal state or the bound passes.
func (e *yarnEnv) waitState(t *testing.T, id yarnrpc.ApplicationID, bound time.Duration, states ...yarnrpc.ApplicationState) yarnrpc.ApplicationReport {
	t.Helper()
	var r yarnrpc.ApplicationReport
	waitUntil(t, bound, fmt.Sprintf("%s in %v", id, states), func() (bool, error) {
		var err error
		if r, err = e.rm.ApplicationReport(e.ctx, id); err != nil {
			if yarnrpc.IsConnectionError(err) { // RM restarting
				return false, nil
			}
			return false, err
		}
		for _, s := range states {
			if r.State == s {
				return true, nil
			}
		}
		if r.State.Terminal() {
			return false, fmt.Errorf("%s ended %s/%s: %s%s", id, r.State, r.FinalStatus, r.Diagnostics, e.amLogs(id))
		}
		return false, nil
	})
	return r
}

// amLogs returns the AM's stderr (for failure messages), when found.
func (e *yarnEnv) amLogs(id yarnrpc.ApplicationID) string {
	state := filepath.Dir(e.c.ConfDir)
	matches, _ := filepath.Glob(filepath.Join(state, "data", "nm*", "logs", id.String(), "*_000001", "stderr"))
	var b strings.Builder
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil {
			fmt.Fprintf(&b, "\n--- %s ---\n%s", m, lastBytes(data, 4000))
		}
	}
	return b.String()
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

type dshellExit struct {
	container yarnrpc.ContainerID
	node      string
	code      int
}

type dshellDiag struct {
	exits        []dshellExit
	nodes        map[string]int
	reregistered int
	attempt      string // as the AM decoded it from its AMRMToken
}

var dshellDiagRE = regexp.MustCompile(`dshell ok: (.*); nodes=(\d+) reregistered=(\d+) attempt=(\S+)$`)

// parseDShellDiag reads "dshell ok: <cid>@<node>=<exit> ...; nodes=N
// reregistered=K attempt=A" (after an RM restart the RM prefixes "Attempt recovered
// after RM restart").
func parseDShellDiag(t *testing.T, diag string) dshellDiag {
	t.Helper()
	m := dshellDiagRE.FindStringSubmatch(strings.TrimSpace(diag))
	if m == nil {
		t.Fatalf("diagnostics not from dshell: %q", diag)
	}
	d := dshellDiag{nodes: map[string]int{}, attempt: m[4]}
	if _, err := fmt.Sscan(m[3], &d.reregistered); err != nil {
		t.Fatalf("diagnostics %q: reregistered: %v", diag, err)
	}
	for _, f := range strings.Fields(m[1]) {
		cid, rest, ok1 := strings.Cut(f, "@")
		node, code, ok2 := strings.Cut(rest, "=")
		id, err := yarnrpc.ParseContainerID(cid)
		var c int
		_, err2 := fmt.Sscan(code, &c)
		if !ok1 || !ok2 || err != nil || err2 != nil {
			t.Fatalf("bad dshell entry %q in %q", f, diag)
		}
		d.exits = append(d.exits, dshellExit{id, node, c})
		d.nodes[node]++
	}
	return d
}

// waitUntil polls cond every 250 ms until it reports done, failing the
// test after bound or at once when cond returns an error. Transient
// trouble is for cond to swallow (and describe through last).
func waitUntil(t testing.TB, bound time.Duration, what string, cond func() (done bool, fatal error)) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not reached within %s", what, bound)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
