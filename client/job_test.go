package client

import (
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
)

func TestGraphName(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"named", `{"name":"wordcount","vertices":[]}`, "wordcount"},
		{"unnamed", `{}`, ""},
		{"garbage", `nope`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := GraphName([]byte(tc.in)); got != tc.want {
				t.Errorf("GraphName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParallelism(t *testing.T) {
	cases := []struct {
		name    string
		flag    int
		set     string // parallelism.default, "" for unset
		want    int
		wantEnv string
	}{
		{"neither", 0, "", 0, ""},
		{"flag", 3, "", 3, "FLOE_PARALLELISM=3"},
		{"config", 0, "5", 5, "FLOE_PARALLELISM=5"},
		{"flag wins", 2, "5", 2, "FLOE_PARALLELISM=2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			if tc.set != "" {
				if err := cfg.Set(conf.ParallelismDefault, tc.set); err != nil {
					t.Fatal(err)
				}
			}
			p := Parallelism(cfg, tc.flag)
			env := Job{Parallelism: p}.Env()
			if p != tc.want || (tc.wantEnv == "") != (len(env) == 0) || (len(env) == 1 && env[0] != tc.wantEnv) {
				t.Errorf("Parallelism = %d, env %v; want %d, %q", p, env, tc.want, tc.wantEnv)
			}
		})
	}
}

func TestNewJobID(t *testing.T) {
	a, err := NewJobID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewJobID()
	for _, id := range []string{a, b} {
		if len(id) != 32 {
			t.Errorf("job id %q: want 32 hex digits", id)
		}
	}
	if a == b {
		t.Errorf("two job ids are equal: %s", a)
	}
}

// TestNewJobPipeline: the job-level options set in the configuration (not
// those left at their defaults, nor other keys) reach the job binary in
// every role through Env, next to the parallelism.
func TestNewJobPipeline(t *testing.T) {
	cfg := conf.New()
	for k, v := range map[string]string{conf.MaxParallelism: "256", conf.AutoWatermarkInterval: "50 ms", conf.TaskManagerSlots: "3"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	env := NewJob(cfg, "/bin/job", nil, 2).Env()
	want := []string{"FLOE_PARALLELISM=2", `FLOE_DYNAMIC_PROPERTIES=["pipeline.max-parallelism=256","pipeline.auto-watermark-interval=50 ms"]`}
	if strings.Join(env, "\n") != strings.Join(want, "\n") {
		t.Errorf("Env = %q, want %q", env, want)
	}
	if env := NewJob(conf.New(), "/bin/job", nil, 0).Env(); len(env) != 0 {
		t.Errorf("Env of a job with nothing set = %q, want none", env)
	}
}
