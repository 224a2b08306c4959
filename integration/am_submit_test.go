package integration

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// amEnv is what the AM tests need: the cluster, an RM client and HDFS.
// It submits Floe applications by hand (staging per the YARN contract),
// so that the AM can be tested without the client side.
type amEnv struct {
	c     *Cluster
	ctx   context.Context
	h     *conf.Hadoop
	rm    *yarnrpc.RMClient
	store *hdfsstore.Store
	bins  string
}

var amBuild struct {
	once sync.Once
	dir  string
	err  error
}

// amBinaries builds floe (static, as shipped) and the wordcount job once.
func amBinaries(t *testing.T, root string) string {
	amBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "floe-am-bins-")
		if err != nil {
			amBuild.err = err
			return
		}
		for out, pkg := range map[string]string{"floe": "./cmd/floe", "wordcount": "./examples/wordcount", "testjob": "./jobmanager/testdata/testjob"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				amBuild.err = fmt.Errorf("build %s: %v\n%s", pkg, err, b)
				return
			}
		}
		amBuild.dir = dir
	})
	if amBuild.err != nil {
		t.Fatal(amBuild.err)
	}
	return amBuild.dir
}

func newAMEnv(t *testing.T) *amEnv {
	c := requireCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := yarnrpc.NewRMClient(ctx, yarnrpc.RMClientOptions{Hadoop: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.Close() })
	store, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &amEnv{c: c, ctx: ctx, h: h, rm: rm, store: store, bins: amBinaries(t, c.Root)}
}

// amApp is a submitted application.
type amApp struct {
	id      yarnrpc.ApplicationID
	staging string // fully qualified
	secret  []byte
}

// amSubmission describes an application to submit.
type amSubmission struct {
	mode    string // session | per-job
	job     string // binary name in amBinaries (default wordcount)
	jobArgs []string
	conf    map[string]string
	par     int
}

