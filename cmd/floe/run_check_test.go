package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/hdfsstore"
)

// TestCheckPlannedJob: the last look at a planned job warns about a
// source that cannot replay in EXACTLY_ONCE mode, reads the settings the
// job's code set over the configuration, and refuses a checkpoint folder
// that cannot be reached.
func TestCheckPlannedJob(t *testing.T) {
	ctx := context.Background()
	st, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: conf.HadoopDefaults()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf("hdfs://%s/chk", l.Addr())
	_ = l.Close()
	local := "file://" + t.TempDir()
	planned := func(nonReplayable bool, code map[string]string) []byte {
		lg := &graph.Logical{Name: "job", Config: code}
		src := lg.AddNode(graph.Node{Kind: "source", Name: "Socket localhost:9999", NonReplayable: nonReplayable})
		lg.AddEdge(graph.Edge{From: src, To: lg.AddNode(graph.Node{Kind: "sink", Name: "print"})})
		g, err := graph.Build(lg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := g.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name     string
		dynamic  []string
		graph    []byte
		strict   bool
		wantWarn bool
		wantErr  string
	}{
		{"socket, exactly-once", []string{"execution.checkpointing.interval=1s", "state.checkpoints.dir=" + local}, planned(true, nil), true, true, ""},
		{"socket, at-least-once from the code", []string{"execution.checkpointing.interval=1s", "state.checkpoints.dir=" + local},
			planned(true, map[string]string{conf.CheckpointingMode: "AT_LEAST_ONCE"}), true, false, ""},
		{"no checkpointing", nil, planned(true, nil), true, false, ""},
		{"checkpoint dir down", []string{"execution.checkpointing.interval=1s", "state.checkpoints.dir=" + down}, planned(false, nil), true, false, "cannot be reached"},
		{"code turns checkpointing on", []string{"state.checkpoints.dir=" + down},
			planned(false, map[string]string{conf.CheckpointingInterval: "1 s"}), true, false, "cannot be reached"},
		{"rocksdb from the code", nil, planned(false, map[string]string{conf.StateBackendType: "rocksdb"}), true, false, "pebble"},
		{"rocksdb from the code, session", nil, planned(false, map[string]string{conf.StateBackendType: "rocksdb"}), false, false, ""},
		{"application mode (no graph)", []string{"execution.checkpointing.interval=1s", "state.checkpoints.dir=" + down}, nil, true, false, "cannot be reached"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := conf.Load(conf.LoadOptions{Dynamic: tc.dynamic, Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			var w bytes.Buffer
			err = checkPlannedJob(&w, cfg, st, tc.strict)(ctx, tc.graph)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if warned := strings.Contains(w.String(), "at-most-once"); warned != tc.wantWarn {
				t.Fatalf("warning %q, want one: %v", w.String(), tc.wantWarn)
			}
			if tc.wantWarn && !strings.Contains(w.String(), "Socket localhost:9999") {
				t.Fatalf("warning %q does not name the source", w.String())
			}
		})
	}
}
