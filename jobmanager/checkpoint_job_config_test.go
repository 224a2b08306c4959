package jobmanager

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
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
