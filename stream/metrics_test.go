package stream

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/metrics"
	"github.com/floe-yarn/floe/runtime"
	"github.com/rs/zerolog"
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

// TestChainedOperatorRecordCounts runs chained tasks (one vertex each)
// with a metric group and reads each operator's published counts, which
// are derived: a source, a Filter and a FlatMap say what they emitted, a
// Map is one to one, and every operator inside the chain reports as
// numRecordsIn what the one before it emitted.
func TestChainedOperatorRecordCounts(t *testing.T) {
	check := func(t *testing.T, vals map[string]float64, want map[string]float64, absent ...string) {
		t.Helper()
		for k, w := range want {
			if v, ok := vals[k]; !ok || v != w {
				t.Errorf("%s = %v (present %v), want %v", k, v, ok, w)
			}
		}
		for _, k := range absent {
			if v, ok := vals[k]; ok {
				t.Errorf("%s = %v reported, want none", k, v)
			}
		}
	}

	env := NewEnvironment(Options{Parallelism: 1})
	src := FromSlice(env, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}).Name("numbers")
	doubled := Map(src, func(v int64) int64 { return v * 2 }).Name("double")
	twice := FlatMap(doubled, func(v int64, emit func(int64)) { emit(v); emit(v) }).Name("twice")
	fours := Filter(twice, func(v int64) bool { return v%4 == 0 }).Name("fours")
	var got int
	ForEachSubtask(fours, func(int, int64) { got++ }).Name("count")
	vals := chainedOperatorCounts(t, env)
	check(t, vals, map[string]float64{
		"numbers.numRecordsOut": 10,
		"double.numRecordsIn":   10, "double.numRecordsOut": 10,
		"twice.numRecordsIn": 10, "twice.numRecordsOut": 20,
		"fours.numRecordsIn": 20, "fours.numRecordsOut": 10,
		"count.numRecordsIn": 10,
	}, "numbers.numRecordsIn")
	if got != 10 {
		t.Errorf("sink saw %d records, want 10", got)
	}

	for _, tc := range []struct {
		name   string
		build  func(Stream[int64]) Stream[int64]
		want   map[string]float64
		absent []string
	}{
		{"Map", func(s Stream[int64]) Stream[int64] { return Map(s, func(v int64) int64 { return v }) },
			map[string]float64{"numbers.numRecordsOut": 3, "op.numRecordsIn": 3, "op.numRecordsOut": 3, "each.numRecordsIn": 3}, nil},
		{"Filter", func(s Stream[int64]) Stream[int64] { return s.Filter(func(v int64) bool { return v != 2 }) },
			map[string]float64{"op.numRecordsIn": 3, "op.numRecordsOut": 2, "each.numRecordsIn": 2}, nil},
		{"FlatMap", func(s Stream[int64]) Stream[int64] {
			return FlatMap(s, func(v int64, emit func(int64)) { emit(v); emit(v) })
		},
			map[string]float64{"op.numRecordsIn": 3, "op.numRecordsOut": 6, "each.numRecordsIn": 6}, nil},
		// The source itself (renamed "op"): it counts what it emits.
		{"the source", func(s Stream[int64]) Stream[int64] { return s },
			map[string]float64{"op.numRecordsOut": 3, "each.numRecordsIn": 3}, []string{"op.numRecordsIn"}},
	} {
		t.Run("ForEach after "+tc.name, func(t *testing.T) {
			env := NewEnvironment(Options{Parallelism: 1})
			ForEach(tc.build(FromSlice(env, []int64{1, 2, 3}).Name("numbers")).Name("op"), func(int64) {}).Name("each")
			check(t, chainedOperatorCounts(t, env), tc.want, tc.absent...)
		})
	}
}

// chainedOperatorCounts runs env's job, which must chain into one task,
// with a metric group and returns every operator's published figures by
// "<operator name>.<metric>".
func chainedOperatorCounts(t *testing.T, env *Environment) map[string]float64 {
	t.Helper()
	prog, err := env.Program("chained-counts")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(prog.Graph().Vertices); n != 1 {
		t.Fatalf("%d vertices, want the whole pipeline chained in 1", n)
	}
	reg := metrics.NewRegistry()
	group := reg.Root(metrics.ScopeTaskManager).Child(metrics.ScopeJob).Child(metrics.ScopeTask)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := runtime.RunTask(ctx, runtime.TaskOptions{Program: prog, Job: "c", Logger: zerolog.Nop(), Metrics: group}); err != nil {
		t.Fatal(err)
	}
	vals := map[string]float64{}
	reg.Visit(func(p metrics.Point) {
		if strings.HasSuffix(p.Identifier(), ".operator."+p.Name) {
			vals[p.Label(metrics.VarOperatorName)+"."+p.Name] = p.Value
		}
	})
	return vals
}
