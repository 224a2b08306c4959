package netio

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// DefaultBufferSize is the size of a network buffer unless PoolOptions says
// otherwise (Flink's memory segment size).
const DefaultBufferSize = 32 << 10

// Buffer is one fixed-size network buffer. The producer fills it with
// length-prefixed records; the consumer reads records out of it. It belongs
// to exactly one owner at a time, which hands it on or calls Recycle.
type Buffer struct {
	data []byte // len: bytes written; cap: the pool's buffer size
	pool *BufferPool
	out  bool // taken from the pool, not yet recycled
}

// Bytes returns the written part of the buffer.
func (b *Buffer) Bytes() []byte { return b.data }

// Len returns the number of bytes written.
func (b *Buffer) Len() int { return len(b.data) }

// Free returns the number of bytes that still fit.
func (b *Buffer) Free() int { return cap(b.data) - len(b.data) }

// Recycle returns the buffer to its pool. The buffer must not be used
// afterwards; recycling it twice panics, as it would corrupt the pool.
func (b *Buffer) Recycle() { b.pool.recycle(b) }

// PoolOptions sizes a BufferPool.
type PoolOptions struct {
	// NumBuffers bounds the buffers out of the pool at once; the memory
	// bound is NumBuffers × BufferSize (taskmanager.network.memory).
	NumBuffers int
	// BufferSize is the size of every buffer; 0 means DefaultBufferSize.
	BufferSize int
}

// BufferPool is a fixed number of fixed-size buffers shared by the result
// partitions and input channels of a TaskManager. Get blocks while every
// buffer is out: that is where backpressure stops a producer. Buffers are
// allocated on first use and kept for reuse.
type BufferPool struct {
	size   int
	tokens chan struct{} // one token per buffer out of the pool
	peak   atomic.Int64

	mu   sync.Mutex
	free []*Buffer
}

// NewBufferPool validates opts and returns an empty pool.
func NewBufferPool(opts PoolOptions) (*BufferPool, error) {
	if opts.BufferSize == 0 {
		opts.BufferSize = DefaultBufferSize
	}
	if opts.NumBuffers <= 0 || opts.BufferSize < 64 {
		return nil, fmt.Errorf("netio: buffer pool of %d buffers of %d bytes: need at least 1 buffer of at least 64 bytes",
			opts.NumBuffers, opts.BufferSize)
	}
	return &BufferPool{size: opts.BufferSize, tokens: make(chan struct{}, opts.NumBuffers)}, nil
}

// BufferSize returns the size of every buffer.
func (p *BufferPool) BufferSize() int { return p.size }

// NumBuffers returns how many buffers the pool hands out at most.
func (p *BufferPool) NumBuffers() int { return cap(p.tokens) }

// InUse returns how many buffers are out of the pool now.
func (p *BufferPool) InUse() int { return len(p.tokens) }

// PeakInUse returns the most buffers that were out at once.
func (p *BufferPool) PeakInUse() int { return int(p.peak.Load()) }

// Get returns an empty buffer, waiting while all are in use, until ctx ends.
func (p *BufferPool) Get(ctx context.Context) (*Buffer, error) {
	select {
	case p.tokens <- struct{}{}:
	default:
		select {
		case p.tokens <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("netio: wait for a network buffer: %w", context.Cause(ctx))
		}
	}
	return p.take(), nil
}

// TryGet returns an empty buffer, or false when all are in use.
func (p *BufferPool) TryGet() (*Buffer, bool) {
	select {
	case p.tokens <- struct{}{}:
		return p.take(), true
	default:
		return nil, false
	}
}

func (p *BufferPool) take() *Buffer {
	n := int64(len(p.tokens))
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	p.mu.Lock()
	var b *Buffer
	if k := len(p.free); k > 0 {
		b = p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
	}
	p.mu.Unlock()
	if b == nil {
		b = &Buffer{data: make([]byte, 0, p.size), pool: p}
	}
	b.out = true
	return b
}

func (p *BufferPool) recycle(b *Buffer) {
	if !b.out {
		panic("netio: buffer recycled twice")
	}
	b.out = false
	b.data = b.data[:0]
	p.mu.Lock()
	p.free = append(p.free, b)
	p.mu.Unlock()
	<-p.tokens
}
