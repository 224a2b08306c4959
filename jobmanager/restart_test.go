package jobmanager

import (
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

func TestParseRestartStrategy(t *testing.T) {
	yarnDefault := &api.RestartStrategy{Attempts: 3, DelayMillis: 1000}
	fixed := func(n int, ms int64) *api.RestartStrategy { return &api.RestartStrategy{Attempts: n, DelayMillis: ms} }
	none := &api.RestartStrategy{}
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
		{"none", map[string]string{conf.RestartStrategyType: "none"}, yarnDefault, none, nil},
		{"off", map[string]string{conf.RestartStrategyType: "off"}, yarnDefault, none, nil},
		{"disable", map[string]string{conf.RestartStrategyType: "disable"}, nil, none, nil},
		{"fixed-delay defaults", map[string]string{conf.RestartStrategyType: "fixed-delay"}, nil, fixed(1, 1000), nil},
		{"fixed-delay uses its options", map[string]string{conf.RestartStrategyType: "fixed-delay",
			conf.RestartFixedDelayAttempts: "4", conf.RestartFixedDelayDelay: "5 s"}, yarnDefault, fixed(4, 5000), nil},
		{"fixeddelay", map[string]string{conf.RestartStrategyType: "fixeddelay", conf.RestartFixedDelayAttempts: "2"}, nil, fixed(2, 1000), nil},
		{"case and blanks", map[string]string{conf.RestartStrategyType: " Fixed-Delay "}, nil, fixed(1, 1000), nil},
		{"negative attempts", map[string]string{conf.RestartStrategyType: "fixed-delay", conf.RestartFixedDelayAttempts: "-1"}, nil, nil,
			[]string{conf.RestartFixedDelayAttempts}},
		{"unknown", map[string]string{conf.RestartStrategyType: "sometimes"}, yarnDefault, nil,
			[]string{conf.RestartStrategyType, `"sometimes"`, "fixed-delay", "fixeddelay", "none", "off", "disable"}},
		{"not yet: exponential-delay", map[string]string{conf.RestartStrategyType: "exponential-delay"}, nil, nil,
			[]string{conf.RestartStrategyType, `"exponential-delay"`}},
		{"not yet: failure-rate", map[string]string{conf.RestartStrategyType: "failure-rate"}, nil, nil,
			[]string{conf.RestartStrategyType, `"failure-rate"`}},
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
