package jobmanager

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

func TestParseRestartStrategy(t *testing.T) {
	yarnDefault := &api.RestartStrategy{Type: api.RestartFixedDelay, Attempts: 3, DelayMillis: 1000}
	fixed := func(n int, ms int64) *api.RestartStrategy {
		return &api.RestartStrategy{Type: api.RestartFixedDelay, Attempts: n, DelayMillis: ms}
	}
	none := &api.RestartStrategy{Type: api.RestartNone}
	// Flink's exponential-delay defaults (1.19+): 1 s, 1 min, ×1.2, 1 h,
	// jitter 0.1, unbounded attempts.
	expDefault := &api.RestartStrategy{Type: api.RestartExponentialDelay, Attempts: 2147483647, InitialBackoffMillis: 1000,
		MaxBackoffMillis: 60000, BackoffMultiplier: 1.2, ResetBackoffThresholdMillis: 3600000, JitterFactor: 0.1}
	exp := func(edit func(r *api.RestartStrategy)) *api.RestartStrategy {
		r := *expDefault
		edit(&r)
		return &r
	}
	rate := func(n int, windowMs, delayMs int64) *api.RestartStrategy {
		return &api.RestartStrategy{Type: api.RestartFailureRate, MaxFailuresPerInterval: n, FailureRateIntervalMillis: windowMs, DelayMillis: delayMs}
	}
	typ := func(v string, kv ...string) map[string]string {
		m := map[string]string{conf.RestartStrategyType: v}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name     string
		set      map[string]string
		fallback *api.RestartStrategy
		want     *api.RestartStrategy
		errHas   []string // every substring the error must hold; nil: no error
	}{
		{"unset, no fallback: JobManager default", nil, nil, nil, nil},
		{"unset, keys set, no fallback", map[string]string{conf.RestartFixedDelayAttempts: "7"}, nil, nil, nil},
		{"unset: fallback", nil, yarnDefault, fixed(3, 1000), nil},
		{"unset: fallback with attempts set", map[string]string{conf.RestartFixedDelayAttempts: "7"}, yarnDefault, fixed(7, 1000), nil},
		{"unset: fallback with delay set", map[string]string{conf.RestartFixedDelayDelay: "5 s"}, yarnDefault, fixed(3, 5000), nil},
		{"unset: none fallback stays none", map[string]string{conf.RestartFixedDelayAttempts: "7"}, none, none, nil},
		{"unset: old-style fallback (no type)", map[string]string{conf.RestartFixedDelayAttempts: "7"},
			&api.RestartStrategy{Attempts: 3, DelayMillis: 1000}, &api.RestartStrategy{Attempts: 7, DelayMillis: 1000}, nil},

		// The default with checkpointing on is Flink's: exponential-delay.
		{"unset, checkpointing on, no fallback", map[string]string{conf.CheckpointingInterval: "1 s"}, nil, expDefault, nil},
		{"unset, checkpointing on, YARN fallback", map[string]string{conf.CheckpointingInterval: "1 s"}, yarnDefault, expDefault, nil},
		{"unset, checkpointing on, none fallback", map[string]string{conf.CheckpointingInterval: "1 s"}, none, expDefault, nil},
		{"unset, checkpointing on, its options", map[string]string{conf.CheckpointingInterval: "1 s", conf.RestartExpMaxBackoff: "10 s"},
			nil, exp(func(r *api.RestartStrategy) { r.MaxBackoffMillis = 10000 }), nil},
		{"unset, checkpointing interval 0 is off", map[string]string{conf.CheckpointingInterval: "0"}, yarnDefault, fixed(3, 1000), nil},
		{"checkpointing on, type set: the type wins", typ("fixed-delay", conf.CheckpointingInterval, "1 s"), nil, fixed(1, 1000), nil},

		{"none", typ("none"), yarnDefault, none, nil},
		{"off", typ("off"), yarnDefault, none, nil},
		{"disable", typ("disable"), nil, none, nil},
		{"fixed-delay defaults", typ("fixed-delay"), nil, fixed(1, 1000), nil},
		{"fixed-delay uses its options", typ("fixed-delay", conf.RestartFixedDelayAttempts, "4", conf.RestartFixedDelayDelay, "5 s"),
			yarnDefault, fixed(4, 5000), nil},
		{"fixeddelay", typ("fixeddelay", conf.RestartFixedDelayAttempts, "2"), nil, fixed(2, 1000), nil},
		{"fixed-delay zero attempts", typ("fixed-delay", conf.RestartFixedDelayAttempts, "0"), nil, fixed(0, 1000), nil},
		{"case and blanks", typ(" Fixed-Delay "), nil, fixed(1, 1000), nil},
		{"fixed-delay negative attempts", typ("fixed-delay", conf.RestartFixedDelayAttempts, "-1"), nil, nil,
			[]string{conf.RestartFixedDelayAttempts, "-1"}},

		{"exponential-delay defaults", typ("exponential-delay"), yarnDefault, expDefault, nil},
		{"exponentialdelay", typ("exponentialdelay"), nil, expDefault, nil},
		{"exponential-delay every key", typ("Exponential-Delay",
			conf.RestartExpInitialBackoff, "2 s", conf.RestartExpMaxBackoff, "30 s", conf.RestartExpMultiplier, "2",
			conf.RestartExpResetThreshold, "10 min", conf.RestartExpJitter, "0", conf.RestartExpAttempts, "5"), nil,
			&api.RestartStrategy{Type: api.RestartExponentialDelay, Attempts: 5, InitialBackoffMillis: 2000, MaxBackoffMillis: 30000,
				BackoffMultiplier: 2, ResetBackoffThresholdMillis: 600000}, nil},
		{"exponential-delay multiplier below 1", typ("exponential-delay", conf.RestartExpMultiplier, "0.5"), nil, nil,
			[]string{conf.RestartExpMultiplier, `"0.5"`, ">= 1"}},
		{"exponential-delay multiplier not a number", typ("exponential-delay", conf.RestartExpMultiplier, "fast"), nil, nil,
			[]string{conf.RestartExpMultiplier, `"fast"`}},
		{"exponential-delay jitter above 1", typ("exponential-delay", conf.RestartExpJitter, "1.5"), nil, nil,
			[]string{conf.RestartExpJitter, `"1.5"`, "0 to 1"}},
		{"exponential-delay jitter negative", typ("exponential-delay", conf.RestartExpJitter, "-0.1"), nil, nil,
			[]string{conf.RestartExpJitter, `"-0.1"`}},
		{"exponential-delay zero initial backoff", typ("exponential-delay", conf.RestartExpInitialBackoff, "0"), nil, nil,
			[]string{conf.RestartExpInitialBackoff, "positive"}},
		{"exponential-delay max below initial", typ("exponential-delay", conf.RestartExpInitialBackoff, "5 s", conf.RestartExpMaxBackoff, "2 s"),
			nil, nil, []string{conf.RestartExpMaxBackoff, conf.RestartExpInitialBackoff, "2s", "5s"}},
		{"exponential-delay zero reset threshold", typ("exponential-delay", conf.RestartExpResetThreshold, "0"), nil, nil,
			[]string{conf.RestartExpResetThreshold, "positive"}},
		{"exponential-delay zero attempts", typ("exponential-delay", conf.RestartExpAttempts, "0"), nil, nil,
			[]string{conf.RestartExpAttempts, ">= 1"}},

		{"failure-rate defaults", typ("failure-rate"), yarnDefault, rate(1, 60000, 1000), nil},
		{"failurerate", typ("failurerate"), nil, rate(1, 60000, 1000), nil},
		{"failure-rate every key", typ("failure-rate", conf.RestartFailureRateMax, "3", conf.RestartFailureRateWindow, "5 min",
			conf.RestartFailureRateDelay, "10 s"), nil, rate(3, 300000, 10000), nil},
		{"failure-rate zero failures", typ("failure-rate", conf.RestartFailureRateMax, "0"), nil, nil,
			[]string{conf.RestartFailureRateMax, ">= 1"}},
		{"failure-rate zero interval", typ("failure-rate", conf.RestartFailureRateWindow, "0"), nil, nil,
			[]string{conf.RestartFailureRateWindow, "positive"}},

		{"unknown", typ("sometimes"), yarnDefault, nil, []string{conf.RestartStrategyType, `"sometimes"`,
			"fixed-delay", "fixeddelay", "none", "off", "disable", "exponential-delay", "exponentialdelay", "failure-rate", "failurerate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			for k, v := range tc.set {
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ParseRestartStrategy(cfg, tc.fallback)
			if tc.errHas != nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not name %q", err, s)
					}
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

// TestJitter: the exponential-delay jitter stays within ±factor of the
// backoff, is the same for the same job and restart, and spreads.
func TestJitter(t *testing.T) {
	cases := []struct {
		name    string
		backoff time.Duration
		factor  float64
	}{
		{"off", time.Second, 0},
		{"Flink's default 0.1", time.Second, 0.1},
		{"half", 4 * time.Second, 0.5},
		{"full", time.Minute, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lo := time.Duration(float64(tc.backoff) * (1 - tc.factor))
			hi := time.Duration(float64(tc.backoff) * (1 + tc.factor))
			seen := map[time.Duration]bool{}
			var below, above int
			for _, job := range []string{"j1", "j2", "a3f9c0de11b24c6d8e0f", "job"} {
				for n := 1; n <= 250; n++ {
					d := jitter(tc.backoff, tc.factor, job, n)
					if d < lo || d > hi {
						t.Fatalf("jitter(%v, %g, %s, %d) = %v, want within [%v, %v]", tc.backoff, tc.factor, job, n, d, lo, hi)
					}
					if again := jitter(tc.backoff, tc.factor, job, n); again != d {
						t.Fatalf("jitter(%s, %d) = %v then %v", job, n, d, again)
					}
					seen[d] = true
					if d < tc.backoff {
						below++
					} else if d > tc.backoff {
						above++
					}
				}
			}
			if tc.factor == 0 {
				if len(seen) != 1 || !seen[tc.backoff] {
					t.Fatalf("jitter off gave %v", seen)
				}
				return
			}
			// 1000 draws: far more than a few distinct values, on both sides.
			if len(seen) < 100 || below < 300 || above < 300 {
				t.Fatalf("jitter does not spread: %d distinct, %d below, %d above", len(seen), below, above)
			}
		})
	}
}
