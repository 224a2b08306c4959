package taskexec_test

import (
	"context"
	"testing"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/checkpointtest"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/floe-yarn/floe/taskexec/netio"
	"github.com/rs/zerolog"
)

// TestCheckpointAcrossTaskManagers runs the checkpoint test job over the
// network data plane of two in-process TaskManagers (subtask i of every
// vertex on TaskManager i, so half the channels cross TCP): the same
// consistent cut and acknowledgements as over the local exchange, and the
// channels a counter blocks hold source 0 back by credit-based flow
// control.
func TestCheckpointAcrossTaskManagers(t *testing.T) {
	cases := []struct {
		name string
		mode runtime.CheckpointingMode
	}{
		{"exactly-once", runtime.ExactlyOnce},
		{"at-least-once", runtime.AtLeastOnce},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var xs []runtime.Exchange
			var slots []runtime.Location
			for _, id := range []string{"tm-a", "tm-b"} {
				x, err := taskexec.NewNetExchange(ctx, taskexec.NetExchangeOptions{TaskManager: id, Secret: []byte("s3cret"), NetworkMemory: 8 << 20, Logger: zerolog.Nop()})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { x.Close() })
				xs = append(xs, x)
				slots = append(slots, runtime.Location{TaskManager: id, DataAddress: x.DataAddress()})
			}
			// Per blocked channel at most the consumer's credit, the
			// subpartition's queue and the buffer being filled, plus the
			// task's own output buffer; a record takes at least 9 bytes.
			perChannel := int64(netio.DefaultCredits+netio.DefaultMaxBuffersPerSubpartition+3) * (netio.DefaultBufferSize/9 + 1)
			checkpointtest.Run(t, tc.mode, func(i int) runtime.Exchange { return xs[i] }, slots, 400000, 2*perChannel)
		})
	}
}
