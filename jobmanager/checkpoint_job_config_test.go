package jobmanager

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/jobmanager/api"
)

func replayGraph(t *testing.T, nonReplayable bool, cfg map[string]string) *graph.JobGraph {
	t.Helper()
	l := &graph.Logical{Name: "socket-job", Config: cfg}
	src := l.AddNode(graph.Node{Kind: "source", Name: "Socket localhost:9999", NonReplayable: nonReplayable})
	snk := l.AddNode(graph.Node{Kind: "sink", Name: "print"})
	l.AddEdge(graph.Edge{From: src, To: snk})
	g, err := graph.Build(l)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestReplayWarning: only an EXACTLY_ONCE checkpointing job with a source
// that cannot replay gets the warning, which names the source and the
// guarantee it really has.
func TestReplayWarning(t *testing.T) {
	on := func(m CheckpointMode) *JobCheckpointing {
		return &JobCheckpointing{Config: CheckpointConfig{Interval: time.Second, Mode: m}, Dir: "hdfs:///chk"}
	}
	cases := []struct {
		name          string
		nonReplayable bool
		ckp           *JobCheckpointing
		want          []string // empty: no warning
	}{
		{"exactly-once socket", true, on(ExactlyOnce), []string{`"socket-job"`, `"Socket localhost:9999"`, "EXACTLY_ONCE", "at-most-once"}},
		{"at-least-once socket", true, on(AtLeastOnce), nil},
		{"no checkpointing", true, nil, nil},
		{"replayable source", false, on(ExactlyOnce), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ReplayWarning(replayGraph(t, tc.nonReplayable, nil), tc.ckp)
			if len(tc.want) == 0 {
				if got != "" {
					t.Fatalf("unexpected warning %q", got)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Fatalf("warning %q does not name %s", got, w)
				}
			}
		})
	}
}

// TestJobConfigLookup: the job's code wins over the configuration, and
// keys it does not set fall through.
func TestJobConfigLookup(t *testing.T) {
	g := replayGraph(t, false, map[string]string{conf.CheckpointingInterval: "2 s", conf.StateBackendType: "pebble"})
	base := map[string]string{conf.CheckpointingInterval: "10 s", conf.CheckpointsDir: "hdfs:///chk"}
	lookup := JobConfigLookup(g, func(k string) (string, bool) { v, ok := base[k]; return v, ok })
	ckp, err := JobCheckpointingFrom(lookup)
	if err != nil {
		t.Fatal(err)
	}
	if ckp.Config.Interval != 2*time.Second || ckp.Backend != "pebble" || ckp.Dir != "hdfs:///chk" {
		t.Fatalf("got interval %v backend %q dir %q; want 2s, pebble, hdfs:///chk", ckp.Config.Interval, ckp.Backend, ckp.Dir)
	}
}

// TestJobConfig: the code's options apply over a copy of the
// configuration, so a job whose code turns checkpointing on gets the
// checkpointing default restart strategy (exponential-delay), explicit
// settings survive, and a bad value from the code names its key.
func TestJobConfig(t *testing.T) {
	cfg, err := conf.Load(conf.LoadOptions{Dynamic: []string{conf.CheckpointsDir + "=hdfs:///chk"}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	fixed := &api.RestartStrategy{Type: api.RestartFixedDelay, Attempts: 3, DelayMillis: 1000}
	cases := []struct {
		name     string
		code     map[string]string
		wantKind string
		wantErr  string
	}{
		{"no code options", nil, api.RestartFixedDelay, ""},
		{"code turns checkpointing on", map[string]string{conf.CheckpointingInterval: "1 s"}, api.RestartExponentialDelay, ""},
		{"bad value from the code", map[string]string{conf.CheckpointingInterval: "soon"}, "", conf.CheckpointingInterval},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jcfg, err := JobConfig(replayGraph(t, false, tc.code), cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r, err := ParseRestartStrategy(jcfg, fixed)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind() != tc.wantKind {
				t.Fatalf("restart strategy %s, want %s", r.Kind(), tc.wantKind)
			}
			if jcfg.String(conf.CheckpointsDir) != "hdfs:///chk" {
				t.Fatalf("the configuration's own setting is lost: %q", jcfg.String(conf.CheckpointsDir))
			}
		})
	}
	if cfg.Duration(conf.CheckpointingInterval) != 0 {
		t.Fatal("JobConfig changed the configuration it was given")
	}
}

// TestRollingCommitWarning: only a job without periodic checkpoints that
// reads an unbounded source into a sink committing as it rolls (the file
// sink) gets the warning, which names the source, the sink, the guarantee
// and the keys to set; SubmissionWarnings lists it.
func TestRollingCommitWarning(t *testing.T) {
	build := func(bounded, fileSink bool) *graph.JobGraph {
		l := &graph.Logical{Name: "events"}
		src := l.AddNode(graph.Node{Kind: "source", Name: "Kafka [events]", Bounded: bounded})
		snk := l.AddNode(graph.Node{Kind: "sink", Name: "TextFile hdfs:///out", CommitsOnRoll: fileSink})
		l.AddEdge(graph.Edge{From: src, To: snk})
		g, err := graph.Build(l)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	off := &JobCheckpointing{Config: CheckpointConfig{Timeout: time.Minute, NumRetained: 1}, Backend: "hashmap"}
	on := &JobCheckpointing{Config: CheckpointConfig{Interval: time.Second}, Dir: "hdfs:///chk"}
	cases := []struct {
		name              string
		bounded, fileSink bool
		ckp               *JobCheckpointing
		want              []string // empty: no warning
	}{
		{"unbounded into files, no checkpoints", false, true, off, []string{`"events"`, `"Kafka [events]"`, `"TextFile hdfs:///out"`,
			"at-least-once", "execution.checkpointing.interval", "state.checkpoints.dir"}},
		{"no settings at all", false, true, nil, []string{"at-least-once"}},
		{"checkpointing", false, true, on, nil},
		{"bounded input", true, true, off, nil},
		{"another sink", false, false, off, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := build(tc.bounded, tc.fileSink)
			got, all := RollingCommitWarning(g, tc.ckp), SubmissionWarnings(g, tc.ckp)
			if len(tc.want) == 0 {
				if got != "" || len(all) != 0 {
					t.Fatalf("unexpected warnings %q", all)
				}
				return
			}
			if len(all) != 1 || all[0] != got {
				t.Fatalf("SubmissionWarnings %q, want [%q]", all, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Fatalf("warning %q does not name %s", got, w)
				}
			}
		})
	}
}
