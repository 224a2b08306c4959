package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Backend types, the values of state.backend.type.
const (
	TypeHashMap = "hashmap"
	TypePebble  = "pebble"
)

// ParseBackendType checks a state.backend.type value; empty is hashmap.
func ParseBackendType(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", TypeHashMap:
		return TypeHashMap, nil
	case TypePebble:
		return TypePebble, nil
	case "rocksdb":
		return "", fmt.Errorf("state.backend.type %q: Floe has no RocksDB; use %q (Pebble, the Go LSM engine modelled on RocksDB, with incremental checkpoints)", s, TypePebble)
	}
	return "", fmt.Errorf("state.backend.type %q: unknown; use %q or %q", s, TypeHashMap, TypePebble)
}

// KeyedBackend holds the keyed state of one operator subtask for its
// key-group range. The operator sets the current key (and its key group)
// before each record; the states made by NewValueState and friends read and
// write under that key. A backend is used by one goroutine; only its
// snapshots are handed to others.
type KeyedBackend interface {
	// SetCurrentKey sets the key (its codec bytes) and key group that
	// state accesses apply to; key is not retained.
	SetCurrentKey(key []byte, keyGroup int)
	// CurrentKey is the key set last (owned by the backend).
	CurrentKey() []byte
	// CurrentKeyGroup is the key group set last.
	CurrentKeyGroup() int
	// KeyGroupRange is the range this backend holds.
	KeyGroupRange() KeyGroupRange
	// MaxParallelism is the number of key groups of the job.
	MaxParallelism() int
	// SavepointSnapshot takes a synchronous, consistent view of the state
	// for the canonical savepoint format; write it with WriteTo from any
	// goroutine, then Release it.
	SavepointSnapshot() (CanonicalSnapshot, error)
	// RestoreSavepoint loads the key groups of this backend's range from
	// canonical snapshots (one per old subtask when rescaling).
	RestoreSavepoint(ctx context.Context, rs ...io.Reader) error
	// PurgeExpired deletes every value whose TTL has expired (reads and
	// snapshots skip them anyway; this frees the space) and reports how
	// many it deleted. It scans the whole range: call it rarely, e.g.
	// after a checkpoint completes.
	PurgeExpired(ctx context.Context) (int, error)
	// Close releases the state and, for Pebble, removes every local file.
	Close() error

	core() *keyedCore
}

// CanonicalSnapshot is a frozen view of a backend's state.
type CanonicalSnapshot interface {
	// WriteTo writes the canonical savepoint format (format.go) to w.
	WriteTo(ctx context.Context, w io.Writer) (int64, error)
	// Release frees the view; call it once, after WriteTo.
	Release()
}

// Options configure a keyed backend.
type Options struct {
	// Type is state.backend.type: hashmap (default) or pebble.
	Type string
	// MaxParallelism is pipeline.max-parallelism (default 128).
	MaxParallelism int
	// Range is the key-group range held (default: all key groups).
	Range KeyGroupRange
	// Clock is the time for TTL (default time.Now); tests inject one.
	Clock func() time.Time
	// Dir is the local directory for Pebble (a YARN local dir); the
	// backend makes its own subdirectory there and removes it on Close.
	Dir string
	// PebbleRestore lists local directories each holding the files of
	// one Pebble checkpoint (as listed by PebbleCheckpoint) to restore.
	PebbleRestore []string
	// PebbleRestoreShared maps the names of the shared files of
	// PebbleRestore[0] to their SharedName, so that the first checkpoint
	// after the restore reports them as already uploaded instead of
	// uploading the whole state again.
	PebbleRestoreShared map[string]string
}

