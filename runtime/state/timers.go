package state

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
)

// TimerKind tells event-time timers (fired by watermarks) from
// processing-time timers (fired by the wall clock).
type TimerKind uint8

// The timer kinds.
const (
	EventTime      TimerKind = 1
	ProcessingTime TimerKind = 2
)

func (k TimerKind) String() string {
	switch k {
	case EventTime:
		return "event-time"
	case ProcessingTime:
		return "processing-time"
	}
	return fmt.Sprintf("timer-kind(%d)", uint8(k))
}

// Timer is one registered timer: when it fires, for which key (codec
// bytes and key group) and in which namespace (a window's bytes, or empty).
type Timer struct {
	Kind      TimerKind
	Time      int64
	Key       []byte
	KeyGroup  int
	Namespace []byte
}

// TimerService keeps one operator subtask's timers (Flink's
// InternalTimerService). Every timer is an entry of a value state of the
// backend — key = the record key, namespace = kind | time | timer
// namespace — so timers are snapshotted, restored and rescaled with the
// keyed state of their key group, by both backends and in the canonical
// format. A priority queue per kind over the same timers orders them by
// time; NewTimerService rebuilds it from the backend after a restore.
//
// A timer is identified by (kind, key, namespace, time): registering it
// twice keeps one, deleting it removes it, and Advance fires each once.
// Like the backend, a TimerService is used by one goroutine.
type TimerService struct {
	c      *keyedCore
	s      *stateMeta
	queues [3]timerHeap // by kind
	live   map[string]struct{}
	nsBuf  []byte
	idBuf  []byte
}

// timerStatePrefix names the backing value state (one per service name).
const timerStatePrefix = "_timers/"

