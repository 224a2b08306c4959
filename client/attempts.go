package client

import (
	"fmt"
	"strconv"

	"github.com/floe-yarn/floe/conf"
)

// rmMaxAttemptsKey is the ResourceManager's bound on ApplicationMaster
// attempts (Hadoop's default is 2).
const rmMaxAttemptsKey = "yarn.resourcemanager.am.max-attempts"

// Attempts is how many ApplicationMaster attempts an application is
// submitted with, and why.
type Attempts struct {
	// N is what the submission context asks for.
	N int
	// Requested is what the configuration asked for (N unless capped).
	Requested int
	// RMMax is the ResourceManager's yarn.resourcemanager.am.max-attempts
	// (0 when unknown).
	RMMax int
	// Note is the line printed when the request was capped, else "".
	Note string
}

// ApplicationAttempts reads yarn.application-attempts: when it is not set
// explicitly, 2 with checkpointing on (a new attempt resumes the jobs from
// the job store) and 1 otherwise; then capped by rmMax, the
// ResourceManager's yarn.resourcemanager.am.max-attempts (0: unknown, no
// cap), with a Note saying so. Flink caps the same way but silently.
func ApplicationAttempts(cfg *conf.Config, rmMax int) Attempts {
	n := cfg.Int(conf.YarnApplicationAttempts)
	if src, ok := cfg.Source(conf.YarnApplicationAttempts); !ok || src.Kind == conf.SourceDefault {
		n = 1
		if cfg.Duration(conf.CheckpointingInterval) > 0 {
			n = 2
		}
	}
	n = max(1, n)
	a := Attempts{N: n, Requested: n, RMMax: rmMax}
	if rmMax > 0 && n > rmMax {
		a.N = rmMax
		a.Note = fmt.Sprintf("%s=%d is above the ResourceManager's %s=%d: the application gets %d ApplicationMaster attempts",
			conf.YarnApplicationAttempts, n, rmMaxAttemptsKey, rmMax, rmMax)
	}
	return a
}

// RMMaxAttempts returns yarn.resourcemanager.am.max-attempts from the
// Hadoop configuration the client has (yarn-site.xml, else Hadoop's default
// 2); 0 when h is nil or the value is not a positive number.
func RMMaxAttempts(h *conf.Hadoop) int {
	if h == nil {
		return 0
	}
	n, err := strconv.Atoi(h.Get(rmMaxAttemptsKey))
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
