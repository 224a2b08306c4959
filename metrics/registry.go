package metrics

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Label is one scope variable and its value.
type Label struct{ Key, Value string }

// Registry holds the groups of one process and advances their meters.
type Registry struct {
	mu     sync.Mutex
	roots  []*Group
	meters map[*Meter]struct{}
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{meters: map[*Meter]struct{}{}} }

// Root adds a top-level group (jobmanager or taskmanager).
func (r *Registry) Root(scope string, labels ...Label) *Group {
	g := &Group{reg: r, scope: []string{scope}, labels: labels, metrics: map[string]any{}, children: map[*Group]struct{}{}}
	r.mu.Lock()
	r.roots = append(r.roots, g)
	r.mu.Unlock()
	return g
}

// Update samples every meter's count at now; call it every few seconds.
func (r *Registry) Update(now time.Time) {
	r.mu.Lock()
	ms := make([]*Meter, 0, len(r.meters))
	for m := range r.meters {
		ms = append(ms, m)
	}
	r.mu.Unlock()
	for _, m := range ms {
		m.sample(now)
	}
}

// Point is one metric's value at a visit.
type Point struct {
	Scope  []string
	Labels []Label
	Name   string
	Value  float64
	// Histogram is set for histograms (Value is then their count).
	Histogram *HistogramStatistics
}

// Identifier is the point's Flink metric identifier: scope and name
// joined by dots.
func (p Point) Identifier() string { return strings.Join(p.Scope, ".") + "." + p.Name }

// Label returns the value of the label key ("" when absent).
func (p Point) Label(key string) string {
	for _, l := range p.Labels {
		if l.Key == key {
			return l.Value
		}
	}
	return ""
}

// Visit calls fn for every metric of every group, groups in creation
// order and metrics by name.
func (r *Registry) Visit(fn func(Point)) {
	r.mu.Lock()
	roots := append([]*Group(nil), r.roots...)
	r.mu.Unlock()
	for _, g := range roots {
		g.visit(fn)
	}
}

// Group is one scope level with its variables and metrics; user code gets
// its operator's group (runtime.OperatorContext.Metrics).
type Group struct {
	reg    *Registry
	parent *Group
	scope  []string
	labels []Label

	mu       sync.Mutex
	closed   bool
	metrics  map[string]any // *Counter, Gauge, *Histogram, *Meter
	children map[*Group]struct{}
	order    []*Group
}

// Child adds a group one scope level down, with the variables of that
// level (the parent's are inherited).
func (g *Group) Child(scope string, labels ...Label) *Group {
	c := &Group{reg: g.reg, parent: g, scope: append(append([]string(nil), g.scope...), scope),
		labels: append(append([]Label(nil), g.labels...), labels...), metrics: map[string]any{}, children: map[*Group]struct{}{}}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.children[c] = struct{}{}
		g.order = append(g.order, c)
	}
	return c
}

// Close removes the group, its metrics and its children from the registry.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	children := g.order
	var meters []*Meter
	for _, m := range g.metrics {
		if mt, ok := m.(*Meter); ok {
			meters = append(meters, mt)
		}
	}
	g.mu.Unlock()
	for _, c := range children {
		c.Close()
	}
	if g.reg != nil {
		g.reg.mu.Lock()
		for _, m := range meters {
			delete(g.reg.meters, m)
		}
		g.reg.mu.Unlock()
	}
	if p := g.parent; p != nil {
		p.mu.Lock()
		if _, ok := p.children[g]; ok {
			delete(p.children, g)
			for i, c := range p.order {
				if c == g {
					p.order = append(p.order[:i:i], p.order[i+1:]...)
					break
				}
			}
		}
		p.mu.Unlock()
	}
}

// Scope is the group's scope levels, outermost first.
func (g *Group) Scope() []string { return append([]string(nil), g.scope...) }

// Labels are the group's variables, the outer levels' first.
func (g *Group) Labels() []Label { return append([]Label(nil), g.labels...) }

func (g *Group) add(name string, m any) any {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.metrics[name]; ok {
		return old
	}
	g.metrics[name] = m
	return m
}

// Counter returns the group's counter called name, created at zero the
// first time.
func (g *Group) Counter(name string) *Counter {
	if c, ok := g.add(name, &Counter{}).(*Counter); ok {
		return c
	}
	return &Counter{} // the name holds another kind: a detached counter
}

