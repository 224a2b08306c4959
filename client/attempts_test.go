package client

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
)

func TestApplicationAttempts(t *testing.T) {
	cases := []struct {
		name  string
		set   map[string]string
		rmMax int
		want  int
		note  string
	}{
		{name: "default without checkpointing", want: 1},
		{name: "default with checkpointing", set: map[string]string{conf.CheckpointingInterval: "1 s"}, rmMax: 2, want: 2},
		{name: "default with checkpointing, RM allows one", set: map[string]string{conf.CheckpointingInterval: "1 s"}, rmMax: 1, want: 1,
			note: "yarn.application-attempts=2 is above the ResourceManager's yarn.resourcemanager.am.max-attempts=1"},
		{name: "explicit wins over the checkpointing default", set: map[string]string{conf.CheckpointingInterval: "1 s", conf.YarnApplicationAttempts: "1"}, rmMax: 4, want: 1},
		{name: "explicit within the RM's max", set: map[string]string{conf.YarnApplicationAttempts: "3"}, rmMax: 4, want: 3},
		{name: "explicit above the RM's max is capped", set: map[string]string{conf.YarnApplicationAttempts: "5"}, rmMax: 2, want: 2,
			note: "yarn.application-attempts=5 is above the ResourceManager's yarn.resourcemanager.am.max-attempts=2: the application gets 2 ApplicationMaster attempts"},
		{name: "RM max unknown", set: map[string]string{conf.YarnApplicationAttempts: "5"}, want: 5},
		{name: "zero means one", set: map[string]string{conf.YarnApplicationAttempts: "0"}, rmMax: 2, want: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			for k, v := range tc.set {
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			a := ApplicationAttempts(cfg, tc.rmMax)
			if a.N != tc.want {
				t.Errorf("N = %d, want %d", a.N, tc.want)
			}
			if (tc.note == "") != (a.Note == "") || !strings.HasPrefix(a.Note, tc.note) {
				t.Errorf("Note = %q, want prefix %q", a.Note, tc.note)
			}
		})
	}
}

func TestRMMaxAttempts(t *testing.T) {
	if got := RMMaxAttempts(nil); got != 0 {
		t.Errorf("nil Hadoop: %d, want 0", got)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "yarn-site.xml"), []byte("<configuration></configuration>"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := conf.LoadHadoop(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := RMMaxAttempts(h); got != 2 {
		t.Errorf("Hadoop's default: %d, want 2", got)
	}
	h.Set("yarn.resourcemanager.am.max-attempts", "4")
	if got := RMMaxAttempts(h); got != 4 {
		t.Errorf("yarn-site value: %d, want 4", got)
	}
}

// TestDeployWithCheckpointingAsksForTwoAttempts: checkpointing on gives the
// application two AM attempts that keep their containers, the failures
// validity interval, and tells the AM how many attempts there are.
func TestDeployWithCheckpointingAsksForTwoAttempts(t *testing.T) {
	f := newDeployFixture(t, []string{conf.CheckpointingInterval + "=1 s"}, Platform{})
	if _, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModePerJob, JobBinary: f.job, JobGraph: []byte(`{"name":"wc"}`), JobName: "wc"}); err != nil {
		t.Fatal(err)
	}
	sc := f.rm.submitted[0]
	if sc.MaxAttempts != 2 || !sc.KeepContainers || sc.AttemptFailuresValidity != 10*time.Second || sc.AM.Env[contract.EnvAppAttempts] != "2" {
		t.Errorf("attempts %d, keep containers %v, validity %v, %s=%q; want 2, true, 10s, 2", sc.MaxAttempts, sc.KeepContainers,
			sc.AttemptFailuresValidity, contract.EnvAppAttempts, sc.AM.Env[contract.EnvAppAttempts])
	}
}
