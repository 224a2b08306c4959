package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/urfave/cli/v2"
)

// parseFloeRun parses `floe run args…` as main does, up to what the
// command would run: the effective configuration and target, no job.
func parseFloeRun(t *testing.T, confText string, args ...string) (r runSpec, stdout, stderr string, err error) {
	t.Helper()
	dir := t.TempDir()
	// No YARN properties file: the target comes from the flags alone.
	text := "yarn.properties-file.location: " + filepath.Join(dir, "props") + "\n" + confText
	if err := os.WriteFile(filepath.Join(dir, contract.FileConf), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(contract.EnvConfDir, dir)
	t.Setenv(contract.EnvHadoopUserName, "floe-test")
	var out, errOut bytes.Buffer
	cmd := runCommand()
	cmd.Action = func(c *cli.Context) error {
		r, err = parseRun(c)
		return err
	}
	app := &cli.App{Name: "floe", Writer: &out, ErrWriter: &errOut, Commands: []*cli.Command{cmd}}
	oneLineUsageErrors(app)
	err = app.Run(normalizeArgs(append([]string{"floe", "run"}, args...)))
	return r, out.String(), errOut.String(), err
}

func TestRunFlinkFlags(t *testing.T) {
	tests := []struct {
		name     string
		conf     string
		args     []string
		target   string
		check    func(t *testing.T, r runSpec)
		stderr   []string // each line present exactly once
		noStderr bool
		err      error
	}{
		{name: "Flink's documented per-job form", args: []string{"-m", "yarn-cluster", "-p", "4", "-c", "com.example.MyJob", "./myjob.jar", "in"},
			target: targetYarnPerJob,
			check: func(t *testing.T, r runSpec) {
				if r.parallelism != 4 || r.bin != "./myjob.jar" || !slices.Equal(r.args, []string{"in"}) {
					t.Errorf("parallelism %d, bin %q, args %q", r.parallelism, r.bin, r.args)
				}
			},
			stderr: []string{"floe: warning: -c com.example.MyJob ignored: a Floe job is its binary, which has no entry class to choose"}},
		{name: "--class is -c", args: []string{"--class", "a.B", "job"}, target: "local",
			stderr: []string{"floe: warning: -c a.B ignored"}},
		{name: "-m yarn-cluster -yid is that session", args: []string{"-m", "yarn-cluster", "-yid", "application_1_0001", "job"},
			target: targetYarnSession,
			check:  wantString(conf.YarnApplicationID, "application_1_0001")},
		{name: "-m host:port is remote", args: []string{"-m", "jm.example.com:8081", "job"}, target: "remote", noStderr: true},
		{name: "-t wins over -m", args: []string{"-t", "yarn-application", "-m", "yarn-cluster", "job"}, target: targetYarnApplication},
		{name: "no target is local", args: []string{"job"}, target: "local", noStderr: true},
		{name: "-yjm in MB, -ytm with a unit", args: []string{"-m", "yarn-cluster", "-yjm", "1024", "-ytm", "2g", "job"}, target: targetYarnPerJob,
			check: func(t *testing.T, r runSpec) {
				if jm, tm := r.cfg.Memory(conf.JobManagerProcessSize), r.cfg.Memory(conf.TaskManagerProcessSize); jm != 1024*conf.MiB || tm != 2*conf.GiB {
					t.Errorf("jm %v, tm %v; want 1g (1024 MB), 2g", jm, tm)
				}
			}},
		{name: "-ys", args: []string{"-ys", "3", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if n := r.cfg.Int(conf.TaskManagerSlots); n != 3 {
					t.Errorf("slots = %d", n)
				}
			}},
		{name: "-ynm", args: []string{"-ynm", "my app", "job"}, target: "local", check: wantString(conf.YarnApplicationName, "my app")},
		{name: "-yqu", args: []string{"-yqu", "prod", "job"}, target: "local", check: wantString(conf.YarnApplicationQueue, "prod")},
		{name: "-yat", args: []string{"-yat", "Streaming", "job"}, target: "local", check: wantString(conf.YarnApplicationType, "Streaming")},
		{name: "-yD spaced and glued", args: []string{"-yD", "yarn.tags=a,b", "-yDrest.port=9000", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if r.cfg.String(conf.YarnTags) != "a,b" || r.cfg.Int(conf.RestPort) != 9000 {
					t.Errorf("tags %q, rest.port %d", r.cfg.String(conf.YarnTags), r.cfg.Int(conf.RestPort))
				}
			}},
		{name: "-D wins over the Flink flags", args: []string{"-yjm", "1024", "-Djobmanager.memory.process.size=2g", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if m := r.cfg.Memory(conf.JobManagerProcessSize); m != 2*conf.GiB {
					t.Errorf("jm = %v", m)
				}
			}},
		{name: "-yd is detached", args: []string{"-yd", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if !r.detached {
					t.Error("not detached")
				}
			}},
		{name: "-d is detached", args: []string{"-d", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if !r.detached {
					t.Error("not detached")
				}
			}},
		{name: "-yt maps to yarn.ship-files", args: []string{"-yt", "/opt/a", "-yt", "/opt/b", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if l := r.cfg.List(conf.YarnShipFiles); !slices.Equal(l, []string{"/opt/a", "/opt/b"}) {
					t.Errorf("ship files = %q", l)
				}
			}},
		{name: "-sae is accepted with a note", args: []string{"-sae", "job"}, target: "local",
			stderr: []string{"floe: note: -sae: an interrupted attached `floe run` always cancels its job"}},
		{name: "--shutdownOnAttachedExit", args: []string{"--shutdownOnAttachedExit", "job"}, target: "local", stderr: []string{"floe: note: -sae"}},
		{name: "-n maps to execution.savepoint.ignore-unclaimed-state", args: []string{"-n", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if !r.cfg.Bool(conf.SavepointIgnoreUnclaimed) {
					t.Error("ignore-unclaimed-state not set")
				}
			}},
		{name: "--allowNonRestoredState", args: []string{"--allowNonRestoredState", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if !r.cfg.Bool(conf.SavepointIgnoreUnclaimed) {
					t.Error("ignore-unclaimed-state not set")
				}
			}},
		{name: "-s maps to execution.savepoint.path", args: []string{"-s", "hdfs:///sp/1", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if p := r.cfg.String(conf.SavepointPath); p != "hdfs:///sp/1" {
					t.Errorf("savepoint path %q", p)
				}
			}},
		{name: "--fromSavepoint", args: []string{"--fromSavepoint", "hdfs:///sp/1", "job"}, target: "local",
			check: func(t *testing.T, r runSpec) {
				if p := r.cfg.String(conf.SavepointPath); p != "hdfs:///sp/1" {
					t.Errorf("savepoint path %q", p)
				}
			}},
		{name: "-D Flink key warns", args: []string{"-Dpipeline.name=wc", "job"}, target: "local",
			stderr: []string{"floe: warning: Flink option not supported by Floe, ignored: pipeline.name (-D)"}},
		{name: "-D typo is an error", args: []string{"-Dpipline.name=wc", "job"}, err: conf.ErrUnknownOption},
		{name: "yaml Flink key warns", conf: "pipeline.name: wc\n", args: []string{"job"}, target: "local",
			stderr: []string{"floe: warning: Flink option not supported by Floe, ignored: pipeline.name ("}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _, stderr, err := parseFloeRun(t, tc.conf, tc.args...)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line matching %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.target != tc.target {
				t.Errorf("target = %q, want %q", r.target, tc.target)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			for _, w := range tc.stderr {
				if n := strings.Count(stderr, w); n != 1 {
					t.Errorf("stderr has %q %d times, want once:\n%s", w, n, stderr)
				}
			}
			if tc.noStderr && stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func wantString(key, want string) func(*testing.T, runSpec) {
	return func(t *testing.T, r runSpec) {
		t.Helper()
		if got := r.cfg.String(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

// TestRunYarnClusterBeatsPropertiesFile: with a YARN properties file
// (a detached session) plain `floe run` goes to that session, as Flink's
// does, but -m yarn-cluster is still a per-job cluster.
func TestRunYarnClusterBeatsPropertiesFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		target string
	}{
		{"no -m: the session", []string{"job"}, targetYarnSession},
		{"-m yarn-cluster: per-job", []string{"-m", "yarn-cluster", "job"}, targetYarnPerJob},
		{"-m host:port: remote", []string{"-m", "127.0.0.1:8081", "job"}, "remote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := t.TempDir()
			t.Setenv(contract.EnvHadoopUserName, "floe-test")
			if err := os.WriteFile(filepath.Join(props, ".yarn-properties-floe-test"), []byte("applicationID=application_1_0001\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r, _, _, err := parseFloeRun(t, "", append([]string{"-Dyarn.properties-file.location=" + props}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if r.target != tc.target {
				t.Errorf("target = %q, want %q", r.target, tc.target)
			}
		})
	}
}

// TestUnknownFlagOneLine: an unknown flag is one line naming it and the
// nearest known flag, without urfave/cli's help dump.
func TestUnknownFlagOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"typo of a Flink flag", []string{"-yjmx", "1", "job"}, "run: unknown flag -yjmx; did you mean -yjm? (`floe run --help` lists the flags)"},
		{"typo of a long flag", []string{"--paralelism", "2", "job"}, "run: unknown flag -paralelism; did you mean --parallelism?"},
		{"nothing near", []string{"--zzzzzzzz", "job"}, "run: unknown flag -zzzzzzzz (`floe run --help` lists the flags)"},
		{"bad value", []string{"-p", "many", "job"}, `run: invalid value "many" for flag -p`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stdout, stderr, err := parseFloeRun(t, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line with %q", err, tc.want)
			}
			if stdout != "" || stderr != "" {
				t.Errorf("printed more than the error:\nstdout %q\nstderr %q", stdout, stderr)
			}
		})
	}
}

// TestConfigShowsFlinkKeys: `floe config` marks Flink's options that Floe
// ignores, from the file and -D, and warns once for each.
func TestConfigShowsFlinkKeys(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, contract.FileConf), []byte("pipeline.name: wc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	setEnv(t, dir, "")
	out, errOut, err := runFloe(t, "config", "-Dstate.backend.rocksdb.memory.fixed-per-slot=128mb")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pipeline.name", "state.backend.rocksdb.memory.fixed-per-slot"} {
		if f := row(t, out, key); !strings.Contains(strings.Join(f, " "), "(Flink option not supported by Floe, ignored)") {
			t.Errorf("row %q", f)
		}
		if n := strings.Count(errOut, "floe: warning: Flink option not supported by Floe, ignored: "+key+" ("); n != 1 {
			t.Errorf("%d warnings for %s:\n%s", n, key, errOut)
		}
	}
}
