package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// fakeRM is an RM whose behaviour tests set with function fields; it
// records the calls.
type fakeRM struct {
	mu        sync.Mutex
	calls     []string
	submitted []yarnrpc.ApplicationSubmissionContext
	killed    []yarnrpc.ApplicationID

	newApp func() (yarnrpc.ApplicationID, yarnrpc.Resource, error)
	submit func(sc yarnrpc.ApplicationSubmissionContext) error
	report func(id yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error)
	queue  func(name string) (yarnrpc.QueueInfo, error)
	nodes  []yarnrpc.NodeReport
}

func (f *fakeRM) record(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeRM) called(c string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range f.calls {
		if x == c {
			return true
		}
	}
	return false
}

var testApp = yarnrpc.ApplicationID{ClusterTimestamp: 1700000000000, ID: 7}

func (f *fakeRM) NewApplication(ctx context.Context) (yarnrpc.ApplicationID, yarnrpc.Resource, error) {
	f.record("NewApplication")
	if f.newApp != nil {
		return f.newApp()
	}
	return testApp, yarnrpc.Resource{MemoryMB: 4096, VCores: 8}, nil
}

func (f *fakeRM) Submit(ctx context.Context, sc yarnrpc.ApplicationSubmissionContext) error {
	f.record("Submit")
	f.mu.Lock()
	f.submitted = append(f.submitted, sc)
	f.mu.Unlock()
	if f.submit != nil {
		return f.submit(sc)
	}
	return nil
}

func (f *fakeRM) ApplicationReport(ctx context.Context, id yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
	f.record("ApplicationReport")
	if f.report != nil {
		return f.report(id)
	}
	return yarnrpc.ApplicationReport{}, yarnrpc.ErrApplicationNotFound
}

func (f *fakeRM) Applications(ctx context.Context, _ yarnrpc.ApplicationFilter) ([]yarnrpc.ApplicationReport, error) {
	return nil, nil
}

