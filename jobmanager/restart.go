package jobmanager

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// Accepted values of restart-strategy.type, with Flink's spellings; the
// first of each is the canonical api.RestartStrategy.Type.
var restartSpellings = [][]string{
	{api.RestartNone, "off", "disable"},
	{api.RestartFixedDelay, "fixeddelay"},
	{api.RestartExponentialDelay, "exponentialdelay"},
	{api.RestartFailureRate, "failurerate"},
}

// ParseRestartStrategy is the one parser of the restart-strategy.* options,
// used by the ApplicationMaster, `floe jobmanager` and `floe run`.
//
// restart-strategy.type selects the strategy, with Flink's keys, defaults
// and semantics (see api.RestartStrategy):
//   - none/off/disable: a failed job fails at once;
//   - fixed-delay/fixeddelay: restart-strategy.fixed-delay.{attempts,delay};
//   - exponential-delay/exponentialdelay:
//     restart-strategy.exponential-delay.{initial-backoff, max-backoff,
//     backoff-multiplier, reset-backoff-threshold, jitter-factor,
//     attempts-before-reset-backoff};
//   - failure-rate/failurerate: restart-strategy.failure-rate.{
//     max-failures-per-interval, failure-rate-interval, delay}.
//
// Any other type, or a value out of range, is an error naming the key.
//
// When the type is not set and checkpointing is on
// (execution.checkpointing.interval > 0), the strategy is Flink's default
// for checkpointed jobs: exponential-delay with its options (unbounded
// attempts). Otherwise fallback decides: nil returns nil (the JobManager's
// own default applies); else *fallback is returned, and when it restarts at
// all each fixed-delay key that is set explicitly overrides its part of it.
func ParseRestartStrategy(cfg *conf.Config, fallback *api.RestartStrategy) (*api.RestartStrategy, error) {
	raw := cfg.String(conf.RestartStrategyType)
	typ := strings.ToLower(strings.TrimSpace(raw))
	if typ == "" {
		if cfg.Duration(conf.CheckpointingInterval) > 0 {
			return parseExponentialDelay(cfg)
		}
		if fallback == nil {
			return nil, nil
		}
		r := *fallback
		if r.Kind() == api.RestartFixedDelay && r.Attempts > 0 {
			if explicit(cfg, conf.RestartFixedDelayAttempts) {
				r.Attempts = cfg.Int(conf.RestartFixedDelayAttempts)
			}
			if explicit(cfg, conf.RestartFixedDelayDelay) {
				r.DelayMillis = cfg.Duration(conf.RestartFixedDelayDelay).Milliseconds()
			}
		}
		return &r, nil
	}
	kind := ""
	for _, names := range restartSpellings {
		if slices.Contains(names, typ) {
			kind = names[0]
		}
	}
	switch kind {
	case api.RestartNone:
		return &api.RestartStrategy{Type: api.RestartNone}, nil
	case api.RestartFixedDelay:
		r := &api.RestartStrategy{Type: api.RestartFixedDelay, Attempts: cfg.Int(conf.RestartFixedDelayAttempts),
			DelayMillis: cfg.Duration(conf.RestartFixedDelayDelay).Milliseconds()}
		if r.Attempts < 0 {
			return nil, fmt.Errorf("restart strategy fixed-delay: %s=%d: want a value >= 0", conf.RestartFixedDelayAttempts, r.Attempts)
		}
		return r, nil
	case api.RestartExponentialDelay:
		return parseExponentialDelay(cfg)
	case api.RestartFailureRate:
		r := &api.RestartStrategy{Type: api.RestartFailureRate, MaxFailuresPerInterval: cfg.Int(conf.RestartFailureRateMax),
			FailureRateIntervalMillis: cfg.Duration(conf.RestartFailureRateWindow).Milliseconds(),
			DelayMillis:               cfg.Duration(conf.RestartFailureRateDelay).Milliseconds()}
		if r.MaxFailuresPerInterval < 1 {
			return nil, fmt.Errorf("restart strategy failure-rate: %s=%d: want a value >= 1", conf.RestartFailureRateMax, r.MaxFailuresPerInterval)
		}
		if r.FailureRateIntervalMillis <= 0 {
			return nil, fmt.Errorf("restart strategy failure-rate: %s=%v: want a positive duration", conf.RestartFailureRateWindow,
				cfg.Duration(conf.RestartFailureRateWindow))
		}
		return r, nil
	}
	var accepted []string
	for _, names := range restartSpellings {
		accepted = append(accepted, names...)
	}
	return nil, fmt.Errorf("%s=%q: unknown restart strategy; want one of %s",
		conf.RestartStrategyType, raw, strings.Join(accepted, ", "))
}

