package taskexec_test

import (
	"context"
	"testing"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/twoinputtest"
	"github.com/floe-yarn/floe/taskexec"
	"github.com/rs/zerolog"
)

// TestTwoInputTaskAcrossTaskManagers runs the two-input test job over the
// network data plane of two in-process TaskManagers (subtask i of every
// vertex on TaskManager i): records of both inputs cross TCP to the input
// their edge feeds, and the barriers of both inputs align into one cut.
func TestTwoInputTaskAcrossTaskManagers(t *testing.T) {
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
	twoinputtest.Run(t, func(i int) runtime.Exchange { return xs[i] }, slots, 20000)
}
