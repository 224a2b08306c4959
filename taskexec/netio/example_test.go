package netio_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/floe-yarn/floe/taskexec/netio"
)

// Example streams records from a producer TaskManager to a consumer
// TaskManager over TCP (both in one process here).
func Example() {
	ctx := context.Background()
	secret := []byte("per-application secret")

	// Producer TaskManager: a pool, a registry, a data server.
	pool, _ := netio.NewBufferPool(netio.PoolOptions{NumBuffers: 64})
	reg := netio.NewRegistry()
	srv, err := netio.NewServer(ctx, netio.ServerOptions{Secret: secret, Registry: reg})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	id := netio.PartitionID{Job: "wordcount", Edge: 0, Producer: 0}
	part, _ := netio.NewResultPartition(netio.PartitionOptions{ID: id, NumSubpartitions: 1, Pool: pool})
	defer part.Release()
	_ = reg.Register(part)
	go func() {
		for _, w := range []string{"to", "be", "or", "not"} {
			_ = part.Emit(ctx, 0, []byte(w))
		}
		_ = part.Broadcast(ctx, netio.WatermarkEvent(1000))
		_ = part.Finish(ctx)
	}()

	// Consumer TaskManager: its own pool and client.
	pool2, _ := netio.NewBufferPool(netio.PoolOptions{NumBuffers: 64})
	client, _ := netio.NewClient(netio.ClientOptions{Secret: secret, Pool: pool2})
	defer client.Close()
	ch, err := client.Dial(ctx, srv.Addr(), id, 0)
	if err != nil {
		panic(err)
	}
	gate, _ := netio.NewInputGate([]*netio.InputChannel{ch}, netio.GateOptions{})
	defer gate.Close()
	for {
		el, err := gate.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(err)
		}
		if el.IsEvent() {
			fmt.Printf("channel %d: %s %d\n", el.Channel, el.Event.Kind, el.Event.Timestamp)
			continue
		}
		fmt.Printf("channel %d: %s\n", el.Channel, el.Record)
	}
	<-part.Done()
	// Output:
	// channel 0: to
	// channel 0: be
	// channel 0: or
	// channel 0: not
	// channel 0: watermark 1000
	// channel 0: end-of-partition 0
}
