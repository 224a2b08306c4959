package netio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// PartitionID names the result partition one producer subtask writes for
// one job edge in one execution attempt (the same fields as
// runtime.PartitionID). A restarted producer writes a new attempt, so a
// consumer of the old attempt can never read the new one by mistake.
type PartitionID struct {
	Job      string
	Attempt  int
	Edge     int // job edge index
	Producer int // producer subtask index
}

func (id PartitionID) String() string {
	return fmt.Sprintf("%s#%d/e%d/p%d", id.Job, id.Attempt, id.Edge, id.Producer)
}

// Defaults for PartitionOptions.
const (
	DefaultFlushInterval             = 5 * time.Millisecond
	DefaultMaxBuffersPerSubpartition = 8
)

// PartitionOptions configures a ResultPartition.
type PartitionOptions struct {
	ID PartitionID
	// NumSubpartitions is the number of consumer subtasks; subpartition i
	// is read by consumer subtask i.
	NumSubpartitions int
	// Pool provides the buffers records are written into.
	Pool *BufferPool
	// FlushInterval ships partly filled buffers this often, so that a
	// low-rate stream still flows. 0 means DefaultFlushInterval; a negative
	// interval disables the timer (buffers then ship when full, on Flush and
	// before events).
	FlushInterval time.Duration
	// MaxBuffersPerSubpartition bounds the finished buffers (and events)
	// waiting for credit in one subpartition; the writer blocks beyond it.
	// 0 means DefaultMaxBuffersPerSubpartition.
	MaxBuffersPerSubpartition int
	Logger                    zerolog.Logger
}

// ResultPartition is the producer side of one job edge for one producer
// subtask: one subpartition per consumer subtask, each a queue of buffers
// and events sent to its consumer as credit allows.
//
// Emit, EmitEvent, Broadcast, Flush and Finish must be called from a single
// goroutine (the producing task); Fail and Release may be called from any.
type ResultPartition struct {
	id       PartitionID
	pool     *BufferPool
	maxQueue int
	log      zerolog.Logger
	subs     []*subpartition

	abort     chan struct{} // closed by Fail and Release: writers stop waiting
	abortOnce sync.Once
	stopFlush chan struct{}
	stopOnce  sync.Once
	flushDone chan struct{}
	done      chan struct{} // every subpartition drained, or aborted
	doneOnce  sync.Once

	mu       sync.Mutex
	drained  int
	finished bool
	registry *Registry // set by Registry.Register
}

// NewResultPartition validates opts and returns a partition ready for
// writing. Register it with a Registry so consumers can request it, and
// Release it when the job attempt ends.
func NewResultPartition(opts PartitionOptions) (*ResultPartition, error) {
	if opts.NumSubpartitions <= 0 {
		return nil, fmt.Errorf("netio: partition %s: %d subpartitions", opts.ID, opts.NumSubpartitions)
	}
	if opts.Pool == nil {
		return nil, fmt.Errorf("netio: partition %s: no buffer pool", opts.ID)
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.MaxBuffersPerSubpartition <= 0 {
		opts.MaxBuffersPerSubpartition = DefaultMaxBuffersPerSubpartition
	}
	p := &ResultPartition{
		id:        opts.ID,
		pool:      opts.Pool,
		maxQueue:  opts.MaxBuffersPerSubpartition,
		log:       opts.Logger.With().Str("component", "netio").Stringer("partition", opts.ID).Logger(),
		abort:     make(chan struct{}),
		stopFlush: make(chan struct{}),
		flushDone: make(chan struct{}),
		done:      make(chan struct{}),
	}
	p.subs = make([]*subpartition, opts.NumSubpartitions)
	for i := range p.subs {
		p.subs[i] = newSubpartition(p, i)
	}
	if opts.FlushInterval > 0 {
		go p.flushLoop(opts.FlushInterval)
	} else {
		close(p.flushDone)
	}
	return p, nil
}

// ID returns the partition's id.
func (p *ResultPartition) ID() PartitionID { return p.id }

// NumSubpartitions returns the number of subpartitions.
func (p *ResultPartition) NumSubpartitions() int { return len(p.subs) }

func (p *ResultPartition) sub(i int) (*subpartition, error) {
	if i < 0 || i >= len(p.subs) {
		return nil, fmt.Errorf("netio: partition %s has no subpartition %d (of %d)", p.id, i, len(p.subs))
	}
	return p.subs[i], nil
}

// Emit appends one encoded record to subpartition sub. It copies record, so
// the caller may reuse it at once. It blocks while the subpartition holds
// MaxBuffersPerSubpartition unsent buffers or the pool is empty
// (backpressure), until ctx ends.
func (p *ResultPartition) Emit(ctx context.Context, sub int, record []byte) error {
	sp, err := p.sub(sub)
	if err != nil {
		return err
	}
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(record)))
	return sp.write(ctx, hdr[:n], record)
}

