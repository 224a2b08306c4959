package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// The client half of "Floe on YARN": these tests run bin/floe as a user
// would against the minicluster and check the results on HDFS and YARN.

var ycBuild struct {
	once sync.Once
	dir  string
	err  error
}

// ycBinaries builds floe and the example jobs (static, as shipped) once.
func ycBinaries(t *testing.T, root string) string {
	t.Helper()
	ycBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "floe-yc-bins-")
		if err != nil {
			ycBuild.err = err
			return
		}
		for out, pkg := range map[string]string{"floe": "./cmd/floe", "wordcount": "./examples/wordcount", "clicks": "./examples/clicks",
			"ledger": "./examples/ledger", "windows": "./examples/windows", "rules": "./examples/rules", "testjob": "./jobmanager/testdata/testjob"} {
			cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, out), pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				ycBuild.err = fmt.Errorf("build %s: %v\n%s", pkg, err, b)
				return
			}
		}
		ycBuild.dir = dir
	})
	if ycBuild.err != nil {
		t.Fatal(ycBuild.err)
	}
	return ycBuild.dir
}

// ycEnv is a test's view of the cluster for the client tests.
type ycEnv struct {
	c        *Cluster
	bins     string
	h        *conf.Hadoop
	rm       *yarnrpc.RMClient
	st       *hdfsstore.Store
	user     string
	propsDir string // yarn.properties-file.location of this test
	tag      string // yarn.tags value unique to this test
}

func newYC(t *testing.T) *ycEnv {
	t.Helper()
	c := requireCluster(t)
	e := &ycEnv{c: c, bins: ycBinaries(t, c.Root), propsDir: t.TempDir()}
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.rm = newRMClient(t, h, 30*time.Second)
	st, err := hdfsstore.New(context.Background(), hdfsstore.Options{Hadoop: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st, e.user = st, st.User()
	e.tag = fmt.Sprintf("floe-it-%d", rand.Int63())
	return e
}

// floe runs bin/floe with args (stdin from stdin) within bound and returns
// its combined output and error.
func (e *ycEnv) floe(t *testing.T, bound time.Duration, stdin string, args ...string) (string, error) {
	t.Helper()
	return e.floeEnv(t, bound, stdin, nil, args...)
}

// floeEnv is floe with extra environment variables (last wins).
func (e *ycEnv) floeEnv(t *testing.T, bound time.Duration, stdin string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bins, "floe"), args...)
	cmd.Env = append(append(os.Environ(), contract.EnvHadoopConfDir+"="+e.c.ConfDir, contract.EnvYarnConfDir+"=", contract.EnvConfDir+"="), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("floe %s: not done within %s: %w", strings.Join(args, " "), bound, ctx.Err())
	}
	t.Logf("$ floe %s\n%s", strings.Join(args, " "), out.String())
	return out.String(), err
}

// runDetached runs `floe run -t yarn-per-job -d` with this test's tag and
// args, kills the application at the end of the test, and returns the
// application and the job id the client printed.
func (e *ycEnv) runDetached(t *testing.T, args ...string) (yarnrpc.ApplicationID, string) {
	t.Helper()
	out, err := e.floe(t, 3*time.Minute, "", append([]string{"run", "-t", "yarn-per-job", "-d", "-Dyarn.tags=" + e.tag}, args...)...)
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	m := ycJobRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job id in %q", out)
	}
	return app, m[1]
}

var ycJobRE = regexp.MustCompile(`job (\S+) \(`)

// props is the -D that points a command at this test's properties folder.
func (e *ycEnv) props() string { return "-D" + conf.YarnPropertiesFile + "=" + e.propsDir }

var ycAppRE = regexp.MustCompile(`application_\d+_\d+`)

