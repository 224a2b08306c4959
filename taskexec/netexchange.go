package taskexec

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/taskexec/netio"
	"github.com/rs/zerolog"
)

// NetExchangeOptions configure a NetExchange.
type NetExchangeOptions struct {
	// TaskManager is this TaskManager's id: producers placed on it are read
	// without a socket.
	TaskManager string
	Secret      []byte
	// NetworkMemory is the buffer budget in bytes (default 64 MiB).
	NetworkMemory int64
	// ListenAddr is the data server's address (default 127.0.0.1:0).
	ListenAddr string
	Logger     zerolog.Logger
}

// NetExchange adapts the data plane (package netio) to runtime.Exchange:
// a buffer pool bounded by the network memory, a registry and server for
// this TaskManager's partitions, and a client for other TaskManagers'.
type NetExchange struct {
	self   string
	pool   *netio.BufferPool
	reg    *netio.Registry
	srv    *netio.Server
	client *netio.Client
	frames sync.Pool
}

// NewNetExchange starts the data server.
func NewNetExchange(ctx context.Context, opts NetExchangeOptions) (*NetExchange, error) {
	if opts.NetworkMemory <= 0 {
		opts.NetworkMemory = 64 << 20
	}
	if opts.ListenAddr == "" {
		opts.ListenAddr = "127.0.0.1:0"
	}
	n := int(opts.NetworkMemory / netio.DefaultBufferSize)
	if n < 16 {
		return nil, fmt.Errorf("network memory %d bytes: need at least %d", opts.NetworkMemory, 16*netio.DefaultBufferSize)
	}
	pool, err := netio.NewBufferPool(netio.PoolOptions{NumBuffers: n})
	if err != nil {
		return nil, err
	}
	reg := netio.NewRegistry()
	srv, err := netio.NewServer(ctx, netio.ServerOptions{Addr: opts.ListenAddr, Secret: opts.Secret, Registry: reg, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	client, err := netio.NewClient(netio.ClientOptions{Secret: opts.Secret, Pool: pool, Logger: opts.Logger})
	if err != nil {
		_ = srv.Close() // nothing was served yet; the client's error is the cause
		return nil, err
	}
	x := &NetExchange{self: opts.TaskManager, pool: pool, reg: reg, srv: srv, client: client}
	x.frames.New = func() any { b := make([]byte, 0, runtime.BufferSize+runtime.BufferSize/4); return &b }
	return x, nil
}

// DataAddress is where other TaskManagers reach this one's partitions.
func (x *NetExchange) DataAddress() string { return x.srv.Addr() }

// Pool is the network buffer pool (its peak use is a memory figure).
func (x *NetExchange) Pool() *netio.BufferPool { return x.pool }

// Close stops the server and the client.
func (x *NetExchange) Close() error {
	return errors.Join(x.client.Close(), x.srv.Close())
}

// ReleasePartitions implements runtime.PartitionReleaser.
func (x *NetExchange) ReleasePartitions(job string, attempt func(int) bool) int {
	return x.reg.ReleaseMatching(func(id netio.PartitionID) bool { return id.Job == job && attempt(id.Attempt) })
}

// OpenWriter implements runtime.Exchange.
func (x *NetExchange) OpenWriter(_ context.Context, p runtime.PartitionID, _ int, consumers []int) (runtime.PartitionWriter, error) {
	part, err := netio.NewResultPartition(netio.PartitionOptions{
		ID:               netio.PartitionID{Job: p.Job, Attempt: p.Attempt, Edge: p.Edge, Producer: p.Producer},
		NumSubpartitions: len(consumers), Pool: x.pool,
		// The task flushes when idle; no timer goroutine is needed.
		FlushInterval: -1,
	})
	if err != nil {
		return nil, err
	}
	if err := x.reg.Register(part); err != nil {
		part.Release()
		return nil, err
	}
	return &netWriter{x: x, part: part}, nil
}

type netWriter struct {
	x    *NetExchange
	part *netio.ResultPartition
}

func (w *netWriter) NumChannels() int { return w.part.NumSubpartitions() }

func (w *netWriter) NewBuffer() []byte { return (*w.x.frames.Get().(*[]byte))[:0] }

func (w *netWriter) WriteBuffer(ctx context.Context, ch int, data []byte) error {
	frame := data
	for len(data) > 0 {
		rec, rest, err := runtime.NextRecord(data)
		if err != nil {
			return err
		}
		if err := w.part.Emit(ctx, ch, rec); err != nil {
			return err
		}
		data = rest
	}
	frame = frame[:0]
	w.x.frames.Put(&frame)
	return nil
}

func (w *netWriter) Flush() { w.part.Flush() }

func (w *netWriter) WriteEvent(ctx context.Context, ch int, ev runtime.Event) error {
	return w.part.EmitEvent(ctx, ch, netio.Event{Kind: netio.EventKind(ev.Kind), Timestamp: ev.Timestamp, CheckpointID: ev.CheckpointID,
		Savepoint: ev.Savepoint})
}

func (w *netWriter) Finish(ctx context.Context) error { return w.part.Finish(ctx) }

func (w *netWriter) Abort(err error) {
	w.part.Fail(err)
	w.part.Release()
}

// OpenGate implements runtime.Exchange.
func (x *NetExchange) OpenGate(ctx context.Context, id runtime.GateID, inputs []runtime.GateInput) (runtime.InputGate, error) {
	var chans []*netio.InputChannel
	var from []runtime.Element
	for _, in := range inputs {
		if len(in.Locations) != len(in.Producers) {
			return nil, fmt.Errorf("gate %s: edge %d: %d producers but %d locations", id, in.Edge, len(in.Producers), len(in.Locations))
		}
		for j, p := range in.Producers {
			pid := netio.PartitionID{Job: id.Job, Attempt: id.Attempt, Edge: in.Edge, Producer: p}
			var ch *netio.InputChannel
			var err error
			if loc := in.Locations[j]; loc.TaskManager == x.self {
				ch, err = netio.DialLocal(x.reg, pid, in.Subpartition, netio.LocalOptions{})
			} else {
				ch, err = x.client.Dial(ctx, loc.DataAddress, pid, in.Subpartition)
			}
			if err != nil {
				if len(chans) > 0 {
					if g, gerr := netio.NewInputGate(chans, netio.GateOptions{}); gerr == nil {
						_ = g.Close() // releases the channels dialled so far; the dial error is the cause
					}
				}
				return nil, fmt.Errorf("gate %s: %w", id, err)
			}
			chans = append(chans, ch)
			from = append(from, runtime.Element{Edge: in.Edge, Producer: p})
		}
	}
	g, err := netio.NewInputGate(chans, netio.GateOptions{})
	if err != nil {
		return nil, fmt.Errorf("gate %s: %w", id, err)
	}
	index := make(map[[2]int]int, len(from))
	for i, f := range from {
		index[[2]int{f.Edge, f.Producer}] = i
	}
	return &netGate{g: g, from: from, index: index}, nil
}

type netGate struct {
	g     *netio.InputGate
	from  []runtime.Element
	index map[[2]int]int // (edge, producer) → channel
}

func (g *netGate) Ready() <-chan struct{} { return g.g.Ready() }

// Block pauses the channel: once its credit is used up, the producer's
// writes block (credit-based flow control), so the gate holds at most the
// channel's credit of buffers.
func (g *netGate) Block(edge, producer int) {
	if i, ok := g.index[[2]int{edge, producer}]; ok {
		g.g.Pause(i)
	}
}

func (g *netGate) Unblock(edge, producer int) {
	if i, ok := g.index[[2]int{edge, producer}]; ok {
		g.g.Resume(i)
	}
}

func (g *netGate) convert(el netio.Element) runtime.Element {
	out := g.from[el.Channel]
	out.Record = el.Record
	out.Event = runtime.Event{Kind: runtime.EventKind(el.Event.Kind), Timestamp: el.Event.Timestamp,
		CheckpointID: el.Event.CheckpointID, Savepoint: el.Event.Savepoint}
	return out
}

func (g *netGate) Next(ctx context.Context) (runtime.Element, error) {
	el, err := g.g.Next(ctx)
	if err != nil {
		return runtime.Element{}, err
	}
	return g.convert(el), nil
}

func (g *netGate) Poll() (runtime.Element, bool, error) {
	el, ok, err := g.g.Poll()
	if err != nil || !ok {
		return runtime.Element{}, false, err
	}
	return g.convert(el), true, nil
}

func (g *netGate) Close() error { return g.g.Close() }
