package stream

import (
	"context"
	"fmt"

	"github.com/floe-yarn/floe/runtime"
)

// factory implements runtime.OperatorFactory for an operator reading I and
// emitting O, around an open function that wires the user's code.
type factory[I, O any] struct {
	env  *Environment
	node int
	in   runtime.Codec[I] // nil for sources
	out  runtime.Codec[O] // nil for sinks
	open func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error)
	// openSide, when set instead of open, also gets the side outputs.
	openSide func(oc runtime.OperatorContext, emit func(O), sides sideOutputs) (*instance[I], error)
}

// outputSet is the output of an operator with side outputs.
type outputSet[O any] struct {
	main  func(O)
	sides sideOutputs
}

// instance is one running operator; unset functions do nothing.
type instance[I any] struct {
	in     func(I)
	run    func(ctx context.Context, idle func()) error
	finish func(ctx context.Context) error
	close  func() error
	codec  runtime.Codec[I]
	// Checkpoints (all optional): run with safe points for sources, the
	// synchronous snapshot at a barrier, the coordinator's notifications.
	runSafe  func(ctx context.Context, idle, safePoint func()) error
	snapshot func(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error)
	complete func(id int64) error
	aborted  func(id int64)
	// watermark handles the operator's input watermark (nil: forward it).
	watermark func(wm int64)
	time      *runtime.TimeContext
}

func (f *factory[I, O]) NewOutput(o runtime.Outputs) (any, error) {
	sides, err := f.env.splitSideOutputs(f.node, &o)
	if err != nil {
		return nil, err
	}
	main, err := f.mainOutput(o)
	if err != nil || sides == nil {
		return main, err
	}
	return &outputSet[O]{main: main, sides: sides}, nil
}

func (f *factory[I, O]) mainOutput(o runtime.Outputs) (func(O), error) {
	var fns []func(O)
	for _, c := range o.Chained {
		fn, ok := c.(func(O))
		if !ok {
			return nil, fmt.Errorf("chained consumer takes %T, operator emits %s", c, typeName[O]())
		}
		fns = append(fns, fn)
	}
	for _, ro := range o.Network {
		if f.out == nil {
			return nil, fmt.Errorf("operator emits to edge %d but has no output codec", ro.Edge.Index)
		}
		var key func(O) uint64
		if k, ok := f.env.keyHashes[[2]int{ro.Edge.FromNode, ro.Edge.ToNode}]; ok {
			key = k.(func(O) uint64)
		}
		e, err := runtime.Emitter(ro, f.out, key)
		if err != nil {
			return nil, err
		}
		fns = append(fns, e)
	}
	return fanOut(fns), nil
}

func (f *factory[I, O]) Open(oc runtime.OperatorContext, out any) (runtime.Operator, error) {
	emit, _ := out.(func(O))
	var sides sideOutputs
	if set, ok := out.(*outputSet[O]); ok {
		emit, sides = set.main, set.sides
	}
	var inst *instance[I]
	var err error
	if f.openSide != nil {
		inst, err = f.openSide(oc, emit, sides)
	} else {
		inst, err = f.open(oc, emit)
	}
	if err != nil {
		return nil, err
	}
	inst.codec = f.in
	inst.time = oc.Time
	return inst, nil
}

// ProcessWatermark implements runtime.WatermarkHandler.
func (i *instance[I]) ProcessWatermark(wm int64) {
	if i.watermark != nil {
		i.watermark(wm)
		return
	}
	if i.time != nil {
		i.time.EmitWatermark(wm)
	}
}

// countedEmit wraps emit to count what the operator emits on its main
// output, and tells the task (runtime.OperatorContext.RecordsOut): its
// numRecordsOut and its chained consumers' numRecordsIn. It is for
// operators whose output the user's code or a firing drives (FlatMap,
// process functions, aggregations, windows, joins): a call per record
// out. Map, the rolling Reduce and the timestamp assigner are one to one,
// a Filter counts what it keeps inside its own function, and sources
// count what they emit.
func countedEmit[O any](oc runtime.OperatorContext, emit func(O)) func(O) {
	n := new(int64)
	oc.RecordsOut(n)
	return func(v O) { *n++; emit(v) }
}

func (i *instance[I]) Input() any {
	if i.in == nil {
		return nil
	}
	return i.in
}

func (i *instance[I]) PushRecord(rec []byte) error {
	if i.codec == nil || i.in == nil {
		return fmt.Errorf("operator has no input")
	}
	v, _, err := i.codec.Decode(rec)
	if err != nil {
		return fmt.Errorf("decode %s record: %w", typeName[I](), err)
	}
	i.in(v)
	return nil
}

func (i *instance[I]) Run(ctx context.Context, idle func()) error {
	if i.run == nil {
		return fmt.Errorf("operator is not a source")
	}
	return i.run(ctx, idle)
}

// RunWithSafePoint runs a source that lets the runtime take checkpoints
// between its records.
func (i *instance[I]) RunWithSafePoint(ctx context.Context, idle, safePoint func()) error {
	if i.runSafe != nil {
		return i.runSafe(ctx, idle, safePoint)
	}
	return i.Run(ctx, idle)
}

// SnapshotState takes the operator's part of a checkpoint; an operator
// without state returns an empty snapshot.
func (i *instance[I]) SnapshotState(ctx context.Context, cp runtime.CheckpointMeta) (runtime.OperatorSnapshot, error) {
	if i.snapshot == nil {
		return runtime.OperatorSnapshot{}, nil
	}
	return i.snapshot(ctx, cp)
}

// NotifyCheckpointComplete passes the notice on (sinks commit).
func (i *instance[I]) NotifyCheckpointComplete(id int64) error {
	if i.complete == nil {
		return nil
	}
	return i.complete(id)
}

// NotifyCheckpointAborted passes the notice on.
func (i *instance[I]) NotifyCheckpointAborted(id int64) {
	if i.aborted != nil {
		i.aborted(id)
	}
}

func (i *instance[I]) Finish(ctx context.Context) error {
	if i.finish == nil {
		return nil
	}
	return i.finish(ctx)
}

func (i *instance[I]) Close() error {
	if i.close == nil {
		return nil
	}
	return i.close()
}

// addOperator appends a non-source operator consuming in and returns its
// node index.
func addOperator[I, O any](in Stream[I], kind, name string, out runtime.Codec[O],
	open func(oc runtime.OperatorContext, emit func(O)) (*instance[I], error)) int {
	env := in.env
	n := env.addNode(kind, name, typeName[O]())
	env.nodes[n].factory = &factory[I, O]{env: env, node: n, in: in.codec, out: out, open: open}
	in.connect(n)
	return n
}
