package state

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestTTL(t *testing.T) {
	for _, bc := range backendCases() {
		for _, tc := range []struct {
			name      string
			upd       TTLUpdate
			readAt    time.Duration // a read at this age...
			aliveAt   time.Duration // ...then is the value still there at this age?
			wantAlive bool
		}{
			{"write renews only", OnCreateAndWrite, 5 * time.Second, 12 * time.Second, false},
			{"read renews", OnReadAndWrite, 5 * time.Second, 12 * time.Second, true},
			{"just before expiry", OnCreateAndWrite, time.Second, 9 * time.Second, true},
			{"at expiry", OnCreateAndWrite, time.Second, 10 * time.Second, false},
		} {
			t.Run(bc.name+"/"+tc.name, func(t *testing.T) {
				clk := newFakeClock()
				b := bc.make(t, Options{Clock: clk.Now})
				ttl := TTLConfig{TTL: 10 * time.Second, Update: tc.upd}
				v, err := NewValueState(b, ValueDescriptor[string]{Name: "v", TTL: ttl})
				must(t, err)
				m, err := NewMapState(b, MapDescriptor[string, string]{Name: "m", TTL: ttl})
				must(t, err)
				setKey(b, "k")
				must(t, v.Update("x"))
				must(t, m.Put("e", "y"))
				clk.Advance(tc.readAt)
				if _, ok, _ := v.Value(); !ok {
					t.Fatal("value gone too early")
				}
				if _, ok, _ := m.Get("e"); !ok {
					t.Fatal("map entry gone too early")
				}
				clk.Advance(tc.aliveAt - tc.readAt)
				_, ok, err := v.Value()
				must(t, err)
				if ok != tc.wantAlive {
					t.Fatalf("value alive %v, want %v", ok, tc.wantAlive)
				}
				n := 0
				must(t, m.Range(func(string, string) bool { n++; return true }))
				if (n == 1) != tc.wantAlive {
					t.Fatalf("map entries %d, want alive %v", n, tc.wantAlive)
				}
			})
		}
	}
}

// Expired values never reach a snapshot, even when nobody read them.
func TestTTLCleanedInSnapshot(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			clk := newFakeClock()
			b := bc.make(t, Options{Clock: clk.Now})
			v, err := NewValueState(b, ValueDescriptor[string]{Name: "v", TTL: TTLConfig{TTL: time.Minute}})
			must(t, err)
			setKey(b, "old")
			must(t, v.Update("expires"))
			clk.Advance(2 * time.Minute)
			setKey(b, "new")
			must(t, v.Update("stays"))
			sp := savepointBytes(t, b)
			if bytes.Contains(sp, []byte("expires")) || !bytes.Contains(sp, []byte("stays")) {
				t.Fatalf("snapshot holds the wrong values: %q", sp)
			}
			r := openBackend(t, TypeHashMap, Options{Clock: clk.Now})
			must(t, r.RestoreSavepoint(context.Background(), bytes.NewReader(sp)))
			rv, err := NewValueState(r, ValueDescriptor[string]{Name: "v", TTL: TTLConfig{TTL: time.Minute}})
			must(t, err)
			setKey(r, "new")
			if got, ok, _ := rv.Value(); got != "stays" || !ok {
				t.Fatalf("restored %q %v", got, ok)
			}
		})
	}
}

// PurgeExpired deletes expired values (also ones never read again) and
// keeps live ones.
func TestPurgeExpired(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			clk := newFakeClock()
			b := bc.make(t, Options{Clock: clk.Now})
			ttl := TTLConfig{TTL: time.Minute}
			v, err := NewValueState(b, ValueDescriptor[int]{Name: "v", TTL: ttl})
			must(t, err)
			m, err := NewMapState(b, MapDescriptor[int, int]{Name: "m", TTL: ttl})
			must(t, err)
			forever, err := NewValueState(b, ValueDescriptor[int]{Name: "forever"})
			must(t, err)
			for i := 0; i < 50; i++ {
				setKey(b, itoa(i))
				must(t, v.Update(i))
				must(t, m.Put(i, i))
				must(t, forever.Update(i))
			}
			clk.Advance(30 * time.Second)
			setKey(b, "late")
			must(t, v.Update(1))
			clk.Advance(45 * time.Second)
			sn, err := b.SavepointSnapshot() // a snapshot in flight must keep its view
			must(t, err)
			defer sn.Release()
			n, err := b.PurgeExpired(context.Background())
			must(t, err)
			if n != 100 {
				t.Fatalf("purged %d, want 100", n)
			}
			if n, _ := b.PurgeExpired(context.Background()); n != 0 {
				t.Fatalf("second purge removed %d", n)
			}
			setKey(b, "late")
			if _, ok, _ := v.Value(); !ok {
				t.Fatal("live value purged")
			}
			setKey(b, "7")
			if x, ok, _ := forever.Value(); !ok || x != 7 {
				t.Fatal("state without TTL purged")
			}
		})
	}
}
