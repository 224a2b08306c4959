package stream

import (
	"testing"

	"github.com/floe-yarn/floe/metrics"
	"github.com/floe-yarn/floe/runtime"
)

// TestMapWithRegistersUserMetrics opens a MapWith instance with an
// operator group and drives records through it: its counter and
// histogram land in the group.
func TestMapWithRegistersUserMetrics(t *testing.T) {
	env := NewEnvironment(Options{})
	src := FromSlice(env, []int64{1, 2, 3})
	m := MapWith(src, func(rc *RuntimeContext) (func(int64) int64, error) {
		seen := rc.Metrics.Counter("seen")
		sizes := rc.Metrics.Histogram("sizes", 16)
		return func(v int64) int64 { seen.Inc(); sizes.Update(v); return v * 2 }, nil
	})
	var got []int64
	f := env.nodes[m.node].factory
	out, err := f.NewOutput(runtime.Outputs{Chained: []any{func(v int64) { got = append(got, v) }}})
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.NewRegistry()
	op, err := f.Open(runtime.OperatorContext{Metrics: reg.Root(metrics.ScopeOperator)}, out)
	if err != nil {
		t.Fatal(err)
	}
	in := op.Input().(func(int64))
	for _, v := range []int64{1, 2, 3} {
		in(v)
	}
	vals := map[string]float64{}
	reg.Visit(func(p metrics.Point) { vals[p.Name] = p.Value })
	if vals["seen"] != 3 || vals["sizes"] != 3 || len(got) != 3 || got[2] != 6 {
		t.Errorf("metrics %v, output %v", vals, got)
	}
}
