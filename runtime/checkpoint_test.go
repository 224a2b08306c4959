package runtime_test

import (
	"testing"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/checkpointtest"
)

// TestCheckpointConsistentCut runs the checkpoint job over the local
// exchange: each source is triggered halfway (source 0 first, and it goes
// on emitting while source 1 still waits), every subtask acknowledges the
// checkpoint exactly once, and each counter's snapshot holds exactly the
// records of the first halves routed to it in exactly-once mode (at least
// those in at-least-once mode). Completion then reaches every operator.
func TestCheckpointConsistentCut(t *testing.T) {
	cases := []struct {
		name string
		mode runtime.CheckpointingMode
	}{
		{"exactly-once", runtime.ExactlyOnce},
		{"at-least-once", runtime.AtLeastOnce},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := runtime.NewLocalExchange()
			// Records of 12 bytes; per blocked channel at most the
			// channel's buffers, one in a blocked write and one being
			// filled.
			perChannel := int64(x.BuffersPerChannel+2) * (runtime.BufferSize/12 + 1)
			checkpointtest.Run(t, tc.mode, func(int) runtime.Exchange { return x }, nil, 100000, 2*perChannel)
		})
	}
}
