package jobmanager

import (
	"fmt"
	"strconv"
	"time"

	"github.com/floe-yarn/floe/conf"
)

// The keys of the checkpointing options, declared in package conf.
const (
	keyCheckpointInterval  = conf.CheckpointingInterval
	keyCheckpointMode      = conf.CheckpointingMode
	keyCheckpointTimeout   = conf.CheckpointingTimeout
	keyCheckpointMinPause  = conf.CheckpointingMinPause
	keyCheckpointTolerable = conf.CheckpointingTolerable
	keyCheckpointRetained  = conf.CheckpointsNumRetained
	keyCheckpointIncrement = conf.CheckpointingIncremental
	keyCheckpointsDir      = conf.CheckpointsDir
)

// CheckpointConfig holds the checkpointing options, with Flink's defaults.
type CheckpointConfig struct {
	// Interval between checkpoint triggers; 0 turns checkpointing off.
	Interval time.Duration
	// Mode is carried in every trigger.
	Mode CheckpointMode
	// Timeout aborts a checkpoint not complete this long after its trigger
	// (default 10 minutes).
	Timeout time.Duration
	// MinPause is the least time from the end of one checkpoint to the
	// trigger of the next.
	MinPause time.Duration
	// TolerableFailures is how many consecutive checkpoints may fail
	// before the job fails (default 0: the first failure fails it).
	TolerableFailures int
	// NumRetained is how many completed checkpoints are kept (default 1).
	NumRetained int
	// Incremental asks state backends that can to upload only new files.
	Incremental bool
}

// Enabled reports whether checkpoints are taken.
func (c CheckpointConfig) Enabled() bool { return c.Interval > 0 }

func (c *CheckpointConfig) fill() error {
	switch {
	case c.Interval < 0:
		return fmt.Errorf("%s %v < 0", keyCheckpointInterval, c.Interval)
	case c.Timeout < 0:
		return fmt.Errorf("%s %v < 0", keyCheckpointTimeout, c.Timeout)
	case c.MinPause < 0:
		return fmt.Errorf("%s %v < 0", keyCheckpointMinPause, c.MinPause)
	case c.TolerableFailures < 0:
		return fmt.Errorf("%s %d < 0", keyCheckpointTolerable, c.TolerableFailures)
	case c.NumRetained < 0:
		return fmt.Errorf("%s %d < 0", keyCheckpointRetained, c.NumRetained)
	case c.Mode > AtLeastOnce:
		return fmt.Errorf("%s: unknown mode %d", keyCheckpointMode, c.Mode)
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.NumRetained == 0 {
		c.NumRetained = 1
	}
	return nil
}

// CheckpointConfigFrom reads the checkpointing options through lookup
// (a key's value and whether it is set: a conf.Config, -D flags, or the
// job's own settings) and returns them with defaults filled in, plus the
// value of state.checkpoints.dir.
func CheckpointConfigFrom(lookup func(key string) (string, bool)) (CheckpointConfig, string, error) {
	c := CheckpointConfig{Timeout: 10 * time.Minute, NumRetained: 1}
	var err error
	durations := []struct {
		key string
		dst *time.Duration
	}{{keyCheckpointInterval, &c.Interval}, {keyCheckpointTimeout, &c.Timeout}, {keyCheckpointMinPause, &c.MinPause}}
	for _, d := range durations {
		if v, ok := lookup(d.key); ok {
			if *d.dst, err = conf.ParseDuration(v); err != nil {
				return c, "", fmt.Errorf("%s: %w", d.key, err)
			}
		}
	}
	ints := []struct {
		key string
		dst *int
	}{{keyCheckpointTolerable, &c.TolerableFailures}, {keyCheckpointRetained, &c.NumRetained}}
	for _, d := range ints {
		if v, ok := lookup(d.key); ok {
			if *d.dst, err = strconv.Atoi(v); err != nil {
				return c, "", fmt.Errorf("%s: %w", d.key, err)
			}
		}
	}
	if v, ok := lookup(keyCheckpointMode); ok {
		if c.Mode, err = ParseCheckpointMode(v); err != nil {
			return c, "", err
		}
	}
	if v, ok := lookup(keyCheckpointIncrement); ok {
		if c.Incremental, err = conf.ParseBool(v); err != nil {
			return c, "", fmt.Errorf("%s: %w", keyCheckpointIncrement, err)
		}
	}
	if c.NumRetained == 0 {
		return c, "", fmt.Errorf("%s must be at least 1", keyCheckpointRetained)
	}
	if c.Timeout == 0 {
		return c, "", fmt.Errorf("%s must be more than 0", keyCheckpointTimeout)
	}
	dir, _ := lookup(keyCheckpointsDir)
	return c, dir, c.fill()
}
