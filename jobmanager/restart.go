package jobmanager

import (
	"fmt"
	"slices"
	"strings"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// Accepted values of restart-strategy.type, with Flink's spellings.
var (
	restartNone       = []string{"none", "off", "disable"}
	restartFixedDelay = []string{"fixed-delay", "fixeddelay"}
	// Flink's exponential-delay and failure-rate are refused as unknown
	// until the checkpoint work adds them (see ParseRestartStrategy).
)

// ParseRestartStrategy is the one parser of the restart-strategy.* options,
// used by the ApplicationMaster, `floe jobmanager` and `floe run`.
//
// restart-strategy.type selects the strategy: none/off/disable (a failed job
// fails at once) or fixed-delay/fixeddelay (up to
// restart-strategy.fixed-delay.attempts restarts,
// restart-strategy.fixed-delay.delay apart). Any other value is an error
// naming the key, the value and the accepted values.
//
// When the type is not set, fallback decides: nil returns nil (the
// JobManager's own default applies); otherwise *fallback is returned, and
// when it restarts at all (Attempts > 0) each fixed-delay key that is set
// explicitly overrides its part of it.
func ParseRestartStrategy(cfg *conf.Config, fallback *api.RestartStrategy) (*api.RestartStrategy, error) {
	fixed := api.RestartStrategy{
		Attempts:    cfg.Int(conf.RestartFixedDelayAttempts),
		DelayMillis: cfg.Duration(conf.RestartFixedDelayDelay).Milliseconds(),
	}
	typ := strings.ToLower(strings.TrimSpace(cfg.String(conf.RestartStrategyType)))
	// exponential-delay and failure-rate join this switch with
	// checkpointing; each needs its own fields in api.RestartStrategy and
	// its own keys here.
	switch {
	case typ == "":
		if fallback == nil {
			return nil, nil
		}
		r := *fallback
		if r.Attempts > 0 {
			if explicit(cfg, conf.RestartFixedDelayAttempts) {
				r.Attempts = fixed.Attempts
			}
			if explicit(cfg, conf.RestartFixedDelayDelay) {
				r.DelayMillis = fixed.DelayMillis
			}
		}
		return &r, nil
	case slices.Contains(restartNone, typ):
		return &api.RestartStrategy{}, nil
	case slices.Contains(restartFixedDelay, typ):
		if fixed.Attempts < 0 || fixed.DelayMillis < 0 {
			return nil, fmt.Errorf("restart strategy fixed-delay: %s=%d, %s=%dms: want values >= 0",
				conf.RestartFixedDelayAttempts, fixed.Attempts, conf.RestartFixedDelayDelay, fixed.DelayMillis)
		}
		return &fixed, nil
	}
	accepted := append(append([]string{}, restartFixedDelay...), restartNone...)
	return nil, fmt.Errorf("%s=%q: unknown restart strategy; want one of %s",
		conf.RestartStrategyType, cfg.String(conf.RestartStrategyType), strings.Join(accepted, ", "))
}

// explicit reports whether key was set by a file or -D, not defaulted.
func explicit(cfg *conf.Config, key string) bool {
	src, ok := cfg.Source(key)
	return ok && src.Kind != conf.SourceDefault
}
