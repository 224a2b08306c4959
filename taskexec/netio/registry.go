package netio

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultRequestTimeout bounds how long a partition request waits for its
// producer to register the partition.
const DefaultRequestTimeout = 30 * time.Second

// Registry holds the result partitions produced in one TaskManager, for
// its Server and its local input channels. Subtasks start in any order, so
// a request for a partition not registered yet waits for it (bounded by the
// request timeout) instead of failing at once.
type Registry struct {
	mu      sync.Mutex
	parts   map[PartitionID]*ResultPartition
	changed chan struct{} // closed and replaced whenever a partition registers
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{parts: map[PartitionID]*ResultPartition{}, changed: make(chan struct{})}
}

// Register makes p available to consumers. It unregisters itself once all
// of its data has been consumed, or on Release.
func (r *Registry) Register(p *ResultPartition) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.registry != nil {
		return fmt.Errorf("netio: partition %s registered twice", p.id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.parts[p.id]; ok {
		return fmt.Errorf("netio: partition %s already registered", p.id)
	}
	r.parts[p.id] = p
	p.registry = r
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

// Lookup returns the registered partition id, if any.
func (r *Registry) Lookup(id PartitionID) (*ResultPartition, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.parts[id]
	return p, ok
}

// ReleaseMatching releases every registered partition whose id matches,
// e.g. all partitions of a job attempt that is being cancelled, and
// returns how many it released.
func (r *Registry) ReleaseMatching(match func(PartitionID) bool) int {
	r.mu.Lock()
	var ps []*ResultPartition
	for id, p := range r.parts {
		if match(id) {
			ps = append(ps, p)
		}
	}
	r.mu.Unlock()
	for _, p := range ps {
		p.Release()
	}
	return len(ps)
}

func (r *Registry) remove(p *ResultPartition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parts[p.id] == p {
		delete(r.parts, p.id)
	}
}

// await returns partition id once it is registered, waiting at most timeout.
func (r *Registry) await(ctx context.Context, id PartitionID, timeout time.Duration) (*ResultPartition, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		r.mu.Lock()
		p, ok := r.parts[id]
		changed := r.changed
		r.mu.Unlock()
		if ok {
			return p, nil
		}
		select {
		case <-changed:
		case <-t.C:
			return nil, fmt.Errorf("%w: %s not registered within %s", ErrPartitionNotFound, id, timeout)
		case <-ctx.Done():
			return nil, fmt.Errorf("netio: wait for partition %s: %w", id, context.Cause(ctx))
		}
	}
}
