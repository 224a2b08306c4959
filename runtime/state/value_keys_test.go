package state

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/runtime"
)

// ForEach visits every key with a live value in the current namespace, on
// both backends: not other namespaces, not cleared or expired values.
func TestValueStateForEach(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			clock := newFakeClock()
			b := bc.make(t, Options{Clock: clock.Now})
			v, err := NewValueState(b, ValueDescriptor[string]{Name: "v"})
			must(t, err)
			short, err := NewValueState(b, ValueDescriptor[string]{Name: "short", TTL: TTLConfig{TTL: time.Second}})
			must(t, err)
			for _, k := range []string{"a", "b", "c", "gone"} {
				setKey(b, k)
				must(t, v.Update(k+"-value"))
				must(t, short.Update(k))
			}
			setKey(b, "gone")
			must(t, v.Clear())
			v.SetNamespace([]byte("window"))
			setKey(b, "other-ns")
			must(t, v.Update("x"))
			v.SetNamespace(nil)

			var got []string
			must(t, v.ForEach(func(key []byte, kg int, val string) error {
				if want := KeyGroupOf(runtime.HashString(string(key)), b.MaxParallelism()); kg != want {
					t.Errorf("key %s in key group %d, want %d", key, kg, want)
				}
				got = append(got, string(key)+"="+val)
				return nil
			}))
			sort.Strings(got)
			if strings.Join(got, " ") != "a=a-value b=b-value c=c-value" {
				t.Fatalf("ForEach saw %v", got)
			}
			clock.Advance(2 * time.Second)
			n := 0
			must(t, short.ForEach(func([]byte, int, string) error { n++; return nil }))
			if n != 0 {
				t.Fatalf("ForEach saw %d expired values", n)
			}
		})
	}
}
