package integration

import (
	"context"
	"encoding/xml"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
)

// siteValue reads one property straight from a generated *-site.xml, as a
// check independent of conf's loader.
func siteValue(t *testing.T, file, key string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Props []struct {
			Name  string `xml:"name"`
			Value string `xml:"value"`
		} `xml:"property"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Props {
		if p.Name == key {
			return p.Value
		}
	}
	t.Fatalf("%s does not set %s", file, key)
	return ""
}

func dial(t *testing.T, addr string) {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(context.Background(), "tcp", conf.ConnectAddress(addr))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	_ = c.Close() // the dial was the probe
}

func TestConfMinicluster(t *testing.T) {
	c := requireCluster(t)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	yarnSite := filepath.Join(c.ConfDir, "yarn-site.xml")
	coreSite := filepath.Join(c.ConfDir, "core-site.xml")
	checks := []struct {
		name, got, want string
	}{
		{"RM client address", h.RMAddress(""), siteValue(t, yarnSite, conf.KeyRMAddress)},
		{"RM scheduler address", h.RMSchedulerAddress(""), siteValue(t, yarnSite, conf.KeyRMSchedulerAddress)},
		{"RM webapp address", h.RMWebAppAddress(""), siteValue(t, yarnSite, conf.KeyRMWebAppAddress)},
		{"fs.defaultFS", h.DefaultFS(), siteValue(t, coreSite, conf.KeyDefaultFS)},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, generated file says %q", ck.name, ck.got, ck.want)
		}
	}
	// The addresses are where the running daemons listen.
	dial(t, h.RMAddress(""))
	dial(t, h.RMSchedulerAddress(""))
	nn := strings.TrimPrefix(h.DefaultFS(), "hdfs://")
	dial(t, strings.TrimSuffix(nn, "/"))
	dial(t, h.Get(conf.KeyNameNodeHTTP))
	if h.Authentication() != "simple" || h.RMHAIDs() != nil {
		t.Errorf("auth %q, HA ids %q", h.Authentication(), h.RMHAIDs())
	}
	t.Logf("RM %s, scheduler %s, fs.defaultFS %s", h.RMAddress(""), h.RMSchedulerAddress(""), h.DefaultFS())
}

// buildFloe builds the floe binary once per test into a temporary folder.
func buildFloe(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "floe")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/floe")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestConfCLI runs `floe config` as a user would: against the minicluster's
// configuration, and with each bad input, which must fail with a non-zero
// exit and one line naming the cause and the fix.
func TestConfCLI(t *testing.T) {
	c := requireCluster(t)
	bin := buildFloe(t, c.Root)
	floeDir, badFloe := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(floeDir, contract.FileConf), []byte("yarn:\n  application:\n    queue: default\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(badFloe, contract.FileConf), []byte("rest.port: 1\nrest.address: : :\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(env map[string]string, args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), contract.EnvHadoopConfDir+"=", contract.EnvYarnConfDir+"=", contract.EnvConfDir+"=")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}

	out, errOut, code := run(map[string]string{contract.EnvHadoopConfDir: c.ConfDir, contract.EnvConfDir: floeDir}, "config", "-Dparallelism.default=2")
	if code != 0 {
		t.Fatalf("floe config: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"fs.defaultFS", filepath.Join(c.ConfDir, "core-site.xml") + ":",
		"yarn.application.queue", filepath.Join(floeDir, contract.FileConf) + ":3",
		"parallelism.default", "-D",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("floe config output lacks %q:\n%s", want, out)
		}
	}

	missing := filepath.Join(t.TempDir(), "gone")
	bad := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"HADOOP_CONF_DIR points at nothing", map[string]string{contract.EnvHadoopConfDir: missing}, nil, []string{"HADOOP_CONF_DIR=" + missing, "point it at"}},
		{"malformed floe-conf.yaml", map[string]string{contract.EnvConfDir: badFloe}, nil, []string{filepath.Join(badFloe, contract.FileConf) + ":2:", "fix the YAML"}},
		{"unknown -D key", nil, []string{"-Dtaskmanager.numberOfTaskSlot=2"}, []string{"unknown option", "did you mean taskmanager.numberOfTaskSlots?"}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, errOut, code := run(b.env, append([]string{"config"}, b.args...)...)
			if code == 0 {
				t.Fatal("exit code 0")
			}
			msg := strings.TrimSuffix(errOut, "\n")
			if strings.Contains(msg, "\n") {
				t.Fatalf("stderr is not one line: %q", errOut)
			}
			for _, w := range b.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q lacks %q", msg, w)
				}
			}
		})
	}
}
