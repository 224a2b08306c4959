package conf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/contract"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, contract.FileConf), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func noEnv(string) string { return "" }

func TestLoadYAML(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		check func(t *testing.T, c *Config, file string)
	}{
		{
			name: "flat flink-conf style",
			text: "# comment\nyarn.application.queue: prod\ntaskmanager.numberOfTaskSlots: 4\nresourcemanager.taskmanager-timeout: 1 min\n",
			check: func(t *testing.T, c *Config, file string) {
				if c.String(YarnApplicationQueue) != "prod" || c.Int(TaskManagerSlots) != 4 || c.Duration(TaskManagerTimeout) != time.Minute {
					t.Fatalf("values: %q %d %v", c.String(YarnApplicationQueue), c.Int(TaskManagerSlots), c.Duration(TaskManagerTimeout))
				}
				src, _ := c.Source(TaskManagerSlots)
				if src.String() != file+":3" {
					t.Fatalf("source = %q, want %s:3", src, file)
				}
			},
		},
		{
			name: "nested config.yaml style",
			text: "yarn:\n  application:\n    queue: nested\n  ship-files:\n    - a.txt\n    - b.txt\ntaskmanager:\n  memory:\n    process.size: 1g\n",
			check: func(t *testing.T, c *Config, file string) {
				if c.String(YarnApplicationQueue) != "nested" {
					t.Fatalf("queue = %q", c.String(YarnApplicationQueue))
				}
				if got := strings.Join(c.List(YarnShipFiles), ","); got != "a.txt,b.txt" {
					t.Fatalf("ship-files = %q", got)
				}
				if c.Memory(TaskManagerProcessSize) != GiB {
					t.Fatalf("tm memory = %v", c.Memory(TaskManagerProcessSize))
				}
				src, _ := c.Source(TaskManagerProcessSize)
				if src.Line != 9 {
					t.Fatalf("line = %d, want 9", src.Line)
				}
			},
		},
		{
			name: "unknown keys are kept, not fatal",
			text: "env.java.opts: -Xmx1g\nparallelism.default: 3\n",
			check: func(t *testing.T, c *Config, file string) {
				u := c.Unknown()
				if len(u) != 1 || u[0].Option.Key != "env.java.opts" || u[0].Value != "-Xmx1g" || u[0].Source.Line != 1 {
					t.Fatalf("unknown = %+v", u)
				}
				if c.Int(ParallelismDefault) != 3 {
					t.Fatal("parallelism not read")
				}
			},
		},
		{
			name:  "empty file",
			text:  "",
			check: func(t *testing.T, c *Config, file string) {},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeConf(t, tc.text)
			c, err := Load(LoadOptions{Dir: dir, Getenv: noEnv})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c, filepath.Join(dir, contract.FileConf))
		})
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		sentinel error
		want     []string // substrings of the one-line error
	}{
		{"bad indentation", "yarn.application.queue: a\n  bad: : x\n", ErrSyntax, []string{contract.FileConf + ":2:", "fix the YAML"}},
		{"tab indentation", "a: 1\n\tb: 2\n", ErrSyntax, []string{contract.FileConf + ":2:"}},
		{"not a map", "just text\n", ErrSyntax, []string{contract.FileConf + ":1:", "expected \"key: value\""}},
		{"duplicate flat and nested", "rest.port: 1\nrest:\n  port: 2\n", ErrSyntax, []string{contract.FileConf + ":3:", "already set on line 1"}},
		{"bad value", "parallelism.default: many\n", ErrInvalidValue, []string{contract.FileConf + ":1:", "parallelism.default", `"many"`, "e.g. 4"}},
		{"bad memory", "x: 1\njobmanager.memory.process.size: 12q\n", ErrInvalidValue, []string{contract.FileConf + ":2:", `"256m"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeConf(t, tc.text)
			_, err := Load(LoadOptions{Dir: dir, Getenv: noEnv})
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoadDynamic(t *testing.T) {
	dir := writeConf(t, "yarn.application.queue: fromfile\nrest.port: 9000\n")
	env := func(k string) string {
		if k == contract.EnvConfDir {
			return dir
		}
		return ""
	}
	c, err := Load(LoadOptions{Getenv: env, Dynamic: []string{"yarn.application.queue=fromD", "heartbeat.timeout=2 min", "yarn.application.queue=last"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(YarnApplicationQueue); got != "last" {
		t.Errorf("queue = %q, want last (-D overrides file, later -D wins)", got)
	}
	if src, _ := c.Source(YarnApplicationQueue); src.Kind != SourceDynamic || src.String() != "-D" {
		t.Errorf("source = %v", src)
	}
	if c.Int(RestPort) != 9000 {
		t.Errorf("rest.port = %d", c.Int(RestPort))
	}
	if c.Duration(HeartbeatTimeout) != 2*time.Minute {
		t.Errorf("heartbeat.timeout = %v", c.Duration(HeartbeatTimeout))
	}
	if src, _ := c.Source(ParallelismDefault); src.String() != "default" {
		t.Errorf("parallelism source = %v", src)
	}
	m := string(c.Marshal())
	for _, w := range []string{`yarn.application.queue: "last"`, `rest.port: "9000"`, `heartbeat.timeout: "2 min"`} {
		if !strings.Contains(m, w) {
			t.Errorf("Marshal() = %q lacks %q", m, w)
		}
	}
	// What Marshal writes, Load reads back to the same values.
	back, err := Load(LoadOptions{Dir: writeConf(t, m), Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if back.String(YarnApplicationQueue) != "last" || back.Duration(HeartbeatTimeout) != 2*time.Minute {
		t.Error("Marshal/Load round trip lost values")
	}
}

func TestLoadDynamicErrors(t *testing.T) {
	tests := []struct {
		name     string
		dyn      string
		sentinel error
		want     []string
	}{
		{"unknown key with suggestion", "yarn.aplication.name=x", ErrUnknownOption, []string{"-D yarn.aplication.name=x: unknown option", "did you mean yarn.application.name?"}},
		{"unknown key without suggestion", "zzz=1", ErrUnknownOption, []string{"-D zzz=1", "floe config"}},
		{"no equals", "parallelism.default", ErrSyntax, []string{"expected key=value"}},
		{"bad duration", "heartbeat.interval=soon", ErrInvalidValue, []string{"-D heartbeat.interval=soon: invalid value for a duration", `"soon"`, `"30 s"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(LoadOptions{Getenv: noEnv, Dynamic: []string{tc.dyn}})
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Load(LoadOptions{Getenv: func(k string) string {
		if k == contract.EnvConfDir {
			return missing
		}
		return ""
	}})
	if !errors.Is(err, ErrNoConfDir) || !strings.Contains(err.Error(), "FLOE_CONF_DIR="+missing) {
		t.Fatalf("err = %v", err)
	}
	// A folder without floe-conf.yaml means defaults.
	c, err := Load(LoadOptions{Dir: t.TempDir(), Getenv: noEnv})
	if err != nil || c.String(YarnApplicationQueue) != "default" {
		t.Fatalf("empty dir: %v", err)
	}
	// No folder at all means defaults too.
	if _, err := Load(LoadOptions{Getenv: noEnv}); err != nil {
		t.Fatal(err)
	}
}
