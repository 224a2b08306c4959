package api

import (
	"math"
	"strings"
	"testing"
)

// TestRestartStrategyValidate: what a submission may carry. The parser
// (jobmanager.ParseRestartStrategy) only makes valid strategies; these are
// the ones a hand-made or foreign submission could hold.
func TestRestartStrategyValidate(t *testing.T) {
	exp := RestartStrategy{Type: RestartExponentialDelay, Attempts: 10, InitialBackoffMillis: 1000, MaxBackoffMillis: 60000,
		BackoffMultiplier: 1.2, ResetBackoffThresholdMillis: 3600000, JitterFactor: 0.1}
	with := func(edit func(*RestartStrategy)) RestartStrategy { r := exp; edit(&r); return r }
	rate := RestartStrategy{Type: RestartFailureRate, MaxFailuresPerInterval: 1, FailureRateIntervalMillis: 60000, DelayMillis: 1000}
	cases := []struct {
		name   string
		r      RestartStrategy
		kind   string
		errHas string // "" when valid
	}{
		{"zero value: none", RestartStrategy{}, RestartNone, ""},
		{"old fixed-delay (no type)", RestartStrategy{Attempts: 3, DelayMillis: 1000}, RestartFixedDelay, ""},
		{"fixed-delay no attempts", RestartStrategy{Type: RestartFixedDelay}, RestartFixedDelay, ""},
		{"none", RestartStrategy{Type: RestartNone}, RestartNone, ""},
		{"exponential-delay", exp, RestartExponentialDelay, ""},
		{"failure-rate", rate, RestartFailureRate, ""},
		{"negative attempts", RestartStrategy{Attempts: -1}, RestartNone, "negative"},
		{"negative delay", RestartStrategy{Attempts: 1, DelayMillis: -1}, RestartFixedDelay, "negative"},
		{"unknown type", RestartStrategy{Type: "sometimes"}, "sometimes", `"sometimes"`},
		{"exponential zero initial", with(func(r *RestartStrategy) { r.InitialBackoffMillis = 0 }), RestartExponentialDelay, "exponential-delay"},
		{"exponential max below initial", with(func(r *RestartStrategy) { r.MaxBackoffMillis = 10 }), RestartExponentialDelay, "exponential-delay"},
		{"exponential multiplier below 1", with(func(r *RestartStrategy) { r.BackoffMultiplier = 0.5 }), RestartExponentialDelay, "multiplier"},
		{"exponential multiplier NaN", with(func(r *RestartStrategy) { r.BackoffMultiplier = math.NaN() }), RestartExponentialDelay, "multiplier"},
		{"exponential multiplier infinite", with(func(r *RestartStrategy) { r.BackoffMultiplier = math.Inf(1) }), RestartExponentialDelay, "multiplier"},
		{"exponential jitter above 1", with(func(r *RestartStrategy) { r.JitterFactor = 2 }), RestartExponentialDelay, "jitter"},
		{"exponential no reset threshold", with(func(r *RestartStrategy) { r.ResetBackoffThresholdMillis = 0 }), RestartExponentialDelay, "reset"},
		{"exponential no attempts", with(func(r *RestartStrategy) { r.Attempts = 0 }), RestartExponentialDelay, "attempts"},
		{"failure-rate no failures", RestartStrategy{Type: RestartFailureRate, FailureRateIntervalMillis: 1}, RestartFailureRate, "failure-rate"},
		{"failure-rate no interval", RestartStrategy{Type: RestartFailureRate, MaxFailuresPerInterval: 1}, RestartFailureRate, "interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if k := tc.r.Kind(); k != tc.kind {
				t.Errorf("Kind() = %q, want %q", k, tc.kind)
			}
			err := tc.r.Validate()
			if tc.errHas == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.errHas)
			}
		})
	}
}
