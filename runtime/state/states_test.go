package state

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestValueState(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(t, Options{})
			st, err := NewValueState(b, ValueDescriptor[int]{Name: "count"})
			must(t, err)
			setKey(b, "a")
			if _, ok, err := st.Value(); ok || err != nil {
				t.Fatalf("fresh key: ok %v err %v", ok, err)
			}
			must(t, st.Update(1))
			setKey(b, "b")
			must(t, st.Update(2))
			st.SetNamespace([]byte("w1"))
			must(t, st.Update(3))
			st.SetNamespace(VoidNamespace)
			for k, want := range map[string]int{"a": 1, "b": 2} {
				setKey(b, k)
				if v, ok, err := st.Value(); v != want || !ok || err != nil {
					t.Fatalf("key %s: %v %v %v, want %d", k, v, ok, err, want)
				}
			}
			setKey(b, "b")
			st.SetNamespace([]byte("w1"))
			if v, _, _ := st.Value(); v != 3 {
				t.Fatalf("namespace w1: %d", v)
			}
			must(t, st.Clear())
			if _, ok, _ := st.Value(); ok {
				t.Fatal("cleared value still there")
			}
			st.SetNamespace(nil)
			if v, _, _ := st.Value(); v != 2 {
				t.Fatalf("void namespace after clearing w1: %d", v)
			}
		})
	}
}

func TestListState(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(t, Options{})
			st, err := NewListState(b, ListDescriptor[string]{Name: "l"})
			must(t, err)
			setKey(b, "k")
			must(t, st.Add("x"))
			must(t, st.AddAll([]string{"y", "z"}))
			got, err := st.Get()
			must(t, err)
			if !slices.Equal(got, []string{"x", "y", "z"}) {
				t.Fatalf("got %q", got)
			}
			must(t, st.Update([]string{"q"}))
			if got, _ := st.Get(); !slices.Equal(got, []string{"q"}) {
				t.Fatalf("after update %q", got)
			}
			must(t, st.Update(nil))
			if got, _ := st.Get(); got != nil {
				t.Fatalf("after empty update %q", got)
			}
		})
	}
}

func TestMapState(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(t, Options{})
			st, err := NewMapState(b, MapDescriptor[string, int]{Name: "m"})
			must(t, err)
			setKey(b, "k1")
			must(t, st.Put("a", 1))
			must(t, st.Put("b", 2))
			must(t, st.Put("c", 3))
			must(t, st.Remove("b"))
			setKey(b, "k2")
			must(t, st.Put("a", 10))
			setKey(b, "k1")
			if v, ok, _ := st.Get("a"); v != 1 || !ok {
				t.Fatalf("get a: %d %v", v, ok)
			}
			if ok, _ := st.Contains("b"); ok {
				t.Fatal("removed b still there")
			}
			got := map[string]int{}
			must(t, st.Range(func(k string, v int) bool { got[k] = v; return true }))
			if !maps.Equal(got, map[string]int{"a": 1, "c": 3}) {
				t.Fatalf("range: %v", got)
			}
			must(t, st.Clear())
			if empty, _ := st.IsEmpty(); !empty {
				t.Fatal("not empty after clear")
			}
			setKey(b, "k2")
			if v, _, _ := st.Get("a"); v != 10 {
				t.Fatalf("k2 lost its entry: %d", v)
			}
		})
	}
}

func TestReducingAndAggregatingState(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(t, Options{})
			sum, err := NewReducingState(b, ReducingDescriptor[int]{Name: "sum", Reduce: func(a, v int) int { return a + v }})
			must(t, err)
			type avgAcc struct{ Sum, N int }
			avg, err := NewAggregatingState(b, AggregatingDescriptor[int, avgAcc, float64]{Name: "avg", Agg: AggregateFunction[int, avgAcc, float64]{
				Create: func() avgAcc { return avgAcc{} },
				Add:    func(a avgAcc, in int) avgAcc { return avgAcc{a.Sum + in, a.N + 1} },
				Result: func(a avgAcc) float64 { return float64(a.Sum) / float64(a.N) },
			}})
			must(t, err)
			setKey(b, "k")
			for _, v := range []int{1, 2, 6} {
				must(t, sum.Add(v))
				must(t, avg.Add(v))
			}
			if v, ok, _ := sum.Get(); v != 9 || !ok {
				t.Fatalf("sum %d", v)
			}
			if v, ok, _ := avg.Get(); v != 3 || !ok {
				t.Fatalf("avg %v", v)
			}
			must(t, avg.Clear())
			if _, ok, _ := avg.Get(); ok {
				t.Fatal("cleared aggregate still there")
			}
		})
	}
}

func TestDeclareErrors(t *testing.T) {
	b := openBackend(t, TypeHashMap, Options{})
	_, err := NewValueState(b, ValueDescriptor[int]{Name: "x"})
	must(t, err)
	for _, tc := range []struct {
		name string
		do   func() error
		want string
	}{
		{"kind mismatch", func() error { _, err := NewListState(b, ListDescriptor[int]{Name: "x"}); return err }, "it is value state"},
		{"empty name", func() error { _, err := NewValueState(b, ValueDescriptor[int]{}); return err }, "empty name"},
		{"ttl added", func() error {
			_, err := NewValueState(b, ValueDescriptor[int]{Name: "x", TTL: TTLConfig{TTL: time.Second}})
			return err
		}, "TTL"},
		{"no reduce", func() error { _, err := NewReducingState(b, ReducingDescriptor[int]{Name: "r"}); return err }, "no Reduce"},
		{"no codec", func() error { _, err := NewValueState(b, ValueDescriptor[func()]{Name: "f"}); return err }, "no codec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseBackendType(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", TypeHashMap, ""},
		{"HashMap", TypeHashMap, ""},
		{"pebble", TypePebble, ""},
		{"rocksdb", "", "pebble"},
		{"memory", "", "unknown"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBackendType(tc.in)
			if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}