// Gauge registers fn as the gauge called name (replacing none: the first
// registration stays). fn runs on the reporters' goroutines.
func (g *Group) Gauge(name string, fn func() float64) { g.add(name, Gauge(fn)) }

// Histogram returns the group's histogram called name, keeping the newest
// window values (1024 when window <= 0).
func (g *Group) Histogram(name string, window int) *Histogram {
	if h, ok := g.add(name, NewHistogram(window)).(*Histogram); ok {
		return h
	}
	return NewHistogram(window)
}

// Meter registers a rate of count per second over the last minute, as
// Flink's MeterView, under name.
func (g *Group) Meter(name string, count func() float64) *Meter {
	m, ok := g.add(name, &Meter{count: count}).(*Meter)
	if !ok {
		return &Meter{count: count}
	}
	if g.reg != nil {
		g.reg.mu.Lock()
		g.reg.meters[m] = struct{}{}
		g.reg.mu.Unlock()
	}
	return m
}

// Visit calls fn for the group's metrics and its descendants'.
func (g *Group) Visit(fn func(Point)) { g.visit(fn) }

// VisitOwn calls fn for the group's own metrics, not its children's.
func (g *Group) VisitOwn(fn func(Point)) { g.visitOwn(fn) }

func (g *Group) visit(fn func(Point)) {
	for _, c := range g.visitOwn(fn) {
		c.visit(fn)
	}
}

// visitOwn reports the group's metrics and returns its children.
func (g *Group) visitOwn(fn func(Point)) []*Group {
	g.mu.Lock()
	names := make([]string, 0, len(g.metrics))
	for n := range g.metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	ms := make([]any, len(names))
	for i, n := range names {
		ms[i] = g.metrics[n]
	}
	children := append([]*Group(nil), g.order...)
	g.mu.Unlock()
	for i, m := range ms {
		p := Point{Scope: g.scope, Labels: g.labels, Name: names[i]}
		switch m := m.(type) {
		case *Counter:
			p.Value = float64(m.Count())
		case Gauge:
			p.Value = m()
		case *Meter:
			p.Value = m.Rate()
		case *Histogram:
			st := m.Statistics()
			p.Value, p.Histogram = float64(st.Count), &st
		}
		fn(p)
	}
	return children
}

// Counter is a count any goroutine may add to.
type Counter struct{ n atomic.Int64 }

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// Add adds n.
func (c *Counter) Add(n int64) { c.n.Add(n) }

// Count is the current count.
func (c *Counter) Count() int64 { return c.n.Load() }

// Gauge is a value read when reported.
type Gauge func() float64

// meterSpan is the time a Meter's rate covers (Flink's MeterView default).
const meterSpan = 60 * time.Second

// Meter is the rate of a count over the last minute of samples.
type Meter struct {
	count func() float64

	mu      sync.Mutex
	samples []meterSample // oldest first, within meterSpan of the newest
}

type meterSample struct {
	at    time.Time
	count float64
}

func (m *Meter) sample(now time.Time) {
	c := m.count()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = append(m.samples, meterSample{now, c})
	for len(m.samples) > 2 && now.Sub(m.samples[1].at) >= meterSpan {
		m.samples = m.samples[1:]
	}
}

// Rate is the count's increase per second between the oldest and newest
// samples (0 before two samples).
func (m *Meter) Rate() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.samples) < 2 {
		return 0
	}
	a, b := m.samples[0], m.samples[len(m.samples)-1]
	d := b.at.Sub(a.at).Seconds()
	if d <= 0 {
		return 0
	}
	return (b.count - a.count) / d
}

// Flatten adds p to m under its name; a histogram adds Flink's dumped
// fields (<name>_count, _min, _max, _mean, _stddev, _p50 … _p999).
func Flatten(m map[string]float64, p Point) {
	h := p.Histogram
	if h == nil {
		m[p.Name] = p.Value
		return
	}
	m[p.Name+"_count"] = float64(h.Count)
	m[p.Name+"_min"] = float64(h.Min)
	m[p.Name+"_max"] = float64(h.Max)
	m[p.Name+"_mean"] = h.Mean
	m[p.Name+"_stddev"] = h.StdDev
	for i := range Quantiles {
		m[p.Name+"_"+QuantileNames[i]] = h.Quantiles[i]
	}
}