// planGraph runs the job binary in the plan role.
func (e *amEnv) planGraph(t *testing.T, job string, args []string, par int) []byte {
	t.Helper()
	plan := filepath.Join(t.TempDir(), "job.graph")
	cmd := exec.Command(filepath.Join(e.bins, job), args...)
	cmd.Env = append(os.Environ(), contract.EnvRole+"="+contract.RolePlan, contract.EnvPlanFile+"="+plan)
	if par > 0 {
		cmd.Env = append(cmd.Env, contract.EnvParallelism+"="+strconv.Itoa(par))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	b, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *amEnv) put(t *testing.T, path string, data []byte, perm os.FileMode) hdfsstore.FileInfo {
	t.Helper()
	w, err := e.store.Create(e.ctx, path, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := e.store.Stat(e.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func (e *amEnv) upload(t *testing.T, local, path string) hdfsstore.FileInfo {
	t.Helper()
	if err := e.store.Upload(e.ctx, local, path, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := e.store.Stat(e.ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func localRes(fi hdfsstore.FileInfo) yarnrpc.LocalResource {
	return yarnrpc.LocalResource{URL: fi.Path, Size: fi.Size, Timestamp: fi.ModTimeMillis(), Type: yarnrpc.ResourceFile, Visibility: yarnrpc.VisibilityApplication}
}

// submit stages and submits a Floe application the way the client does.
func (e *amEnv) submit(t *testing.T, s amSubmission) amApp {
	t.Helper()
	id, _, err := e.rm.NewApplication(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	staging := hdfsstore.StagingDir(e.store.User(), id.String())
	qstaging, err := e.store.Qualify(staging)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.amKillIfRunning(t, id)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.store.RemoveAll(ctx, staging)
	})
	secret := make([]byte, 32)
	rand.Read(secret)
	res := map[string]yarnrpc.LocalResource{}
	res["floe"] = localRes(e.upload(t, filepath.Join(e.bins, "floe"), staging+"/floe"))
	cfg := conf.New()
	for k, v := range s.conf {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	// A header line: an empty file cannot be written through hdfsstore
	// (Close reports "replication in progress" for a file without blocks).
	res["floe-conf.yaml"] = localRes(e.put(t, staging+"/floe-conf.yaml", append([]byte("# AM test\n"), cfg.Marshal()...), 0o644))
	e.put(t, staging+"/secret", secret, 0o600)
	env := map[string]string{
		"FLOE_CONF_DIR":            ".",
		"FLOE_YARN_MODE":           s.mode,
		"FLOE_STAGING_DIR":         qstaging,
		contract.EnvHadoopUserName: e.store.User(),
		"FLOE_LOG_LEVEL":           "debug",
	}
	if s.par > 0 {
		env[contract.EnvParallelism] = strconv.Itoa(s.par)
	}
	if s.job == "" {
		s.job = "wordcount"
	}
	if s.mode != "session" {
		job := e.upload(t, filepath.Join(e.bins, s.job), staging+"/job")
		res["job"] = localRes(job)
		env["FLOE_JOB_BINARY"] = job.Path
		args, _ := json.Marshal(s.jobArgs)
		env["FLOE_JOB_ARGS"] = string(args)
	}
	if s.mode == "per-job" {
		res["job.graph"] = localRes(e.put(t, staging+"/job.graph", e.planGraph(t, s.job, s.jobArgs, s.par), 0o644))
	}
	var creds yarnrpc.Credentials
	creds.SetSecret(contract.SecretAlias, secret)
	err = e.rm.Submit(e.ctx, yarnrpc.ApplicationSubmissionContext{
		ID: id, Name: "Floe AM test: " + t.Name(), Type: "Floe", Tags: []string{"floe-am-test"}, MaxAttempts: 1,
		AMResource: yarnrpc.Resource{MemoryMB: 256, VCores: 1},
		AM: yarnrpc.ContainerLaunchContext{
			LocalResources: res, Env: env, Tokens: creds.Marshal(),
			Commands: []string{"./floe jobmanager --yarn 1><LOG_DIR>/jobmanager.out 2><LOG_DIR>/jobmanager.err"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("submitted %s (%s)", id, s.mode)
	return amApp{id: id, staging: qstaging, secret: secret}
}

func (e *amEnv) amKillIfRunning(t *testing.T, id yarnrpc.ApplicationID) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r, err := e.rm.ApplicationReport(ctx, id); err == nil && !r.State.Terminal() {
		if err := e.rm.Kill(ctx, id, "test cleanup"); err != nil {
			t.Errorf("kill %s: %v", id, err)
		}
	}
}

// amWait polls the report until cond holds, failing after bound.
func (e *amEnv) amWait(t *testing.T, id yarnrpc.ApplicationID, bound time.Duration, what string, cond func(r yarnrpc.ApplicationReport) bool) yarnrpc.ApplicationReport {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		r, err := e.rm.ApplicationReport(e.ctx, id)
		if err == nil && cond(r) {
			return r
		}
		if err == nil && r.State.Terminal() {
			t.Fatalf("%s ended %s/%s before %s: %s\n%s", id, r.State, r.FinalStatus, what, r.Diagnostics, e.amLog(id))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %s within %v (last: %+v, %v)\n%s", id, what, bound, r.State, err, e.amLog(id))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// amLog returns the tail of the AM's container logs.
func (e *amEnv) amLog(id yarnrpc.ApplicationID) string {
	state := filepath.Dir(e.c.ConfDir)
	var b strings.Builder
	for _, name := range []string{"jobmanager.err", "jobmanager.log"} {
		matches, _ := filepath.Glob(filepath.Join(state, "data", "nm*", "logs", id.String(), "*_000001", name))
		for _, m := range matches {
			if data, err := os.ReadFile(m); err == nil {
				fmt.Fprintf(&b, "--- %s ---\n%s\n", m, amTail(data, 6000))
			}
		}
	}
	return b.String()
}

// containerLogs returns every log file of an application by container.
func (e *amEnv) containerLogs(id yarnrpc.ApplicationID, name string) map[string]string {
	state := filepath.Dir(e.c.ConfDir)
	matches, _ := filepath.Glob(filepath.Join(state, "data", "nm*", "logs", id.String(), "container_*", name))
	out := map[string]string{}
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil {
			out[filepath.Base(filepath.Dir(m))] = string(data)
		}
	}
	return out
}

// writeInput writes a text with known word counts to HDFS.
func (e *amEnv) writeInput(t *testing.T, dir string, lines int) map[string]int64 {
	t.Helper()
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
	want := map[string]int64{}
	var b strings.Builder
	for i := 0; i < lines; i++ {
		for j := 0; j <= i%len(words); j++ {
			w := words[(i+j)%len(words)]
			b.WriteString(w + " ")
			want[w]++
		}
		b.WriteString("\n")
	}
	e.put(t, dir+"/input.txt", []byte(b.String()), 0o644)
	return want
}

// readCounts reads "word count" lines from the part files of dir.
func (e *amEnv) readCounts(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	parts, err := e.store.List(e.ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, p := range parts {
		if !strings.HasPrefix(filepath.Base(p.Path), "part-") {
			t.Errorf("unexpected file %s in the output", p.Path)
			continue
		}
		r, err := e.store.Open(e.ctx, p.Path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			w, n, _ := strings.Cut(sc.Text(), " ")
			c, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				t.Errorf("bad line %q in %s", sc.Text(), p.Path)
			}
			got[w] += c
		}
		r.Close()
	}
	return got
}

func (e *amEnv) testDir(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	dir := "/user/" + e.store.User() + "/am-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.store.RemoveAll(ctx, dir)
	})
	return dir
}

// client returns a JobManager client for a RUNNING application.
func (e *amEnv) client(t *testing.T, app amApp) (*api.Client, yarnrpc.ApplicationReport) {
	t.Helper()
	r := e.amWait(t, app.id, 2*time.Minute, "RUNNING and registered", func(r yarnrpc.ApplicationReport) bool {
		return r.State == yarnrpc.StateRunning && r.RPCPort > 0
	})
	return api.NewClient(fmt.Sprintf("%s:%d", r.Host, r.RPCPort), app.secret), r
}

// amTail returns the last n bytes of b.
func amTail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