// parseExponentialDelay reads the restart-strategy.exponential-delay.* keys.
func parseExponentialDelay(cfg *conf.Config) (*api.RestartStrategy, error) {
	wrap := func(err error) (*api.RestartStrategy, error) {
		return nil, fmt.Errorf("restart strategy exponential-delay: %w", err)
	}
	mult, err := parseFloat(cfg, conf.RestartExpMultiplier, 1, math.MaxFloat64)
	if err != nil {
		return wrap(err)
	}
	jitter, err := parseFloat(cfg, conf.RestartExpJitter, 0, 1)
	if err != nil {
		return wrap(err)
	}
	r := &api.RestartStrategy{Type: api.RestartExponentialDelay,
		InitialBackoffMillis:        cfg.Duration(conf.RestartExpInitialBackoff).Milliseconds(),
		MaxBackoffMillis:            cfg.Duration(conf.RestartExpMaxBackoff).Milliseconds(),
		BackoffMultiplier:           mult,
		ResetBackoffThresholdMillis: cfg.Duration(conf.RestartExpResetThreshold).Milliseconds(),
		JitterFactor:                jitter,
		Attempts:                    cfg.Int(conf.RestartExpAttempts),
	}
	switch {
	case r.InitialBackoffMillis <= 0:
		return wrap(fmt.Errorf("%s=%v: want a positive duration", conf.RestartExpInitialBackoff, cfg.Duration(conf.RestartExpInitialBackoff)))
	case r.MaxBackoffMillis < r.InitialBackoffMillis:
		return wrap(fmt.Errorf("%s=%v: want at least %s (%v)", conf.RestartExpMaxBackoff, cfg.Duration(conf.RestartExpMaxBackoff),
			conf.RestartExpInitialBackoff, cfg.Duration(conf.RestartExpInitialBackoff)))
	case r.ResetBackoffThresholdMillis <= 0:
		return wrap(fmt.Errorf("%s=%v: want a positive duration", conf.RestartExpResetThreshold, cfg.Duration(conf.RestartExpResetThreshold)))
	case r.Attempts < 1:
		return wrap(fmt.Errorf("%s=%d: want a value >= 1", conf.RestartExpAttempts, r.Attempts))
	}
	return r, nil
}

// parseFloat reads a number option in [lo, hi].
func parseFloat(cfg *conf.Config, key string, lo, hi float64) (float64, error) {
	raw := cfg.String(key)
	f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		want := fmt.Sprintf("a number from %g to %g", lo, hi)
		if hi == math.MaxFloat64 {
			want = fmt.Sprintf("a number >= %g", lo)
		}
		return 0, fmt.Errorf("%s=%q: want %s", key, raw, want)
	}
	return f, nil
}

// explicit reports whether key was set by a file or -D, not defaulted.
func explicit(cfg *conf.Config, key string) bool {
	src, ok := cfg.Source(key)
	return ok && src.Kind != conf.SourceDefault
}

