package stream

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/rs/zerolog"
)

// TestLocalCheckpointingSources runs an unbounded keyed job locally with
// checkpointing set from each place a user can set it (floe-conf.yaml,
// `floe run -t local -D` through contract.EnvDynamicProperties, the job's
// code) and waits for a completed checkpoint's _metadata in the folder the
// winning setting names: the job's code wins over -D, -D over the file.
func TestLocalCheckpointingSources(t *testing.T) {
	type setup struct {
		file, dynamic, code []string // "key=value"
	}
	cases := []struct {
		name string
		// set returns the settings given the folders "a" and "b".
		set  func(a, b string) setup
		want string // the folder that must hold the checkpoints: "a" or "b"
	}{
		{"floe-conf.yaml", func(a, _ string) setup {
			return setup{file: []string{conf.CheckpointingInterval + "=100 ms", conf.CheckpointsDir + "=" + a}}
		}, "a"},
		{"-D", func(a, _ string) setup {
			return setup{dynamic: []string{conf.CheckpointingInterval + "=100 ms", conf.CheckpointsDir + "=" + a}}
		}, "a"},
		{"-D wins over floe-conf.yaml", func(a, b string) setup {
			return setup{file: []string{conf.CheckpointingInterval + "=100 ms", conf.CheckpointsDir + "=" + a},
				dynamic: []string{conf.CheckpointsDir + "=" + b}}
		}, "b"},
		{"code", func(a, _ string) setup {
			return setup{code: []string{conf.CheckpointingInterval + "=100 ms", conf.CheckpointsDir + "=" + a}}
		}, "a"},
		{"code wins over -D", func(a, b string) setup {
			return setup{dynamic: []string{conf.CheckpointingInterval + "=0", conf.CheckpointsDir + "=" + a},
				code: []string{conf.CheckpointingInterval + "=100 ms", conf.CheckpointsDir + "=" + b}}
		}, "b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dirs := map[string]string{"a": filepath.Join(root, "a"), "b": filepath.Join(root, "b")}
			s := tc.set("file://"+dirs["a"], "file://"+dirs["b"])
			confDir := filepath.Join(root, "conf")
			must(t, os.MkdirAll(confDir, 0o755))
			yaml := conf.CheckpointRetention + ": " + "RETAIN_ON_CANCELLATION\n"
			for _, kv := range s.file {
				k, v, _ := strings.Cut(kv, "=")
				yaml += k + ": " + v + "\n"
			}
			must(t, os.WriteFile(filepath.Join(confDir, "floe-conf.yaml"), []byte(yaml), 0o644))
			t.Setenv(contract.EnvConfDir, confDir)
			t.Setenv(contract.EnvRole, "")
			t.Setenv(contract.EnvDynamicProperties, "")
			if env := contract.DynamicPropertiesEnv(s.dynamic); env != "" {
				t.Setenv(contract.EnvDynamicProperties, strings.TrimPrefix(env, contract.EnvDynamicProperties+"="))
			}

			nop := zerolog.Nop()
			env := NewEnvironment(Options{Parallelism: 2, Logger: &nop})
			for _, kv := range s.code {
				k, v, _ := strings.Cut(kv, "=")
				env.Configure(k, v)
			}
			src := Generate(env, func(i int64) int64 { return i }, GeneratorOptions{RatePerSecond: 2000})
			Reduce(KeyBy(src, func(v int64) int64 { return v % 10 }), func(a, b int64) int64 { return a + b }).Discard()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- env.ExecuteContext(ctx, "local-checkpoints") }()
			testutil.WaitFor(t, time.Minute, "a completed checkpoint under "+tc.want, func() bool {
				m, _ := filepath.Glob(filepath.Join(dirs[tc.want], "*", "chk-*", "_metadata"))
				return len(m) > 0
			})
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled job ended with %v", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("job did not end after cancel")
			}
			other := map[string]string{"a": "b", "b": "a"}[tc.want]
			if m, _ := filepath.Glob(filepath.Join(dirs[other], "*", "chk-*")); len(m) > 0 {
				t.Fatalf("checkpoints under the overridden folder %s: %v", dirs[other], m)
			}
		})
	}
}