// EmitEvent ships the partly filled buffer of subpartition sub, then the
// event. EndOfPartition is reserved to Finish.
func (p *ResultPartition) EmitEvent(ctx context.Context, sub int, e Event) error {
	if err := validEvent(e); err != nil {
		return err
	}
	if e.Kind == EndOfPartition {
		return fmt.Errorf("netio: partition %s: end of partition is sent by Finish", p.id)
	}
	sp, err := p.sub(sub)
	if err != nil {
		return err
	}
	return sp.event(ctx, e)
}

// Broadcast emits event e to every subpartition (watermarks, barriers).
func (p *ResultPartition) Broadcast(ctx context.Context, e Event) error {
	for i := range p.subs {
		if err := p.EmitEvent(ctx, i, e); err != nil {
			return err
		}
	}
	return nil
}

// Flush ships every partly filled buffer now.
func (p *ResultPartition) Flush() {
	for _, sp := range p.subs {
		sp.flush(true)
	}
}

// Finish ships what is buffered and ends every subpartition with
// EndOfPartition. No record may be emitted afterwards. The data drains in
// the background; Done is closed when every consumer has received it, and
// the partition then unregisters itself.
func (p *ResultPartition) Finish(ctx context.Context) error {
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return fmt.Errorf("netio: partition %s: finished twice", p.id)
	}
	p.finished = true
	p.mu.Unlock()
	p.stopFlusher()
	for _, sp := range p.subs {
		if err := sp.event(ctx, endOfPartition); err != nil {
			return err
		}
	}
	return nil
}

// Fail ends the partition with err: every consumer's input gate returns an
// error wrapping ErrProducerFailed with err's message, queued data is
// dropped and further writes fail. The partition stays registered (so that
// late consumers learn of the failure) until Release.
func (p *ResultPartition) Fail(err error) {
	if err == nil {
		err = errors.New("unknown failure")
	}
	p.abortAll(fmt.Errorf("%w: partition %s: %s", ErrProducerFailed, p.id, err.Error()))
}

// Release drops the partition: consumers still reading get
// ErrPartitionReleased, buffers return to the pool, goroutines end and the
// partition leaves its registry. Call it when the job attempt ends.
func (p *ResultPartition) Release() {
	p.abortAll(fmt.Errorf("%w: partition %s", ErrPartitionReleased, p.id))
	p.unregister()
}

// Done is closed once every subpartition delivered its end of partition to
// its consumer, or when the partition failed or was released.
func (p *ResultPartition) Done() <-chan struct{} { return p.done }

func (p *ResultPartition) abortAll(err error) {
	// Fail the subpartitions before waking writers, so that a woken
	// writer finds the reason.
	for _, sp := range p.subs {
		sp.abort(err)
	}
	p.abortOnce.Do(func() { close(p.abort) })
	p.stopFlusher()
	p.doneOnce.Do(func() { close(p.done) })
}

func (p *ResultPartition) stopFlusher() {
	p.stopOnce.Do(func() { close(p.stopFlush) })
	<-p.flushDone
}

func (p *ResultPartition) unregister() {
	p.mu.Lock()
	r := p.registry
	p.registry = nil
	p.mu.Unlock()
	if r != nil {
		r.remove(p)
	}
}

// subDrained is called once per subpartition that delivered its end of
// partition.
func (p *ResultPartition) subDrained() {
	p.mu.Lock()
	p.drained++
	all := p.drained == len(p.subs)
	p.mu.Unlock()
	if all {
		p.unregister()
		p.doneOnce.Do(func() { close(p.done) })
	}
}

func (p *ResultPartition) flushLoop(every time.Duration) {
	defer close(p.flushDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			for _, sp := range p.subs {
				sp.flush(false)
			}
		case <-p.stopFlush:
			return
		}
	}
}