// restarter applies one job's restart strategy deterministically: the
// core tells it of every failure with the time of the event that caused
// it, and it answers whether the job restarts and after what delay. It
// keeps what the strategies remember across failures: the exponential
// backoff and when it last grew, the failures within the failure-rate
// window.
type restarter struct {
	s           api.RestartStrategy
	backoff     time.Duration // exponential-delay: the backoff before jitter; 0 before the first failure
	delay       time.Duration // exponential-delay: the last delay granted
	lastFailure time.Time
	sinceReset  int         // exponential-delay: restarts since the backoff last reset
	failures    []time.Time // failure-rate: failures within the window, oldest first
}

// restartDecision is a restarter's answer to one failure.
type restartDecision struct {
	restart bool
	delay   time.Duration
	// stop says, when the job does not restart, which limit of the strategy
	// stopped it ("after 3 restarts", "failure rate exceeded: …"); empty
	// when the strategy never restarts.
	stop string
}

// failed records a failure of job at now, after restarts restarts so far,
// and decides. Exponential-delay jitter derives from the job id and the
// restart number, so the same events always give the same delays.
func (r *restarter) failed(now time.Time, job string, restarts int) restartDecision {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	switch r.s.Kind() {
	case api.RestartFixedDelay:
		if restarts >= r.s.Attempts {
			return restartDecision{stop: stopAfter(r.s.Attempts, restarts)}
		}
		return restartDecision{restart: true, delay: ms(r.s.DelayMillis)}
	case api.RestartExponentialDelay:
		// Flink's rule: a job that ran reset-backoff-threshold since its
		// last restart (the last failure plus the delay before it) starts
		// over at the initial backoff, with its attempts renewed.
		if r.backoff == 0 || now.Sub(r.lastFailure) >= ms(r.s.ResetBackoffThresholdMillis)+r.delay {
			r.backoff, r.sinceReset = ms(r.s.InitialBackoffMillis), 0
		} else {
			// In floats, so that a large multiplier cannot overflow.
			r.backoff = time.Duration(min(float64(r.backoff)*r.s.BackoffMultiplier, float64(ms(r.s.MaxBackoffMillis))))
		}
		r.lastFailure = now
		if r.sinceReset >= r.s.Attempts {
			return restartDecision{stop: stopAfter(r.s.Attempts, restarts)}
		}
		r.sinceReset++
		r.delay = jitter(r.backoff, r.s.JitterFactor, job, restarts+1)
		return restartDecision{restart: true, delay: r.delay}
	case api.RestartFailureRate:
		window := ms(r.s.FailureRateIntervalMillis)
		r.failures = append(r.failures, now)
		for len(r.failures) > 0 && now.Sub(r.failures[0]) > window {
			r.failures = r.failures[1:]
		}
		if len(r.failures) > r.s.MaxFailuresPerInterval {
			return restartDecision{stop: fmt.Sprintf("failure rate exceeded: %d failures within %v", len(r.failures), window)}
		}
		return restartDecision{restart: true, delay: ms(r.s.DelayMillis)}
	}
	return restartDecision{}
}

// stopAfter names a bounded strategy's exhausted attempts; a strategy of
// no attempts never restarted, and says nothing more.
func stopAfter(attempts, restarts int) string {
	if attempts == 0 {
		return ""
	}
	return fmt.Sprintf("after %d restarts", restarts)
}

// jitter returns backoff ± up to factor of it, rounded to the millisecond:
// a pseudo-random fraction hashed (FNV-1a, then mixed) from the job id and
// the restart number, so replays of the same events agree.
func jitter(backoff time.Duration, factor float64, job string, n int) time.Duration {
	if factor == 0 {
		return backoff
	}
	h := uint64(14695981039346656037)
	for _, b := range []byte(job + "#" + strconv.Itoa(n)) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	// FNV's last bytes barely reach its high bits: mix them (splitmix64's
	// finalizer) before taking a fraction.
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	h ^= h >> 31
	u := float64(h>>11)/float64(1<<53)*2 - 1 // [-1, 1)
	return (backoff + time.Duration(float64(backoff)*factor*u)).Round(time.Millisecond)
}
