package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/urfave/cli/v2"
)

func runFloe(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &cli.App{Name: "floe", Writer: &out, ErrWriter: &errOut, Commands: []*cli.Command{configCommand()}}
	err = app.Run(normalizeArgs(append([]string{"floe"}, args...)))
	return out.String(), errOut.String(), err
}

func setEnv(t *testing.T, floeDir, hadoopDir string) {
	t.Setenv(contract.EnvConfDir, floeDir)
	t.Setenv(contract.EnvHadoopConfDir, hadoopDir)
	t.Setenv(contract.EnvYarnConfDir, "")
}

// row finds the table row of key and returns its fields.
func row(t *testing.T, out, key string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		if len(f) >= 3 && f[0] == key {
			return f
		}
	}
	t.Fatalf("no row for %s in:\n%s", key, out)
	return nil
}

func TestConfigCommand(t *testing.T) {
	floeDir, hadoopDir := t.TempDir(), t.TempDir()
	confFile := filepath.Join(floeDir, contract.FileConf)
	if err := os.WriteFile(confFile, []byte("yarn.application.queue: prod\ntaskmanager:\n  numberOfTaskSlots: 4\nenv.java.opts: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	site := `<configuration>
<property><name>fs.defaultFS</name><value>hdfs://127.0.0.1:9000</value></property>
<property><name>yarn.resourcemanager.hostname</name><value>rmhost</value></property>
</configuration>`
	if err := os.WriteFile(filepath.Join(hadoopDir, "core-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	setEnv(t, floeDir, hadoopDir)
	out, errOut, err := runFloe(t, "config", "-Dparallelism.default=3", "-D", "yarn.tags=a,b")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ key, value, source string }{
		{conf.YarnApplicationQueue, "prod", confFile + ":1"},
		{conf.TaskManagerSlots, "4", confFile + ":3"},
		{conf.ParallelismDefault, "3", "-D"},
		{conf.YarnTags, "a,b", "-D"},
		{conf.JobManagerProcessSize, "256m", "default"},
		{"fs.defaultFS", "hdfs://127.0.0.1:9000", filepath.Join(hadoopDir, "core-site.xml") + ":2"},
		{"yarn.resourcemanager.address", "rmhost:8032", "hadoop default"},
		{"yarn.resourcemanager.scheduler.address", "rmhost:8030", "hadoop default"},
	}
	for _, c := range checks {
		f := row(t, out, c.key)
		if f[1] != c.value || f[2] != c.source {
			t.Errorf("%s: row %q, want value %q source %q", c.key, f, c.value, c.source)
		}
	}
	if !strings.Contains(out, "env.java.opts") || !strings.Contains(errOut, `unknown option "env.java.opts" is ignored`) {
		t.Errorf("unknown file key not reported:\n%s\n%s", out, errOut)
	}
}

func TestConfigCommandErrors(t *testing.T) {
	goodFloe, badFloe, emptyHadoop := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(badFloe, contract.FileConf), []byte("a: 1\nb: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name            string
		floeDir, hadoop string
		args            []string
		sentinel        error
		want            []string
	}{
		{"HADOOP_CONF_DIR points at nothing", goodFloe, missing, nil, conf.ErrNoConfDir, []string{"HADOOP_CONF_DIR=" + missing, "point it at"}},
		{"HADOOP_CONF_DIR without site files", goodFloe, emptyHadoop, nil, conf.ErrNoConfDir, []string{"holds none of"}},
		{"malformed floe-conf.yaml", badFloe, "", nil, conf.ErrSyntax, []string{filepath.Join(badFloe, contract.FileConf) + ":"}},
		{"FLOE_CONF_DIR points at nothing", missing, "", nil, conf.ErrNoConfDir, []string{"FLOE_CONF_DIR=" + missing}},
		{"unknown glued -D key", goodFloe, "", []string{"-Dparallelism.defualt=2"}, conf.ErrUnknownOption, []string{"did you mean parallelism.default?"}}, //nolint:misspell // the misspelt key is the input under test
		{"unknown spaced -D key", goodFloe, "", []string{"-D", "yarn.application.queu=x"}, conf.ErrUnknownOption, []string{"did you mean yarn.application.queue?"}},
		{"bad -D value", goodFloe, "", []string{"-Djobmanager.memory.process.size=big"}, conf.ErrInvalidValue, []string{`"256m"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.floeDir, tc.hadoop)
			_, _, err := runFloe(t, append([]string{"config"}, tc.args...)...)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestConfigShowsWhatRuns: the restart strategy floe config prints is the
// one each kind of cluster applies, not the option's bare default.
func TestConfigShowsWhatRuns(t *testing.T) {
	setEnv(t, t.TempDir(), "")
	for _, tc := range []struct {
		name       string
		args       []string
		yarn, solo string
	}{
		{"defaults", nil, "fixed-delay: 3 restart(s), 1s apart", "none: a failed job fails"},
		{"attempts set", []string{"-D", "restart-strategy.fixed-delay.attempts=5"}, "fixed-delay: 5 restart(s), 1s apart", "none: a failed job fails"},
		{"checkpointing", []string{"-D", "execution.checkpointing.interval=1s"}, "exponential-delay: 1s, growing ×1.2", "exponential-delay: 1s, growing ×1.2"},
		{"explicit none", []string{"-D", "restart-strategy.type=none"}, "none: a failed job fails", "none: a failed job fails"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runFloe(t, append([]string{"config"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			yarn := regexp.MustCompile(`(?m)^YARN \(per-job, session, application\)\s+(.*)$`).FindStringSubmatch(out)
			solo := regexp.MustCompile(`(?m)^standalone \(floe jobmanager, -m host:port\)\s+(.*)$`).FindStringSubmatch(out)
			if yarn == nil || !strings.HasPrefix(yarn[1], tc.yarn) || solo == nil || !strings.HasPrefix(solo[1], tc.solo) {
				t.Fatalf("what runs: YARN %q standalone %q; want %q and %q\n%s", yarn, solo, tc.yarn, tc.solo, out)
			}
		})
	}
}