// NewTimerService declares (or, after a restore, finds and loads) the
// timers called name on b.
func NewTimerService(b KeyedBackend, name string) (*TimerService, error) {
	c := b.core()
	s, err := c.declare(timerStatePrefix+name, KindValue, TTLConfig{})
	if err != nil {
		return nil, err
	}
	ts := &TimerService{c: c, s: s, live: map[string]struct{}{}}
	for kg := c.rng.Start; kg <= c.rng.End; kg++ {
		err := c.st.scanAll(s, kg, func(kn, _ []byte) error {
			key, ns, rest, err := splitKeyNS(kn)
			if err != nil || len(rest) != 0 {
				return fmt.Errorf("%w: timers %q: malformed key in key group %d", ErrCorrupt, name, kg)
			}
			t, err := parseTimerNS(ns)
			if err != nil {
				return fmt.Errorf("timers %q, key group %d: %w", name, kg, err)
			}
			t.Key, t.KeyGroup = append([]byte(nil), key...), kg
			ts.push(t)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// timer namespace in the backing state:
//
//	+------+----------------------+-------------------+
//	| kind | time, 8 B big-endian | timer namespace   |
//	| 1 B  | (sign bit flipped)   | (rest)            |
//	+------+----------------------+-------------------+
func appendTimerNS(dst []byte, kind TimerKind, t int64, ns []byte) []byte {
	dst = append(dst, byte(kind))
	dst = binary.BigEndian.AppendUint64(dst, uint64(t)^(1<<63))
	return append(dst, ns...)
}

func parseTimerNS(b []byte) (Timer, error) {
	if len(b) < 9 || (TimerKind(b[0]) != EventTime && TimerKind(b[0]) != ProcessingTime) {
		return Timer{}, fmt.Errorf("%w: malformed timer of %d bytes", ErrCorrupt, len(b))
	}
	return Timer{Kind: TimerKind(b[0]), Time: int64(binary.BigEndian.Uint64(b[1:]) ^ (1 << 63)), Namespace: append([]byte(nil), b[9:]...)}, nil
}

// id is the timer's identity in the live set.
func (ts *TimerService) id(kind TimerKind, t int64, key []byte, ns []byte) string {
	ts.idBuf = appendLP(appendTimerNS(ts.idBuf[:0], kind, t, nil), key)
	ts.idBuf = append(ts.idBuf, ns...)
	return string(ts.idBuf)
}

func (ts *TimerService) push(t Timer) {
	id := ts.id(t.Kind, t.Time, t.Key, t.Namespace)
	if _, ok := ts.live[id]; ok {
		return
	}
	ts.live[id] = struct{}{}
	heap.Push(&ts.queues[t.Kind], t)
}

// Register adds a timer of kind at time t for the current key of the
// backend in namespace ns (nil for none).
func (ts *TimerService) Register(kind TimerKind, t int64, ns []byte) error {
	if err := ts.c.check(ts.s); err != nil {
		return err
	}
	id := ts.id(kind, t, ts.c.key, ns)
	if _, ok := ts.live[id]; ok {
		return nil
	}
	ts.nsBuf = appendTimerNS(ts.nsBuf[:0], kind, t, ns)
	if err := ts.c.write(ts.s, ts.c.keyNS(ts.nsBuf), nil, []byte{1}); err != nil {
		return fmt.Errorf("register %s timer at %d: %w", kind, t, err)
	}
	ts.live[id] = struct{}{}
	heap.Push(&ts.queues[kind], Timer{Kind: kind, Time: t, Key: append([]byte(nil), ts.c.key...), KeyGroup: ts.c.kg, Namespace: append([]byte(nil), ns...)})
	return nil
}

// Delete removes the current key's timer of kind at t in ns, if any; it
// never fires. (Its queue entry is dropped lazily.)
func (ts *TimerService) Delete(kind TimerKind, t int64, ns []byte) error {
	id := ts.id(kind, t, ts.c.key, ns)
	if _, ok := ts.live[id]; !ok {
		return nil
	}
	delete(ts.live, id)
	ts.nsBuf = appendTimerNS(ts.nsBuf[:0], kind, t, ns)
	return ts.c.del(ts.s, ts.c.keyNS(ts.nsBuf), nil)
}

// Next returns the earliest live timer time of kind.
func (ts *TimerService) Next(kind TimerKind) (int64, bool) {
	q := &ts.queues[kind]
	for q.Len() > 0 {
		t := (*q)[0]
		if _, ok := ts.live[ts.id(t.Kind, t.Time, t.Key, t.Namespace)]; ok {
			return t.Time, true
		}
		heap.Pop(q)
	}
	return 0, false
}

// Len is the number of live timers.
func (ts *TimerService) Len() int { return len(ts.live) }

// Advance fires every timer of kind with time <= upTo in time order: it
// removes the timer, sets the backend's current key to the timer's and
// calls fn. fn may register and delete timers; one it registers at or
// before upTo fires in the same call.
func (ts *TimerService) Advance(kind TimerKind, upTo int64, fn func(Timer) error) error {
	q := &ts.queues[kind]
	for q.Len() > 0 && (*q)[0].Time <= upTo {
		t := heap.Pop(q).(Timer)
		id := ts.id(t.Kind, t.Time, t.Key, t.Namespace)
		if _, ok := ts.live[id]; !ok {
			continue // deleted
		}
		delete(ts.live, id)
		ts.c.SetCurrentKey(t.Key, t.KeyGroup)
		ts.nsBuf = appendTimerNS(ts.nsBuf[:0], kind, t.Time, t.Namespace)
		if err := ts.c.del(ts.s, ts.c.keyNS(ts.nsBuf), nil); err != nil {
			return fmt.Errorf("fire %s timer at %d: %w", kind, t.Time, err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

// timerHeap orders timers by time (then key and namespace, so firing
// order is deterministic).
type timerHeap []Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].Time != h[j].Time {
		return h[i].Time < h[j].Time
	}
	if c := bytes.Compare(h[i].Key, h[j].Key); c != 0 {
		return c < 0
	}
	return bytes.Compare(h[i].Namespace, h[j].Namespace) < 0
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(Timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