// appIDIn returns the first application id in out.
func ycAppIDIn(t *testing.T, out string) yarnrpc.ApplicationID {
	t.Helper()
	m := ycAppRE.FindString(out)
	if m == "" {
		t.Fatalf("no application id in the output:\n%s", out)
	}
	id, err := yarnrpc.ParseApplicationID(m)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// killAtEnd kills app when the test ends, if it still runs.
func (e *ycEnv) killAtEnd(t *testing.T, app yarnrpc.ApplicationID) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if r, err := e.rm.ApplicationReport(ctx, app); err == nil && !r.State.Terminal() {
			t.Logf("killing %s left %s by the test", app, r.State)
			_ = e.rm.Kill(ctx, app, "integration test cleanup")
		}
	})
}

// stagingDir is the default staging folder of app.
func (e *ycEnv) stagingDir(app yarnrpc.ApplicationID) string {
	return "/user/" + e.user + "/.floe/" + app.String()
}

func (e *ycEnv) exists(t *testing.T, p string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := e.st.Stat(ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatalf("stat %s: %v", p, err)
	}
	return true
}

// waitAppEnd waits for app to end and returns its final report.
func (e *ycEnv) waitAppEnd(t *testing.T, app yarnrpc.ApplicationID, bound time.Duration) yarnrpc.ApplicationReport {
	t.Helper()
	var rep yarnrpc.ApplicationReport
	waitUntil(t, bound, app.String()+" to end", func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := e.rm.ApplicationReport(ctx, app)
		if err != nil {
			return false, nil
		}
		rep = r
		return r.State.Terminal(), nil
	})
	return rep
}

// waitStagingGone waits until app's staging folder is removed.
func (e *ycEnv) waitStagingGone(t *testing.T, app yarnrpc.ApplicationID, bound time.Duration) {
	t.Helper()
	waitUntil(t, bound, "staging folder of "+app.String()+" to be removed", func() (bool, error) {
		return !e.exists(t, e.stagingDir(app)), nil
	})
}

// testDir is a fresh HDFS folder for this test, removed at the end.
func (e *ycEnv) testDir(t *testing.T) string {
	t.Helper()
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	d := fmt.Sprintf("/user/%s/floe-it/yarn/%s-%d", e.user, name, rand.Int63())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.st.RemoveAll(ctx, d)
	})
	return d
}