// TestConfigureErrors: an option the job's code sets wrongly is a build
// error naming the key, and the rocksdb backend names pebble.
func TestConfigureErrors(t *testing.T) {
	cases := []struct {
		name, key, value string
		want             []string
	}{
		{"unknown key", "execution.checkpointing.intervall", "1 s", []string{"execution.checkpointing.intervall"}},
		{"bad duration", conf.CheckpointingInterval, "soon", []string{conf.CheckpointingInterval, "soon"}},
		{"rocksdb", conf.StateBackendType, "rocksdb", []string{"rocksdb", "pebble"}},
		{"no checkpoint dir", conf.CheckpointingInterval, "1 s", []string{conf.CheckpointsDir}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(contract.EnvRole, "")
			t.Setenv(contract.EnvConfDir, "")
			t.Setenv(contract.EnvDynamicProperties, "")
			nop := zerolog.Nop()
			env := NewEnvironment(Options{Logger: &nop})
			env.Configure(tc.key, tc.value)
			FromSlice(env, []int{1, 2}).Discard()
			err := env.ExecuteContext(context.Background(), "bad-config")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// TestEnableCheckpointingGraphConfig: what the code sets travels in the
// job graph, so a cluster applies it too.
func TestEnableCheckpointingGraphConfig(t *testing.T) {
	env := NewEnvironment(Options{})
	env.EnableCheckpointing(1500*time.Millisecond, AtLeastOnce)
	env.Configure(conf.StateBackendType, "pebble")
	FromSlice(env, []int{1}).Discard()
	g, err := env.JobGraph("cfg")
	must(t, err)
	want := map[string]string{conf.CheckpointingInterval: "1500 ms", conf.CheckpointingMode: "AT_LEAST_ONCE", conf.StateBackendType: "pebble"}
	if len(g.Config) != len(want) {
		t.Fatalf("graph config %v, want %v", g.Config, want)
	}
	for k, v := range want {
		if g.Config[k] != v {
			t.Fatalf("graph config %s = %q, want %q", k, g.Config[k], v)
		}
	}
}

// TestLocalSubmissionWarnings: a local job checkpointing in EXACTLY_ONCE
// mode that reads a socket is warned, naming the source and the guarantee
// it really has (in AT_LEAST_ONCE mode it is not); a job without
// checkpoints that writes the unbounded socket into files is warned that
// its output is at-least-once, naming the file sink.
func TestLocalSubmissionWarnings(t *testing.T) {
	cases := []struct {
		name       string
		checkpoint bool
		mode       CheckpointingMode
		files      bool
		want, not  string
	}{
		{"exactly-once", true, ExactlyOnce, false, "at-most-once", "at-least-once"},
		{"at-least-once", true, AtLeastOnce, false, "", "WARNING"},
		{"files without checkpoints", false, ExactlyOnce, true, "at-least-once", "at-most-once"},
		{"files with checkpoints", true, AtLeastOnce, true, "", "WARNING"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(contract.EnvRole, "")
			t.Setenv(contract.EnvConfDir, "")
			t.Setenv(contract.EnvDynamicProperties, "")
			l, err := net.Listen("tcp", "127.0.0.1:0")
			must(t, err)
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				_, _ = c.Write([]byte("a\nb\n"))
				_ = c.Close()
			}()
			var logs syncBuffer
			log := zerolog.New(&logs).Level(zerolog.WarnLevel)
			env := NewEnvironment(Options{Logger: &log})
			if tc.checkpoint {
				env.EnableCheckpointing(time.Hour, tc.mode)
				env.Configure(conf.CheckpointsDir, "file://"+t.TempDir())
			}
			src := SocketTextStream(env, l.Addr().String())
			out := filepath.Join(t.TempDir(), "out")
			if tc.files {
				WriteText(src, out)
			} else {
				src.Discard()
			}
			must(t, env.ExecuteContext(context.Background(), "socket-job"))
			got := logs.String()
			if tc.not != "" && strings.Contains(got, tc.not) {
				t.Fatalf("logs %q: want no %q", got, tc.not)
			}
			if tc.want == "" {
				return
			}
			if !strings.Contains(got, tc.want) || !strings.Contains(got, "Socket "+l.Addr().String()) {
				t.Fatalf("logs %q: want a warning with %q naming the source", got, tc.want)
			}
			if tc.files && !strings.Contains(got, "TextFile "+out) {
				t.Fatalf("warning %q does not name the file sink", got)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the loggers of several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLocalPrometheusSettings: a job run directly takes Flink's Prometheus
// reporter settings from -D (or the file, or its code) for its local
// cluster; another reporter class is an error naming the one Floe has.
func TestLocalPrometheusSettings(t *testing.T) {
	env := func(dyn ...string) func(string) string {
		return func(k string) string {
			switch k {
			case contract.EnvDynamicProperties:
				return strings.TrimPrefix(contract.DynamicPropertiesEnv(dyn), contract.EnvDynamicProperties+"=")
			case contract.EnvConfDir:
				return t.TempDir()
			}
			return ""
		}
	}
	e := NewEnvironment(Options{})
	if _, _, ports, err := e.localSettings(env()); err != nil || ports != "" {
		t.Fatalf("nothing set: ports %q, %v; want none", ports, err)
	}
	const class = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
	if _, _, ports, err := e.localSettings(env(conf.MetricsPromFactoryClass+"="+class, conf.MetricsPromPort+"=9300-9310")); err != nil || ports != "9300-9310" {
		t.Fatalf("reporter set: ports %q, %v; want 9300-9310", ports, err)
	}
	if _, _, _, err := e.localSettings(env(conf.MetricsPromFactoryClass + "=org.example.JmxReporterFactory")); err == nil || !strings.Contains(err.Error(), class) {
		t.Fatalf("another reporter: %v, want an error naming %s", err, class)
	}
}
