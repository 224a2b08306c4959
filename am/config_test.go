package am

import (
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

func TestRestartStrategy(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		want api.RestartStrategy
		err  bool
	}{
		{"YARN default recovers lost containers", nil, api.RestartStrategy{Type: "fixed-delay", Attempts: 3, DelayMillis: 1000}, false},
		{"default with attempts set", map[string]string{conf.RestartFixedDelayAttempts: "7"},
			api.RestartStrategy{Type: "fixed-delay", Attempts: 7, DelayMillis: 1000}, false},
		{"none", map[string]string{conf.RestartStrategyType: "none"}, api.RestartStrategy{Type: "none"}, false},
		{"fixed-delay uses its options", map[string]string{conf.RestartStrategyType: "fixed-delay", conf.RestartFixedDelayDelay: "5 s"},
			api.RestartStrategy{Type: "fixed-delay", Attempts: 1, DelayMillis: 5000}, false},
		{"checkpointing on: Flink's exponential-delay, unbounded", map[string]string{conf.CheckpointingInterval: "10 s"},
			api.RestartStrategy{Type: "exponential-delay", Attempts: 2147483647, InitialBackoffMillis: 1000, MaxBackoffMillis: 60000,
				BackoffMultiplier: 1.2, ResetBackoffThresholdMillis: 3600000, JitterFactor: 0.1}, false},
		{"checkpointing on, type set: the type wins", map[string]string{conf.CheckpointingInterval: "10 s", conf.RestartStrategyType: "none"},
			api.RestartStrategy{Type: "none"}, false},
		{"unknown", map[string]string{conf.RestartStrategyType: "sometimes"}, api.RestartStrategy{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			for k, v := range tc.set {
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			got, err := RestartStrategy(cfg)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v (err %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestTaskManagerResource(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		want yarnrpc.Resource
	}{
		{"defaults", nil, yarnrpc.Resource{MemoryMB: 256, VCores: 1}},
		{"vcores follow slots", map[string]string{conf.TaskManagerSlots: "4", conf.TaskManagerProcessSize: "1g"}, yarnrpc.Resource{MemoryMB: 1024, VCores: 4}},
		{"explicit vcores", map[string]string{conf.TaskManagerSlots: "4", conf.YarnContainersVcores: "2"}, yarnrpc.Resource{MemoryMB: 256, VCores: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			for k, v := range tc.set {
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			if got := TaskManagerResource(cfg); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestJobResult(t *testing.T) {
	cases := []struct {
		state api.JobState
		want  yarnrpc.FinalStatus
	}{
		{api.JobFinished, yarnrpc.FinalSucceeded}, {api.JobFailed, yarnrpc.FinalFailed}, {api.JobCanceled, yarnrpc.FinalKilled},
	}
	for _, tc := range cases {
		t.Run(string(tc.state), func(t *testing.T) {
			r := JobResult(api.JobStatus{ID: "job-1", Name: "wc", State: tc.state, Cause: "boom"})
			if r.Status != tc.want || r.Diagnostics == "" {
				t.Fatalf("%+v", r)
			}
		})
	}
}