// qualify returns hdfs://host:port/p.
func (e *ycEnv) qualify(t *testing.T, p string) string {
	t.Helper()
	q, err := e.st.Qualify(p)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var ycWords = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"}

// writeWords writes a text of lines lines to p on HDFS and returns its
// word counts.
func (e *ycEnv) writeWords(t *testing.T, p string, lines int, seed int64) map[string]int64 {
	t.Helper()
	r := rand.New(rand.NewSource(seed))
	want := map[string]int64{}
	var b strings.Builder
	for i := 0; i < lines; i++ {
		n := 1 + r.Intn(8)
		for j := 0; j < n; j++ {
			w := ycWords[r.Intn(len(ycWords))]
			if j > 0 {
				b.WriteString(" ")
			}
			if r.Intn(5) == 0 {
				b.WriteString(strings.ToUpper(w))
			} else {
				b.WriteString(w)
			}
			want[w]++
		}
		b.WriteString(".\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := e.st.Create(ctx, p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// readCounts reads "word count" lines from every part file under dir.
func (e *ycEnv) readCounts(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, line := range e.readLines(t, dir) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("bad output line %q", line)
		}
		got[f[0]] += n
	}
	return got
}

// readLines returns the lines of every visible part file under dir (names
// starting with "." or "_" are in progress or markers).
func (e *ycEnv) readLines(t *testing.T, dir string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fis, err := e.st.List(ctx, dir)
	if err != nil {
		t.Fatalf("list output %s: %v", dir, err)
	}
	var out []string
	for _, fi := range fis {
		base := path.Base(fi.Path)
		if fi.IsDir || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
			continue
		}
		r, err := e.st.Open(ctx, fi.Path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		_ = r.Close() // read-only
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if l := strings.TrimSpace(line); l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

func ycSameCounts(t *testing.T, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d distinct words, want %d: got %v", len(got), len(want), got)
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("count of %q = %d, want %d", k, got[k], want[k])
		}
	}
}

// appsTagged lists the applications carrying this test's tag.
func (e *ycEnv) appsTagged(t *testing.T) []yarnrpc.ApplicationReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	apps, err := e.rm.Applications(ctx, yarnrpc.ApplicationFilter{Tags: []string{e.tag}})
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

// stagingApps lists the per-application folders under the staging root.
func (e *ycEnv) stagingApps(t *testing.T) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fis, err := e.st.List(ctx, "/user/"+e.user+"/.floe")
	out := map[string]bool{}
	if errors.Is(err, fs.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range fis {
		if b := path.Base(fi.Path); strings.HasPrefix(b, "application_") {
			out[b] = true
		}
	}
	return out
}

// cacheEntries lists the digests in the binary cache.
func (e *ycEnv) cacheEntries(t *testing.T) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]bool{}
	fis, err := e.st.List(ctx, "/user/"+e.user+"/.floe/cache")
	if errors.Is(err, fs.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range fis {
		out[path.Base(fi.Path)] = true
	}
	return out
}

// descriptor is a client.YarnDescriptor on the cluster, for the tests that
// read NodeManager logs.
func (e *ycEnv) descriptor(t *testing.T, dynamic ...string) *client.YarnDescriptor {
	t.Helper()
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: dynamic, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := client.NewYarnDescriptor(context.Background(), client.YarnOptions{Config: cfg, RM: e.rm, Store: e.st, Framework: filepath.Join(e.bins, "floe")})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ycRun runs a command in dir with extra environment and fails the test
// when it fails.
func ycRun(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
}

// jobManager reaches a running application's JobManager through the
// client (the secret from the staging folder).
func (e *ycEnv) jobManager(t *testing.T, app yarnrpc.ApplicationID) *client.ClusterClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cc, err := e.descriptor(t).Retrieve(ctx, app)
	if err != nil {
		t.Fatalf("reach the JobManager of %s: %v\n%s", app, err, e.amLog(app))
	}
	return cc
}

// waitJob polls a job until cond holds (bounded by two minutes).
func (e *ycEnv) waitJob(t *testing.T, cc *client.ClusterClient, id, what string, cond func(client.JobDetails) bool) client.JobDetails {
	t.Helper()
	var j client.JobDetails
	waitUntil(t, 2*time.Minute, "job "+id+" "+what, func() (bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		j, err = cc.Job(ctx, id)
		return err == nil && cond(j), nil
	})
	return j
}

// allRunning reports whether a job and every one of its subtasks run.
func allRunning(j client.JobDetails) bool {
	if j.State != api.JobRunning || len(j.Subtasks) == 0 {
		return false
	}
	for _, s := range j.Subtasks {
		if s.State != api.Running {
			return false
		}
	}
	return true
}

// containerLogs returns one log file of every container of app that ran on
// this host's NodeManagers, by container id.
func (e *ycEnv) containerLogs(app yarnrpc.ApplicationID, name string) map[string]string {
	state := filepath.Dir(e.c.ConfDir)
	matches, _ := filepath.Glob(filepath.Join(state, "data", "nm*", "logs", app.String(), "container_*", name))
	out := map[string]string{}
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil {
			out[filepath.Base(filepath.Dir(m))] = string(data)
		}
	}
	return out
}

// amLog returns the tail of the AM's jobmanager.err and jobmanager.log.
func (e *ycEnv) amLog(app yarnrpc.ApplicationID) string {
	var b strings.Builder
	for _, name := range []string{"jobmanager.err", "jobmanager.log"} {
		for cid, data := range e.containerLogs(app, name) {
			if strings.HasSuffix(cid, "_000001") {
				if len(data) > 6000 {
					data = data[len(data)-6000:]
				}
				fmt.Fprintf(&b, "--- %s/%s ---\n%s\n", cid, name, data)
			}
		}
	}
	return b.String()
}
