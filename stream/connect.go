package stream

import (
	"fmt"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/runtime"
)

// ConnectedStreams are two streams, possibly of different types, that one
// two-input operator reads (Flink's ConnectedStreams). The operator's task
// aligns checkpoint barriers over the channels of both inputs, and its
// watermark is the minimum of both inputs'.
type ConnectedStreams[A, B any] struct {
	a Stream[A]
	b Stream[B]
}

// Connect connects a and b for CoProcess. Unlike Union, the streams keep
// their types and the function tells them apart.
func Connect[A, B any](a Stream[A], b Stream[B]) ConnectedStreams[A, B] {
	if a.env != b.env {
		a.env.fail(fmt.Errorf("connect streams from different environments"))
	}
	return ConnectedStreams[A, B]{a: a, b: b}
}

// CoContext is what a CoProcessFunction knows: where it runs, the current
// record's timestamp, and the side outputs (Output).
type CoContext struct {
	sub int
	tc  *runtime.TimeContext
	sideOutputs
}

// Subtask is the index of the parallel instance running the function.
func (c *CoContext) Subtask() int { return c.sub }

// Timestamp is the event timestamp of the record being processed; false
// when it has none.
func (c *CoContext) Timestamp() (int64, bool) {
	if c.tc == nil {
		return 0, false
	}
	return c.tc.Timestamp()
}

// CoProcessFunction processes the records of two connected streams (Flink's
// CoProcessFunction): ProcessElement1 those of the first, ProcessElement2
// those of the second. Both run on the same goroutine, never at once.
type CoProcessFunction[A, B, O any] interface {
	ProcessElement1(ctx *CoContext, v A, emit func(O))
	ProcessElement2(ctx *CoContext, v B, emit func(O))
}

// CoProcessFuncs is a CoProcessFunction made of two functions.
type CoProcessFuncs[A, B, O any] struct {
	Element1 func(ctx *CoContext, v A, emit func(O))
	Element2 func(ctx *CoContext, v B, emit func(O))
}

// ProcessElement1 calls Element1.
func (f CoProcessFuncs[A, B, O]) ProcessElement1(ctx *CoContext, v A, emit func(O)) {
	f.Element1(ctx, v, emit)
}

// ProcessElement2 calls Element2.
func (f CoProcessFuncs[A, B, O]) ProcessElement2(ctx *CoContext, v B, emit func(O)) {
	f.Element2(ctx, v, emit)
}

// CoProcess runs fn over the records of both connected streams.
func CoProcess[A, B, O any](c ConnectedStreams[A, B], fn CoProcessFunction[A, B, O]) Stream[O] {
	oc := codecFor[O](c.a.env, "CoProcess")
	n := addCoOperator(c.a, c.b, "coprocess", "CoProcess", oc, func(rc runtime.OperatorContext, emit func(O), sides sideOutputs) (*coInstance[A, B], error) {
		emit = countedEmit(rc, emit)
		ctx := &CoContext{sub: rc.Subtask, tc: rc.Time, sideOutputs: sides}
		return &coInstance[A, B]{
			instance: &instance[A]{in: func(v A) { fn.ProcessElement1(ctx, v, emit) }},
			in2:      func(v B) { fn.ProcessElement2(ctx, v, emit) },
		}, nil
	})
	return newStream(c.a.env, n, oc)
}

// coInstance is a running two-input operator: the first input's instance
// (which also holds the checkpoint and life-cycle functions) and the
// second input.
type coInstance[A, B any] struct {
	*instance[A]
	in2    func(B)
	codec2 runtime.Codec[B]
}

// PushRecord2 decodes a record of the second input and processes it.
func (c *coInstance[A, B]) PushRecord2(rec []byte) error {
	if c.codec2 == nil || c.in2 == nil {
		return fmt.Errorf("operator has no second input")
	}
	v, _, err := c.codec2.Decode(rec)
	if err != nil {
		return fmt.Errorf("decode %s record of the second input: %w", typeName[B](), err)
	}
	c.in2(v)
	return nil
}

// coFactory builds a two-input operator reading A and B, emitting O.
type coFactory[A, B, O any] struct {
	factory[A, O]
	in2   runtime.Codec[B]
	open2 func(oc runtime.OperatorContext, emit func(O), sides sideOutputs) (*coInstance[A, B], error)
}

func (f *coFactory[A, B, O]) Open(oc runtime.OperatorContext, out any) (runtime.Operator, error) {
	emit, _ := out.(func(O))
	var sides sideOutputs
	if set, ok := out.(*outputSet[O]); ok {
		emit, sides = set.main, set.sides
	}
	inst, err := f.open2(oc, emit, sides)
	if err != nil {
		return nil, err
	}
	inst.codec, inst.codec2 = f.in, f.in2
	inst.time = oc.Time
	return inst, nil
}

// addCoOperator appends a two-input operator reading a (input 0) and b
// (input 1) and returns its node index.
func addCoOperator[A, B, O any](a Stream[A], b Stream[B], kind, name string, out runtime.Codec[O],
	open func(oc runtime.OperatorContext, emit func(O), sides sideOutputs) (*coInstance[A, B], error)) int {
	env := a.env
	n := env.addNode(kind, name, typeName[O]())
	env.nodes[n].factory = &coFactory[A, B, O]{factory: factory[A, O]{env: env, node: n, in: a.codec, out: out}, in2: b.codec, open2: open}
	connectInput(a, n, 0)
	connectInput(b, n, 1)
	return n
}

// connectInput adds the edges from s's producers to input of operator to.
func connectInput[T any](s Stream[T], to, input int) {
	for _, u := range s.ups {
		s.env.edges = append(s.env.edges, graph.Edge{From: u.node, To: to, Partitioner: u.part, Input: input})
		if u.key != nil {
			s.env.keyHashes[[2]int{u.node, to}] = u.key
		}
	}
}
