package stream

import (
	"fmt"

	"github.com/floe-yarn/floe/runtime"
)

// SplitAwareReader is a SplitReader that tells which split the record
// Next (or its batch path) returned last came from, so that a source with
// a WatermarkStrategy keeps a watermark per split. The built-in readers
// implement it; a reader that does not gets one watermark for all its
// splits.
type SplitAwareReader interface {
	CurrentSplit() string
}

// FromSourceWithWatermarks adds src with event timestamps and watermarks
// from strategy (Flink's fromSource(source, watermarkStrategy, name)):
// every split has its own generator, and the source subtask's watermark is
// the minimum over its splits that have started (delivered a record), are
// not finished and not idle. A finished split stops holding it back. The
// strategy needs a timestamp assigner: a Source gives no timestamps.
func FromSourceWithWatermarks[T any](env *Environment, src Source[T], strategy WatermarkStrategy[T], name string) Stream[T] {
	if err := strategy.check(); err != nil {
		env.fail(fmt.Errorf("source %s: %w", name, err))
	} else if strategy.assigner == nil {
		env.fail(fmt.Errorf("source %s: the watermark strategy has no timestamp assigner and a Source gives no timestamps: add WithTimestampAssigner", name))
	}
	s := addSplitSourceWith(env, "source", name, src, &strategy)
	env.nodes[s.node].assignsTimestamps = true
	return s
}

// splitWatermarks is a source subtask's watermark multiplexer: one
// generator per split, combined into the subtask's watermark.
type splitWatermarks[T any] struct {
	s        WatermarkStrategy[T]
	tc       *runtime.TimeContext
	reader   SplitReader[T]
	aware    SplitAwareReader
	cur      string
	gens     map[string]*watermarkGen[T]
	sent     int64
	idleSent bool
}

func newSplitWatermarks[T any](s WatermarkStrategy[T], tc *runtime.TimeContext) *splitWatermarks[T] {
	return &splitWatermarks[T]{s: s, tc: tc, gens: map[string]*watermarkGen[T]{}, sent: runtime.MinWatermark}
}

// setReader is called once the subtask's reader is open.
func (m *splitWatermarks[T]) setReader(r SplitReader[T]) {
	m.reader = r
	m.aware, _ = r.(SplitAwareReader)
}

// wrap returns emit with timestamps and watermarks.
func (m *splitWatermarks[T]) wrap(emit func(T)) func(T) {
	return func(v T) {
		ts := m.s.assigner(v, runtime.MinWatermark)
		m.tc.SetTimestamp(ts)
		emit(v)
		m.onEvent(v, ts)
	}
}

func (m *splitWatermarks[T]) onEvent(v T, ts int64) {
	id := ""
	if m.aware != nil {
		id = m.aware.CurrentSplit()
	}
	if id != m.cur {
		m.cur = id
		m.dropFinished()
	}
	g := m.gens[id]
	if g == nil {
		g = newWatermarkGen(m.s, m.tc.ProcessingTime())
		m.gens[id] = g
	}
	g.onEvent(v, ts)
	if g.changed {
		m.combine()
	}
}

// periodic runs every generator's periodic emission.
func (m *splitWatermarks[T]) periodic(now int64) {
	for _, g := range m.gens {
		g.periodic(now)
	}
	m.dropFinished()
	m.combine()
}

// dropFinished forgets the generators of splits the reader finished.
func (m *splitWatermarks[T]) dropFinished() {
	if m.aware == nil || len(m.gens) == 0 {
		return
	}
	live := map[string]bool{}
	for _, s := range m.reader.Snapshot() {
		live[s.ID] = true
	}
	for id := range m.gens {
		if !live[id] {
			delete(m.gens, id)
		}
	}
}

// combine emits the minimum over the active splits, or idleness when
// every split is idle.
func (m *splitWatermarks[T]) combine() {
	low, active, idle := runtime.MaxWatermark, false, false
	for _, g := range m.gens {
		g.changed = false
		if g.idle {
			idle = true
			continue
		}
		active = true
		low = min(low, g.wm)
	}
	switch {
	case active:
		if low > m.sent {
			m.sent, m.idleSent = low, false
			m.tc.EmitWatermark(low)
		}
	case idle && !m.idleSent:
		m.idleSent = true
		m.tc.EmitWatermark(runtime.IdleWatermark)
	}
}
