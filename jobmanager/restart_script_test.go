package jobmanager

import (
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// scriptStrategy reads a script's `strategy=TYPE[:KEY=VALUE,…]` through
// ParseRestartStrategy, each KEY the suffix of a
// restart-strategy.TYPE.KEY option, e.g.
// strategy=failure-rate:max-failures-per-interval=2,failure-rate-interval=1m.
// TYPE "checkpointing" reads the default with checkpointing on
// (execution.checkpointing.interval set, restart-strategy.type unset), its
// KEYs those of exponential-delay.
func scriptStrategy(t *testing.T, spec string) api.RestartStrategy {
	t.Helper()
	typ, opts, _ := strings.Cut(spec, ":")
	cfg := conf.New()
	set := func(k, v string) {
		if err := cfg.Set(k, v); err != nil {
			t.Fatalf("strategy=%s: %v", spec, err)
		}
	}
	prefix := "restart-strategy." + typ + "."
	if typ == "checkpointing" {
		set(conf.CheckpointingInterval, "1s")
		prefix = "restart-strategy.exponential-delay."
	} else {
		set(conf.RestartStrategyType, typ)
	}
	if opts != "" {
		for _, kv := range strings.Split(opts, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("strategy=%s: want KEY=VALUE, got %q", spec, kv)
			}
			set(prefix+k, v)
		}
	}
	r, err := ParseRestartStrategy(cfg, nil)
	if err != nil || r == nil {
		t.Fatalf("strategy=%s: %v", spec, err)
	}
	return *r
}
