package integration

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnBadInput: each bad input is a clear error before or at
// submission, and leaves no YARN application (none carries the test's tag)
// and no staging folder behind.
func TestYarnBadInput(t *testing.T) {
	e := newYC(t)
	local := t.TempDir()
	noexec := filepath.Join(local, "noexec")
	b, err := os.ReadFile(e.bins + "/wordcount")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noexec, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// A binary for another architecture: cross-build a tiny program.
	foreign := filepath.Join(local, "foreign")
	src := filepath.Join(local, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main(){}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	arch := "arm64"
	if runtime.GOARCH == "arm64" {
		arch = "amd64"
	}
	ycRun(t, local, []string{"GOOS=linux", "GOARCH=" + arch, "CGO_ENABLED=0", "GO111MODULE=off"}, "go", "build", "-o", foreign, src)
	dir := e.testDir(t)
	emptyLib := dir + "/emptylib"
	if err := e.st.MkdirAll(t.Context(), emptyLib, 0o755); err != nil {
		t.Fatal(err)
	}
	wc := e.bins + "/wordcount"
	in, out := "--input", "--output"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing binary", []string{"run", "-t", "yarn-per-job", filepath.Join(local, "nope"), in, "x", out, "y"}, "does not exist"},
		{"not executable", []string{"run", "-t", "yarn-per-job", noexec, in, "x", out, "y"}, "not executable"},
		{"other architecture", []string{"run", "-t", "yarn-per-job", foreign, in, "x", out, "y"}, "built for linux/" + arch},
		{"unknown queue", []string{"run", "-t", "yarn-per-job", "-Dyarn.application.queue=nosuchqueue", wc, in, "x", out, "y"}, `queue "nosuchqueue" does not exist`},
		{"taskmanager memory above maximum", []string{"run", "-t", "yarn-per-job", "-Dtaskmanager.memory.process.size=64g", wc, in, "x", out, "y"}, "the largest container YARN grants is"},
		{"provided lib dir missing", []string{"run-application", "-t", "yarn-application", "-Dyarn.provided.lib.dirs=" + e.qualify(t, dir+"/nolib"), wc, in, "x", out, "y"}, "does not exist"},
		{"provided lib dir without floe", []string{"run-application", "-t", "yarn-application", "-Dyarn.provided.lib.dirs=" + e.qualify(t, emptyLib), wc, in, "x", out, "y"}, "holds a file named floe"},
		{"session memory above maximum", []string{"yarn-session", "-d", "-jm", "99999", e.props()}, "the largest container YARN grants is"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.stagingApps(t)
			args := append([]string{tc.args[0]}, append([]string{"-Dyarn.tags=" + e.tag}, tc.args[1:]...)...)
			o, err := e.floe(t, 2*time.Minute, "", args...)
			if err == nil {
				t.Fatalf("succeeded; want an error containing %q", tc.want)
			}
			if !strings.Contains(o, tc.want) {
				t.Errorf("error output lacks %q:\n%s", tc.want, o)
			}
			if apps := e.appsTagged(t); len(apps) != 0 {
				t.Errorf("YARN applications left: %v", apps[0].ID)
			}
			for a := range e.stagingApps(t) {
				if !before[a] {
					t.Errorf("staging folder %s left behind", a)
				}
			}
		})
	}
	t.Run("resourcemanager unreachable", func(t *testing.T) {
		conf := t.TempDir()
		site := `<configuration><property><name>yarn.resourcemanager.address</name><value>127.0.0.1:1</value></property>` +
			`<property><name>fs.defaultFS</name><value>file:///</value></property></configuration>`
		for _, f := range []string{"yarn-site.xml", "core-site.xml"} {
			if err := os.WriteFile(filepath.Join(conf, f), []byte(site), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		o, err := e.floeEnv(t, 90*time.Second, "", []string{contract.EnvHadoopConfDir + "=" + conf}, "run", "-t", "yarn-per-job",
			"-Dyarn.staging-directory="+t.TempDir(), wc, in, "x", out, "y")
		if err == nil || strings.Contains(err.Error(), "not done within") {
			t.Fatalf("want a prompt error, got %v", err)
		}
		if !strings.Contains(o, "127.0.0.1:1") {
			t.Errorf("the error does not name the RM address:\n%s", o)
		}
		t.Logf("failed after %s", time.Since(start).Round(time.Millisecond))
	})
}

// noMaximumRM hides YARN's maximum container size from the client (it
// reports none with a new application id), so that a submission the
// client would refuse reaches the ApplicationMaster.
type noMaximumRM struct{ client.RM }

func (r noMaximumRM) NewApplication(ctx context.Context) (yarnrpc.ApplicationID, yarnrpc.Resource, error) {
	id, _, err := r.RM.NewApplication(ctx)
	return id, yarnrpc.Resource{}, err
}

// TestAMTaskManagerTooLarge asks for TaskManager containers larger than
// the cluster's maximum: the AM ends the application FAILED at once with a
// diagnostics line naming the option to lower, and removes the staging
// folder. The client checks this first (TestYarnBadInput), so the
// submission goes through a client whose RM hides the maximum: this is the
// ApplicationMaster's own line of defence.
func TestAMTaskManagerTooLarge(t *testing.T) {
	e := newYC(t)
	cfg := conf.New()
	for k, v := range map[string]string{conf.TaskManagerProcessSize: "64g", conf.YarnTags: e.tag} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := client.NewYarnDescriptor(ctx, client.YarnOptions{Config: cfg, RM: noMaximumRM{e.rm}, Store: e.st, Framework: e.bins + "/floe"})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := d.Deploy(ctx, client.DeploySpec{Mode: contract.ModePerJob, JobBinary: e.bins + "/wordcount",
		JobArgs: []string{"--input", "/nope", "--output", "/nope-out"}})
	if err != nil {
		t.Fatal(err)
	}
	e.killAtEnd(t, dep.App)
	r := e.waitAppEnd(t, dep.App, 2*time.Minute)
	if r.State != yarnrpc.StateFinished || r.FinalStatus != yarnrpc.FinalFailed || !strings.Contains(r.Diagnostics, "taskmanager.memory.process.size") ||
		!strings.Contains(r.Diagnostics, "maximum container size") {
		t.Fatalf("final %s/%s: %s", r.State, r.FinalStatus, r.Diagnostics)
	}
	e.waitStagingGone(t, dep.App, 30*time.Second)
}