func (o *Options) fill() error {
	t, err := ParseBackendType(o.Type)
	if err != nil {
		return err
	}
	o.Type = t
	if o.MaxParallelism == 0 {
		o.MaxParallelism = DefaultMaxParallelism
	}
	if o.MaxParallelism < 0 || o.MaxParallelism > MaxKeyGroups {
		return fmt.Errorf("max parallelism %d: must be in 1..%d", o.MaxParallelism, MaxKeyGroups)
	}
	if o.Range == (KeyGroupRange{}) && o.MaxParallelism > 1 {
		o.Range = KeyGroupRange{Start: 0, End: o.MaxParallelism - 1}
	}
	if o.Range.Empty() || o.Range.Start < 0 || o.Range.End >= o.MaxParallelism {
		return fmt.Errorf("%v: not within 0..%d", o.Range, o.MaxParallelism-1)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return nil
}

// New makes the backend opts.Type names.
func New(ctx context.Context, opts Options) (KeyedBackend, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if opts.Type == TypePebble {
		return NewPebble(ctx, opts)
	}
	return NewHashMap(opts)
}

// store is what a backend keeps: entries addressed by state, key group,
// key|namespace (kn) and, for map state, a user key. Values handed to put
// are owned by the store afterwards; values returned by get must not be
// modified and stay valid until the next write.
type store interface {
	get(s *stateMeta, kg int, kn, uk []byte) ([]byte, bool, error)
	put(s *stateMeta, kg int, kn, uk, v []byte) error
	del(s *stateMeta, kg int, kn, uk []byte) error
	// scan calls fn for every user key of map state s under kn.
	scan(s *stateMeta, kg int, kn []byte, fn func(uk, v []byte) error) error
	// scanAll calls fn for every entry of value state s in key group kg.
	scanAll(s *stateMeta, kg int, fn func(kn, v []byte) error) error
	// addState is told about every newly declared state.
	addState(s *stateMeta) error
}

// keyedCore is the part every backend shares: declared states, the current
// key and TTL.
type keyedCore struct {
	maxP    int
	rng     KeyGroupRange
	clock   func() time.Time
	st      store
	key     []byte
	kg      int
	outside bool   // kg is not in rng
	kn      []byte // appendKeyNS(key, ns) scratch
	states  map[string]*stateMeta
	byID    []*stateMeta
}

func newCore(o Options, st store) *keyedCore {
	return &keyedCore{maxP: o.MaxParallelism, rng: o.Range, clock: o.Clock, st: st, kg: o.Range.Start, states: map[string]*stateMeta{}}
}

func (c *keyedCore) SetCurrentKey(key []byte, kg int) {
	c.key = append(c.key[:0], key...)
	c.kg = kg
	c.outside = !c.rng.Contains(kg)
}

// ErrKeyGroupOutOfRange reports a state access for a key whose key group
// this backend does not hold (a routing bug: the exchange sends every key
// to the subtask owning its key group).
var ErrKeyGroupOutOfRange = errors.New("key group out of range")

func (c *keyedCore) check(s *stateMeta) error {
	if c.outside {
		return fmt.Errorf("state %q: key group %d: %w (%v)", s.name, c.kg, ErrKeyGroupOutOfRange, c.rng)
	}
	return nil
}

func (c *keyedCore) del(s *stateMeta, kn, uk []byte) error {
	if err := c.check(s); err != nil {
		return err
	}
	return c.st.del(s, c.kg, kn, uk)
}

func (c *keyedCore) scan(s *stateMeta, kn []byte, fn func(uk, v []byte) error) error {
	if err := c.check(s); err != nil {
		return err
	}
	return c.st.scan(s, c.kg, kn, fn)
}
func (c *keyedCore) CurrentKey() []byte           { return c.key }
func (c *keyedCore) CurrentKeyGroup() int         { return c.kg }
func (c *keyedCore) KeyGroupRange() KeyGroupRange { return c.rng }
func (c *keyedCore) MaxParallelism() int          { return c.maxP }
func (c *keyedCore) core() *keyedCore             { return c }

// declare finds or adds the state called name; a state restored from a
// snapshot keeps its id but must have the same kind and TTL presence.
func (c *keyedCore) declare(name string, kind Kind, ttl TTLConfig) (*stateMeta, error) {
	if name == "" {
		return nil, fmt.Errorf("declare %s state: empty name", kind)
	}
	if ttl.TTL < 0 {
		return nil, fmt.Errorf("declare state %q: negative TTL %v", name, ttl.TTL)
	}
	if s, ok := c.states[name]; ok {
		if s.kind != kind {
			return nil, fmt.Errorf("declare state %q as %s: it is %s state", name, kind, s.kind)
		}
		if (s.ttl > 0) != (ttl.TTL > 0) {
			return nil, fmt.Errorf("declare state %q: TTL %v where the state was stored with TTL %v (enabling or disabling TTL changes the stored format)", name, ttl.TTL, s.ttl)
		}
		s.ttl, s.upd = ttl.TTL, ttl.Update
		return s, nil
	}
	return c.add(name, kind, ttl.TTL, ttl.Update)
}

func (c *keyedCore) add(name string, kind Kind, ttl time.Duration, upd TTLUpdate) (*stateMeta, error) {
	if len(c.byID) >= math.MaxUint16 {
		return nil, fmt.Errorf("declare state %q: too many states", name)
	}
	s := &stateMeta{id: uint16(len(c.byID)), name: name, kind: kind, ttl: ttl, upd: upd}
	if err := c.st.addState(s); err != nil {
		return nil, fmt.Errorf("declare state %q: %w", name, err)
	}
	c.states[name] = s
	c.byID = append(c.byID, s)
	return s, nil
}

// adopt installs a state found in restored Pebble data under its stored id.
func (c *keyedCore) adopt(s *stateMeta) error {
	if old, ok := c.states[s.name]; ok {
		return fmt.Errorf("restore state %q: declared twice (ids %d and %d)", s.name, old.id, s.id)
	}
	for int(s.id) >= len(c.byID) {
		c.byID = append(c.byID, nil)
	}
	if c.byID[s.id] != nil {
		return fmt.Errorf("restore state %q: id %d taken by %q", s.name, s.id, c.byID[s.id].name)
	}
	c.byID[s.id] = s
	c.states[s.name] = s
	return nil
}

// declared lists the states in id order.
func (c *keyedCore) declared() []*stateMeta {
	var out []*stateMeta
	for _, s := range c.byID {
		if s != nil {
			c := *s
			out = append(out, &c)
		}
	}
	return out
}

func (c *keyedCore) nowMs() int64 { return c.clock().UnixMilli() }

// keyNS returns the composite of the current key and ns (scratch; valid
// until the next call).
func (c *keyedCore) keyNS(ns []byte) []byte {
	c.kn = appendKeyNS(c.kn[:0], c.key, ns)
	return c.kn
}

// read returns the payload stored at (s, kn, uk) honoring TTL: an expired
// value is deleted and reported absent; with OnReadAndWrite a read renews.
func (c *keyedCore) read(s *stateMeta, kn, uk []byte) ([]byte, bool, error) {
	if err := c.check(s); err != nil {
		return nil, false, err
	}
	v, ok, err := c.st.get(s, c.kg, kn, uk)
	if err != nil || !ok {
		return nil, false, err
	}
	if s.ttl == 0 {
		return v, true, nil
	}
	exp, payload, err := unwrapTTL(v)
	if err != nil {
		return nil, false, fmt.Errorf("read state %q: %w", s.name, err)
	}
	now := c.nowMs()
	if now >= exp {
		return nil, false, c.st.del(s, c.kg, kn, uk)
	}
	if s.upd == OnReadAndWrite {
		renewed := wrapTTL(make([]byte, 0, len(v)), now+s.ttl.Milliseconds(), payload)
		if err := c.st.put(s, c.kg, kn, uk, renewed); err != nil {
			return nil, false, err
		}
		payload = renewed[ttlHeader:]
	}
	return payload, true, nil
}

// write stores payload (owned by the store afterwards unless TTL copies it).
func (c *keyedCore) write(s *stateMeta, kn, uk, payload []byte) error {
	if err := c.check(s); err != nil {
		return err
	}
	if s.ttl > 0 {
		payload = wrapTTL(make([]byte, 0, ttlHeader+len(payload)), c.nowMs()+s.ttl.Milliseconds(), payload)
	}
	return c.st.put(s, c.kg, kn, uk, payload)
}

// live reports whether a stored value of s is unexpired at nowMs (snapshots
// leave expired values out).
func live(s *stateMeta, v []byte, nowMs int64) bool {
	if s.ttl == 0 {
		return true
	}
	exp, _, err := unwrapTTL(v)
	return err == nil && nowMs < exp
}
