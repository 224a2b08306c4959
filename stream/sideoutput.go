package stream

import (
	"fmt"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/runtime"
)

// OutputTag names a side output of records of type T (Flink's OutputTag):
// a process function emits to it with Output, and SideOutput turns it into
// a stream.
type OutputTag[T any] struct{ name string }

// NewOutputTag returns the tag called name (unique per operator).
func NewOutputTag[T any](name string) OutputTag[T] { return OutputTag[T]{name: name} }

// Name is the tag's name.
func (t OutputTag[T]) Name() string { return t.name }

// SideOutputContext is a function context that can emit to side outputs:
// the contexts of the process functions (Process, KeyedProcess and the
// others) and of window functions.
type SideOutputContext interface {
	sideOutput(name string) any
}

// sideOutputs are the side emitters of one operator instance by tag name
// (each a func(T) boxed in any); nil when it has none.
type sideOutputs map[string]any

func (s sideOutputs) sideOutput(name string) any { return s[name] }

// Output emits v to the side output tag of the operator whose context ctx
// is. Records for a tag nobody reads with SideOutput are dropped.
func Output[T any](ctx SideOutputContext, tag OutputTag[T], v T) {
	if fn, ok := ctx.sideOutput(tag.name).(func(T)); ok {
		fn(v)
	}
}

// sideEdge is the edge from an operator to the node that reads one of its
// side outputs.
type sideEdge struct {
	tag string
	// emitter combines the edge's consumers into a func(T).
	emitter func(chained []any, network []*runtime.RecordOutput) (any, error)
}

// SideOutput returns the records in emits to tag, as a stream. in must be
// the output of one operator (not a union).
func SideOutput[T, O any](in Stream[O], tag OutputTag[T]) Stream[T] {
	env := in.env
	if in.node < 0 {
		env.fail(fmt.Errorf("SideOutput %q of a union: take it from the operator's own stream", tag.name))
		return Stream[T]{env: env, node: -1}
	}
	c := codecFor[T](env, "SideOutput "+tag.name)
	n := env.addNode("sideoutput", "SideOutput "+tag.name, typeName[T]())
	env.nodes[n].factory = &factory[T, T]{env: env, node: n, in: c, out: c, open: func(oc runtime.OperatorContext, emit func(T)) (*instance[T], error) {
		// Counted here (a call per side record): the operator emitting
		// the side output counts only its main output.
		n := oc.RecordsIn()
		oc.OneToOne()
		return &instance[T]{in: func(v T) { *n++; emit(v) }}, nil
	}}
	env.edges = append(env.edges, graphEdge(in.node, n))
	env.sideEdges[[2]int{in.node, n}] = sideEdge{tag: tag.name, emitter: func(chained []any, network []*runtime.RecordOutput) (any, error) {
		var fns []func(T)
		for _, ch := range chained {
			fn, ok := ch.(func(T))
			if !ok {
				return nil, fmt.Errorf("side output %q: chained consumer takes %T, want %s", tag.name, ch, typeName[T]())
			}
			fns = append(fns, fn)
		}
		for _, ro := range network {
			e, err := runtime.Emitter(ro, c, nil)
			if err != nil {
				return nil, err
			}
			fns = append(fns, e)
		}
		return fanOut(fns), nil
	}}
	return newStream(env, n, c)
}

// fanOut calls every fn.
func fanOut[T any](fns []func(T)) func(T) {
	switch len(fns) {
	case 0:
		return func(T) {}
	case 1:
		return fns[0]
	case 2:
		a, b := fns[0], fns[1]
		return func(v T) { a(v); b(v) }
	}
	return func(v T) {
		for _, fn := range fns {
			fn(v)
		}
	}
}

// splitSideOutputs takes the consumers reading side outputs of node out
// of o and returns their emitters by tag.
func (e *Environment) splitSideOutputs(node int, o *runtime.Outputs) (sideOutputs, error) {
	type group struct {
		se      sideEdge
		chained []any
		network []*runtime.RecordOutput
	}
	var groups map[string]*group
	get := func(se sideEdge) *group {
		if groups == nil {
			groups = map[string]*group{}
		}
		g, ok := groups[se.tag]
		if !ok {
			g = &group{se: se}
			groups[se.tag] = g
		}
		return g
	}
	var chained []any
	for i, c := range o.Chained {
		if i < len(o.ChainedTo) {
			if se, ok := e.sideEdges[[2]int{node, o.ChainedTo[i]}]; ok {
				g := get(se)
				g.chained = append(g.chained, c)
				continue
			}
		}
		chained = append(chained, c)
	}
	var network []*runtime.RecordOutput
	for _, ro := range o.Network {
		if se, ok := e.sideEdges[[2]int{node, ro.Edge.ToNode}]; ok {
			g := get(se)
			g.network = append(g.network, ro)
			continue
		}
		network = append(network, ro)
	}
	if groups == nil {
		return nil, nil
	}
	o.Chained, o.ChainedTo, o.Network = chained, nil, network
	sides := sideOutputs{}
	for tag, g := range groups {
		fn, err := g.se.emitter(g.chained, g.network)
		if err != nil {
			return nil, err
		}
		sides[tag] = fn
	}
	return sides, nil
}

func graphEdge(from, to int) graph.Edge { return graph.Edge{From: from, To: to} }
