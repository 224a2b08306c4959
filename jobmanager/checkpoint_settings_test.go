package jobmanager

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

func TestJobCheckpointingFrom(t *testing.T) {
	cases := []struct {
		name    string
		cfg     map[string]string
		want    *JobCheckpointing
		wantErr string
	}{
		{"off", map[string]string{}, &JobCheckpointing{Config: CheckpointConfig{Timeout: 10 * time.Minute, NumRetained: 1},
			Backend: "hashmap", Retention: NoExternalizedCheckpoints}, ""},
		{"off ignores a missing dir", map[string]string{conf.CheckpointingInterval: "0"},
			&JobCheckpointing{Config: CheckpointConfig{Timeout: 10 * time.Minute, NumRetained: 1},
				Backend: "hashmap", Retention: NoExternalizedCheckpoints}, ""},
		{"off keeps the backend", map[string]string{conf.StateBackendType: "pebble"},
			&JobCheckpointing{Config: CheckpointConfig{Timeout: 10 * time.Minute, NumRetained: 1},
				Backend: "pebble", Retention: NoExternalizedCheckpoints}, ""},
		{"defaults", map[string]string{conf.CheckpointingInterval: "1s", conf.CheckpointsDir: "hdfs://nn:8020/ck"},
			&JobCheckpointing{Config: CheckpointConfig{Interval: time.Second, Timeout: 10 * time.Minute, NumRetained: 1},
				Dir: "hdfs://nn:8020/ck", Backend: "hashmap", Retention: NoExternalizedCheckpoints}, ""},
		{"everything", map[string]string{conf.CheckpointingInterval: "2s", conf.CheckpointsDir: "/ck", conf.CheckpointingMode: "at_least_once",
			conf.CheckpointingTimeout: "1 min", conf.CheckpointingMinPause: "500ms", conf.CheckpointingTolerable: "2",
			conf.CheckpointsNumRetained: "3", conf.CheckpointingIncremental: "true", conf.StateBackendType: "Pebble",
			conf.CheckpointRetention: "retain_on_cancellation"},
			&JobCheckpointing{Config: CheckpointConfig{Interval: 2 * time.Second, Mode: AtLeastOnce, Timeout: time.Minute,
				MinPause: 500 * time.Millisecond, TolerableFailures: 2, NumRetained: 3, Incremental: true},
				Dir: "/ck", Backend: "pebble", Retention: RetainOnCancellation}, ""},
		{"no dir", map[string]string{conf.CheckpointingInterval: "1s"}, nil, "state.checkpoints.dir is not"},
		{"rocksdb names pebble", map[string]string{conf.StateBackendType: "rocksdb"}, nil, "use pebble"},
		{"unknown backend", map[string]string{conf.StateBackendType: "memory"}, nil, "want hashmap or pebble"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JobCheckpointingFrom(mapLookup(tc.cfg))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCheckpointRetentionOnJobEnd pins Flink's discard table.
func TestCheckpointRetentionOnJobEnd(t *testing.T) {
	ends := []api.JobState{api.JobFinished, api.JobCanceled, api.JobFailed, api.JobRestarting}
	want := map[CheckpointRetention][]bool{
		NoExternalizedCheckpoints: {true, true, true, false},
		DeleteOnCancellation:      {true, true, false, false},
		RetainOnCancellation:      {false, false, false, false},
		"":                        {true, true, true, false},
	}
	for r, w := range want {
		for i, s := range ends {
			if got := r.discardOn(s); got != w[i] {
				t.Errorf("%q on %s: discard %v, want %v", r, s, got, w[i])
			}
		}
	}
}

func TestKeyGroupsOfMatchesFlink(t *testing.T) {
	// Flink's KeyGroupRangeAssignment for maxP 128, p 3: 0-42, 43-85, 86-127.
	want := []KeyGroupRange{{0, 43}, {43, 86}, {86, 128}}
	for i, w := range want {
		if got := keyGroupsOf(128, 3, i); got != w {
			t.Errorf("subtask %d: %v, want %v", i, got, w)
		}
	}
}

func TestSubmissionConfig(t *testing.T) {
	cfg := conf.New()
	if m, err := SubmissionConfig(cfg); err != nil || m != nil {
		t.Fatalf("nothing set: %v %v", m, err)
	}
	if err := cfg.Set(conf.CheckpointingInterval, "5 s"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set(conf.StateBackendType, "pebble"); err != nil {
		t.Fatal(err)
	}
	m, err := SubmissionConfig(cfg)
	if err != nil || len(m) != 2 || m[conf.CheckpointingInterval] != "5 s" || m[conf.StateBackendType] != "pebble" {
		t.Fatalf("got %v %v", m, err)
	}
	if err := cfg.Set(conf.StateBackendType, "rocksdb"); err != nil {
		t.Fatal(err)
	}
	if _, err := SubmissionConfig(cfg); err == nil || !strings.Contains(err.Error(), "pebble") {
		t.Fatalf("rocksdb: %v", err)
	}
}
