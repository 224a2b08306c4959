package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Cluster is the running minicluster the tests talk to.
type Cluster struct {
	// ConfDir is the HADOOP_CONF_DIR that scripts/minicluster.sh wrote.
	ConfDir string
	// Script is the absolute path of scripts/minicluster.sh.
	Script string
	// Root is the repository root.
	Root string
}

// repoRoot finds the repository root from this file's location.
func repoRoot() string {
	if r := os.Getenv("FLOE_REPO_ROOT"); r != "" {
		return r
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// requireCluster returns the running cluster. When it is not reachable the
// test fails under CI=true and is skipped otherwise: CI must never pass an
// integration test it did not run.
func requireCluster(t testing.TB) *Cluster {
	t.Helper()
	root := repoRoot()
	script := filepath.Join(root, "scripts", "minicluster.sh")
	out, err := exec.Command(script, "status").CombinedOutput()
	if err != nil {
		msg := "minicluster is not running (start it with scripts/minicluster.sh start): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := os.Getenv("HADOOP_CONF_DIR")
	if dir == "" {
		env, err := exec.Command(script, "env").Output()
		if err != nil {
			t.Fatalf("minicluster.sh env: %v", err)
		}
		for _, line := range strings.Split(string(env), "\n") {
			if v, ok := strings.CutPrefix(line, "export HADOOP_CONF_DIR="); ok {
				dir = strings.Trim(v, `"'`)
			}
		}
	}
	if dir == "" {
		t.Fatal("minicluster.sh env printed no HADOOP_CONF_DIR")
	}
	return &Cluster{ConfDir: dir, Script: script, Root: root}
}

// Run runs a minicluster.sh subcommand and fails the test if it fails.
func (c *Cluster) Run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(c.Script, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("minicluster.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