func (f *fakeRM) Kill(ctx context.Context, id yarnrpc.ApplicationID, _ string) error {
	f.record("Kill")
	f.mu.Lock()
	f.killed = append(f.killed, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeRM) Nodes(ctx context.Context, _ ...yarnrpc.NodeState) ([]yarnrpc.NodeReport, error) {
	return f.nodes, nil
}

func (f *fakeRM) QueueInfo(ctx context.Context, name string, _ yarnrpc.QueueInfoOptions) (yarnrpc.QueueInfo, error) {
	f.record("QueueInfo")
	if f.queue != nil {
		return f.queue(name)
	}
	return yarnrpc.QueueInfo{Name: name}, nil
}

// deployFixture is a descriptor over a local-disk "HDFS" and a fake RM.
type deployFixture struct {
	rm      *fakeRM
	desc    *YarnDescriptor
	staging string // staging dir root on disk
	job     string // a good job binary
	self    string
	store   *hdfsstore.Store
}

func newDeployFixture(t *testing.T, dyn []string, plat Platform) *deployFixture {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	job := filepath.Join(dir, "job")
	if err := os.WriteFile(job, b, 0o755); err != nil {
		t.Fatal(err)
	}
	stagingBase := filepath.Join(dir, "staging")
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: append([]string{conf.YarnStagingDirectory + "=" + stagingBase}, dyn...), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	st, err := hdfsstore.New(context.Background(), hdfsstore.Options{User: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rm := &fakeRM{}
	if plat == (Platform{}) {
		plat = Platform{OS: "linux", Arch: runtime.GOARCH}
	}
	d, err := NewYarnDescriptor(context.Background(), YarnOptions{Config: cfg, RM: rm, Store: st, Framework: job, Platform: plat, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &deployFixture{rm: rm, desc: d, staging: filepath.Join(stagingBase, contract.StagingRootName), job: job, self: self, store: st}
}

// appDirs lists the per-application folders left under the staging root.
func (f *deployFixture) appDirs(t *testing.T) []string {
	t.Helper()
	es, err := os.ReadDir(f.staging)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), "application_") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestDeployBadInput(t *testing.T) {
	graph := []byte(`{"name":"j"}`)
	emptyLib := t.TempDir()
	cases := []struct {
		name      string
		dyn       []string
		plat      Platform
		spec      func(f *deployFixture) DeploySpec
		setup     func(t *testing.T, f *deployFixture)
		wantErr   string
		wantNoNew bool // NewApplication must not have been called
	}{
		{name: "missing job binary", spec: func(f *deployFixture) DeploySpec {
			return DeploySpec{Mode: contract.ModePerJob, JobBinary: filepath.Join(filepath.Dir(f.job), "nope"), JobGraph: graph}
		}, wantErr: "does not exist", wantNoNew: true},
		{name: "not executable", setup: func(t *testing.T, f *deployFixture) {
			if err := os.Chmod(f.job, 0o644); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "not executable", wantNoNew: true},
		{name: "other architecture", plat: Platform{OS: "linux", Arch: otherArch()}, wantErr: "built for linux/" + runtime.GOARCH, wantNoNew: true},
		{name: "unknown queue", dyn: []string{conf.YarnApplicationQueue + "=nosuch"}, setup: func(t *testing.T, f *deployFixture) {
			f.rm.queue = func(name string) (yarnrpc.QueueInfo, error) {
				return yarnrpc.QueueInfo{}, &yarnrpc.RemoteError{Class: "java.io.IOException", Message: "Unknown queue: " + name}
			}
		}, wantErr: `queue "nosuch" does not exist`, wantNoNew: true},
		{name: "taskmanager memory above maximum", dyn: []string{conf.TaskManagerProcessSize + "=8g"}, setup: func(t *testing.T, f *deployFixture) {
			f.rm.newApp = func() (yarnrpc.ApplicationID, yarnrpc.Resource, error) {
				return testApp, yarnrpc.Resource{MemoryMB: 4096, VCores: 8}, nil
			}
		}, wantErr: "8192 MB but the largest container YARN grants is 4096 MB"},
		{name: "provided lib dir missing", dyn: []string{conf.YarnProvidedLibDirs + "=/definitely/not/here"}, wantErr: "does not exist", wantNoNew: true},
		{name: "provided lib dir without floe", dyn: []string{conf.YarnProvidedLibDirs + "=" + emptyLib}, wantErr: "holds a file named floe", wantNoNew: true},
		{name: "submission rejected", setup: func(t *testing.T, f *deployFixture) {
			f.rm.submit = func(sc yarnrpc.ApplicationSubmissionContext) error {
				return &yarnrpc.SubmitError{App: sc.ID, State: yarnrpc.StateFailed, Diagnostics: "rejected for the test"}
			}
		}, wantErr: "rejected for the test"},
		{name: "plan writes no graph", spec: func(f *deployFixture) DeploySpec {
			return DeploySpec{Mode: contract.ModePerJob, JobBinary: f.job, JobArgs: []string{"-no-graph"}}
		}, wantErr: "no job graph written (does main() call Execute?)", wantNoNew: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newDeployFixture(t, tc.dyn, tc.plat)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			spec := DeploySpec{Mode: contract.ModePerJob, JobBinary: f.job, JobGraph: graph}
			if tc.spec != nil {
				spec = tc.spec(f)
			}
			_, err := f.desc.Deploy(context.Background(), spec)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Deploy error = %v, want it to contain %q", err, tc.wantErr)
			}
			if tc.wantNoNew && f.rm.called("NewApplication") {
				t.Errorf("NewApplication was called; the check must come first")
			}
			if dirs := f.appDirs(t); len(dirs) != 0 {
				t.Errorf("staging folders left behind: %v", dirs)
			}
			if f.rm.called("Submit") && len(f.rm.killed) == 0 {
				t.Errorf("submitted but not killed after the failure")
			}
		})
	}
}

func otherArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

func TestDeployPerJobStagesExactResources(t *testing.T) {
	f := newDeployFixture(t, []string{conf.TaskManagerSlots + "=2", conf.YarnTags + "=a,b", conf.YarnApplicationQueue + "=default"}, Platform{})
	dep, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModePerJob, JobBinary: f.job, JobArgs: []string{"--input", `a "quoted" $x`}, JobGraph: []byte(`{"name":"wc"}`), JobName: "wc", Parallelism: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.rm.submitted) != 1 {
		t.Fatalf("submitted %d times", len(f.rm.submitted))
	}
	sc := f.rm.submitted[0]
	if sc.Name != "Floe per-job: wc" || sc.Queue != "default" || sc.Type != "Floe" || strings.Join(sc.Tags, ",") != "a,b" || sc.MaxAttempts != 1 {
		t.Errorf("submission context = %+v", sc)
	}
	if sc.KeepContainers || sc.AM.Env[contract.EnvAppAttempts] != "1" {
		t.Errorf("one attempt: keep containers %v, %s=%q", sc.KeepContainers, contract.EnvAppAttempts, sc.AM.Env[contract.EnvAppAttempts])
	}
	if sc.AMResource.MemoryMB != 256 || sc.AMResource.VCores != 1 {
		t.Errorf("AM resource = %v", sc.AMResource)
	}
	for _, link := range []string{contract.LinkFramework, contract.LinkJob, contract.FileConf, contract.FileJobGraph} {
		lr, ok := sc.AM.LocalResources[link]
		if !ok {
			t.Errorf("no local resource %q", link)
			continue
		}
		fi, err := f.store.Stat(context.Background(), strings.TrimPrefix(lr.URL, "file://"))
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if lr.Size != fi.Size || lr.Timestamp != fi.ModTimeMillis() {
			t.Errorf("%s: size/timestamp %d/%d, file has %d/%d", link, lr.Size, lr.Timestamp, fi.Size, fi.ModTimeMillis())
		}
		if lr.Visibility != yarnrpc.VisibilityApplication {
			t.Errorf("%s: visibility %v", link, lr.Visibility)
		}
	}
	if _, ok := sc.AM.LocalResources[contract.FileSecret]; ok {
		t.Error("the secret must not be a local resource")
	}
	env := sc.AM.Env
	if env[contract.EnvYarnMode] != "per-job" || env[contract.EnvConfDir] != "." || env[contract.EnvParallelism] != "3" || env[contract.EnvHadoopUserName] != "tester" {
		t.Errorf("env = %v", env)
	}
	// Literal JSON; yarnrpc escapes it for the NodeManager's launch script.
	if want := `["--input","a \"quoted\" $x"]`; env[contract.EnvJobArgs] != want {
		t.Errorf("FLOE_JOB_ARGS = %s, want %s", env[contract.EnvJobArgs], want)
	}
	if len(dep.JobID) != 32 || strings.Trim(dep.JobID, "0123456789abcdef") != "" || env[contract.EnvJobID] != dep.JobID {
		t.Errorf("job id %q, %s = %q; want the same 32 hex digits", dep.JobID, contract.EnvJobID, env[contract.EnvJobID])
	}
	if !strings.HasPrefix(env[contract.EnvStagingDir], "file://") || !strings.HasSuffix(env[contract.EnvStagingDir], testApp.String()) {
		t.Errorf("FLOE_STAGING_DIR = %s", env[contract.EnvStagingDir])
	}
	if sc.AM.Commands[0] != "./floe jobmanager --yarn 1><LOG_DIR>/jobmanager.out 2><LOG_DIR>/jobmanager.err" {
		t.Errorf("command = %q", sc.AM.Commands)
	}
	creds, err := yarnrpc.ReadCredentials(strings.NewReader(string(sc.AM.Tokens)))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := creds.Secret(contract.SecretAlias); !ok || string(s) != string(dep.Secret) || len(dep.Secret) < 32 {
		t.Errorf("credentials secret = %q, deployment secret %q", s, dep.Secret)
	}
	secretPath := filepath.Join(f.staging, testApp.String(), contract.FileSecret)
	fi, err := os.Stat(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret mode %v", fi.Mode().Perm())
	}
	if got, err := f.desc.Staging().ReadSecret(context.Background(), testApp); err != nil || string(got) != string(dep.Secret) {
		t.Errorf("ReadSecret = %q, %v", got, err)
	}
	if dep.Uploaded <= 0 {
		t.Errorf("uploaded %d bytes on a cold cache", dep.Uploaded)
	}
	// The same binaries again: the cache sends only the small files.
	f.rm.newApp = func() (yarnrpc.ApplicationID, yarnrpc.Resource, error) {
		return yarnrpc.ApplicationID{ClusterTimestamp: testApp.ClusterTimestamp, ID: 8}, yarnrpc.Resource{MemoryMB: 4096, VCores: 8}, nil
	}
	dep2, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModePerJob, JobBinary: f.job, JobGraph: []byte(`{"name":"wc"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(dep2.UploadedFiles) != 0 || dep2.Uploaded > 4096 {
		t.Errorf("second deployment uploaded %v (%d bytes); want only the small staging files", dep2.UploadedFiles, dep2.Uploaded)
	}
	if dep2.JobID == dep.JobID {
		t.Errorf("two deployments share the job id %s", dep.JobID)
	}
}

// TestDeployPerJobPlans: without a job graph, Deploy plans the job binary
// itself (once checked) and names the application after the graph.
func TestDeployPerJobPlans(t *testing.T) {
	f := newDeployFixture(t, nil, Platform{})
	var out strings.Builder
	dep, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModePerJob, JobBinary: f.job, Parallelism: 4, PlanOut: &out})
	if err != nil {
		t.Fatal(err)
	}
	if dep.JobName != "planned" || f.rm.submitted[0].Name != "Floe per-job: planned" {
		t.Errorf("job name %q, application name %q", dep.JobName, f.rm.submitted[0].Name)
	}
	g, err := os.ReadFile(filepath.Join(f.staging, testApp.String(), contract.FileJobGraph))
	if err != nil || string(g) != `{"name":"planned","parallelism":"4"}` {
		t.Errorf("staged job graph %q, %v", g, err)
	}
}

func TestDeployProvidedLibDirIsPublicAndNotUploaded(t *testing.T) {
	lib := t.TempDir()
	self, _ := os.Executable()
	b, _ := os.ReadFile(self)
	if err := os.WriteFile(filepath.Join(lib, "floe"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	f := newDeployFixture(t, []string{conf.YarnProvidedLibDirs + "=" + lib}, Platform{})
	dep, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModeApplication, JobBinary: f.job})
	if err != nil {
		t.Fatal(err)
	}
	sc := f.rm.submitted[0]
	lr := sc.AM.LocalResources[contract.LinkFramework]
	if lr.Visibility != yarnrpc.VisibilityPublic || !strings.HasSuffix(lr.URL, lib+"/floe") {
		t.Errorf("framework resource = %+v, want PUBLIC from %s", lr, lib)
	}
	for _, u := range dep.UploadedFiles {
		if strings.HasSuffix(u, "floe") {
			t.Errorf("the framework was uploaded: %v", dep.UploadedFiles)
		}
	}
	if _, ok := sc.AM.LocalResources[contract.FileJobGraph]; ok {
		t.Error("application mode has no job.graph")
	}
	if sc.AM.Env[contract.EnvYarnMode] != "application" {
		t.Errorf("mode env = %q", sc.AM.Env[contract.EnvYarnMode])
	}
}

func TestWaitRunningFailureCleansUp(t *testing.T) {
	f := newDeployFixture(t, nil, Platform{})
	if _, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModeSession}); err != nil {
		t.Fatal(err)
	}
	n := 0
	f.rm.report = func(id yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
		n++
		if n < 3 {
			return yarnrpc.ApplicationReport{ID: id, State: yarnrpc.StateAccepted, Diagnostics: "Queue's AM resource limit exceeded"}, nil
		}
		return yarnrpc.ApplicationReport{ID: id, State: yarnrpc.StateFailed, FinalStatus: yarnrpc.FinalFailed, Diagnostics: "AM container exited with exitCode: 1"}, nil
	}
	var out strings.Builder
	f.desc.opts.Out = &out
	_, err := f.desc.WaitRunning(context.Background(), testApp)
	var ae *ApplicationError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "exitCode: 1") {
		t.Fatalf("WaitRunning error = %v, want an ApplicationError with YARN's diagnostics", err)
	}
	if !strings.Contains(out.String(), "AM resource limit exceeded") {
		t.Errorf("status output %q lacks the ACCEPTED diagnostics", out.String())
	}
	if len(ae.AMLog) == 0 {
		t.Error("no AM log lines (not even why they could not be read)")
	}
	if dirs := f.appDirs(t); len(dirs) != 0 {
		t.Errorf("staging folders left: %v", dirs)
	}
}

func TestWaitRunningInterruptKills(t *testing.T) {
	f := newDeployFixture(t, nil, Platform{})
	if _, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModeSession}); err != nil {
		t.Fatal(err)
	}
	f.rm.report = func(id yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
		return yarnrpc.ApplicationReport{ID: id, State: yarnrpc.StateAccepted}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for !f.rm.called("ApplicationReport") {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := f.desc.WaitRunning(ctx, testApp); err == nil {
		t.Fatal("WaitRunning returned no error after cancel")
	}
	if len(f.rm.killed) != 1 || f.rm.killed[0] != testApp {
		t.Errorf("killed %v, want %v", f.rm.killed, testApp)
	}
	if dirs := f.appDirs(t); len(dirs) != 0 {
		t.Errorf("staging folders left: %v", dirs)
	}
}

func TestSweepRemovesEndedApplications(t *testing.T) {
	f := newDeployFixture(t, nil, Platform{})
	running := yarnrpc.ApplicationID{ClusterTimestamp: 1, ID: 1}
	ended := yarnrpc.ApplicationID{ClusterTimestamp: 1, ID: 2}
	gone := yarnrpc.ApplicationID{ClusterTimestamp: 1, ID: 3}
	for _, a := range []yarnrpc.ApplicationID{running, ended, gone} {
		if err := os.MkdirAll(filepath.Join(f.staging, a.String()), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.rm.report = func(id yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error) {
		switch id {
		case running:
			return yarnrpc.ApplicationReport{ID: id, State: yarnrpc.StateRunning}, nil
		case ended:
			return yarnrpc.ApplicationReport{ID: id, State: yarnrpc.StateKilled}, nil
		}
		return yarnrpc.ApplicationReport{}, yarnrpc.ErrApplicationNotFound
	}
	removed := f.desc.Staging().Sweep(context.Background(), f.rm, zerolog.Nop())
	if len(removed) != 2 {
		t.Errorf("removed %v, want the ended and the unknown application", removed)
	}
	if dirs := f.appDirs(t); len(dirs) != 1 || dirs[0] != running.String() {
		t.Errorf("left %v, want only %v", dirs, running)
	}
}

func TestJoinURI(t *testing.T) {
	cases := []struct {
		name, base, elem, want string
	}{
		{"plain", "/user/a/.floe", "x", "/user/a/.floe/x"},
		{"hdfs", "hdfs://nn:8020/lib", "floe", "hdfs://nn:8020/lib/floe"},
		{"hdfs trailing slash", "hdfs://nn:8020/lib/", "floe", "hdfs://nn:8020/lib/floe"},
		{"authority only", "hdfs://nn:8020", ".floe", "hdfs://nn:8020/.floe"},
		{"default namenode", "hdfs:///lib", "floe", "hdfs:///lib/floe"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := joinURI(tc.base, tc.elem); got != tc.want {
				t.Errorf("joinURI(%q, %q) = %q, want %q", tc.base, tc.elem, got, tc.want)
			}
		})
	}
}

func TestBar(t *testing.T) {
	cases := []struct {
		name        string
		done, total int64
		want        string
	}{
		{"start", 0, 100, "[>         ]   0%"},
		{"half", 50, 100, "[=====>    ]  50%"},
		{"done", 100, 100, "[==========] 100%"},
		{"empty total", 0, 0, "[>         ]   0%"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := bar(tc.done, tc.total, 10); !strings.HasPrefix(got, tc.want) {
				t.Errorf("bar(%d, %d) = %q, want prefix %q", tc.done, tc.total, got, tc.want)
			}
		})
	}
}
