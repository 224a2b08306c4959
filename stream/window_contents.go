package stream

import (
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/runtime/state"
)

// AggregateFunction folds records T into an accumulator ACC that yields O
// (Flink's AggregateFunction). Merge combines two accumulators; session
// windows need it.
type AggregateFunction[T, ACC, O any] struct {
	Create func() ACC
	Add    func(acc ACC, v T) ACC
	Result func(acc ACC) O
	Merge  func(a, b ACC) ACC
}

// windowContents is what a window holds for one key, in the keyed state
// backend under the window's namespace: an accumulator folded on every
// record (reduce, aggregate) or the records themselves (process).
type windowContents[T, ACC any] interface {
	setWindow(ns []byte)
	add(v T) error
	get() (ACC, bool, error)
	clear() error
	// merge folds the contents of the windows froms into ns's.
	merge(ns []byte, froms [][]byte) error
}

// aggContents folds records into one ACC per window.
type aggContents[T, ACC any] struct {
	st      *state.ValueState[ACC]
	first   func(T) ACC
	addFn   func(ACC, T) ACC
	mergeFn func(a, b ACC) ACC
}

func newAggContents[T, ACC any](b state.KeyedBackend, c runtime.Codec[ACC], first func(T) ACC, add func(ACC, T) ACC, merge func(a, b ACC) ACC) (*aggContents[T, ACC], error) {
	st, err := state.NewValueState(b, state.ValueDescriptor[ACC]{Name: "window-contents", Codec: c})
	if err != nil {
		return nil, err
	}
	return &aggContents[T, ACC]{st: st, first: first, addFn: add, mergeFn: merge}, nil
}

func (a *aggContents[T, ACC]) setWindow(ns []byte) { a.st.SetNamespace(ns) }

func (a *aggContents[T, ACC]) add(v T) error {
	acc, ok, err := a.st.Value()
	if err != nil {
		return err
	}
	if ok {
		acc = a.addFn(acc, v)
	} else {
		acc = a.first(v)
	}
	return a.st.Update(acc)
}

func (a *aggContents[T, ACC]) get() (ACC, bool, error) { return a.st.Value() }
func (a *aggContents[T, ACC]) clear() error            { return a.st.Clear() }

func (a *aggContents[T, ACC]) merge(ns []byte, froms [][]byte) error {
	var acc ACC
	have := false
	for _, f := range append(froms, ns) {
		a.st.SetNamespace(f)
		v, ok, err := a.st.Value()
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := a.st.Clear(); err != nil {
			return err
		}
		if have {
			acc = a.mergeFn(acc, v)
		} else {
			acc, have = v, true
		}
	}
	a.st.SetNamespace(ns)
	if !have {
		return nil
	}
	return a.st.Update(acc)
}

// listContents keeps every record of a window (full-window functions).
type listContents[T any] struct {
	st *state.ListState[T]
}

func newListContents[T any](b state.KeyedBackend, c runtime.Codec[T]) (*listContents[T], error) {
	st, err := state.NewListState(b, state.ListDescriptor[T]{Name: "window-contents", Codec: c})
	if err != nil {
		return nil, err
	}
	return &listContents[T]{st: st}, nil
}

func (l *listContents[T]) setWindow(ns []byte) { l.st.SetNamespace(ns) }
func (l *listContents[T]) add(v T) error       { return l.st.Add(v) }

func (l *listContents[T]) get() ([]T, bool, error) {
	vs, err := l.st.Get()
	return vs, len(vs) > 0, err
}

func (l *listContents[T]) clear() error { return l.st.Clear() }

func (l *listContents[T]) merge(ns []byte, froms [][]byte) error {
	var all []T
	for _, f := range froms {
		l.st.SetNamespace(f)
		vs, err := l.st.Get()
		if err != nil {
			return err
		}
		all = append(all, vs...)
		if err := l.st.Clear(); err != nil {
			return err
		}
	}
	l.st.SetNamespace(ns)
	if len(all) == 0 {
		return nil
	}
	return l.st.AddAll(all)
}

// evictingContents keeps a window's records and, when the window is read,
// only the last keep of them (Flink's CountEvictor before the function),
// folded into ACC: sliding count windows.
type evictingContents[T, ACC any] struct {
	list *listContents[T]
	keep int
	fold func([]T) ACC
}

func (e *evictingContents[T, ACC]) setWindow(ns []byte) { e.list.setWindow(ns) }
func (e *evictingContents[T, ACC]) add(v T) error       { return e.list.add(v) }
func (e *evictingContents[T, ACC]) clear() error        { return e.list.clear() }
func (e *evictingContents[T, ACC]) merge(ns []byte, froms [][]byte) error {
	return e.list.merge(ns, froms)
}

func (e *evictingContents[T, ACC]) get() (ACC, bool, error) {
	var zero ACC
	vs, ok, err := e.list.get()
	if err != nil || !ok {
		return zero, false, err
	}
	if len(vs) > e.keep {
		vs = vs[len(vs)-e.keep:]
		if err := e.list.st.Update(vs); err != nil {
			return zero, false, err
		}
	}
	return e.fold(vs), true, nil
}
