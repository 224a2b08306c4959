package windowscheck

import (
	"fmt"
	"testing"
	"time"
)

func TestExpectedByHand(t *testing.T) {
	ev := func(ts int64, k string) Event { return Event{TS: ts, Key: k} }
	cases := []struct {
		name   string
		spec   string
		d      time.Duration
		events []Event
		want   string
		late   string
	}{
		{"tumbling, negative timestamps aligned to the epoch", "tumbling:10ms", time.Second,
			[]Event{ev(-1, "a"), ev(-10, "a"), ev(-11, "a"), ev(0, "a"), ev(9, "a")},
			"[a -10 0 2 a -20 -10 1 a 0 10 2]", "[]"},
		{"sliding", "sliding:10ms:5ms", time.Second,
			[]Event{ev(7, "a")},
			"[a 0 10 1 a 5 15 1]", "[]"},
		{"late: window max timestamp <= watermark", "tumbling:10ms", 0,
			// after 20 the watermark is 19: [10,20) (max 19) is late.
			[]Event{ev(20, "a"), ev(19, "a"), ev(20, "b")},
			"[a 20 30 1 b 20 30 1]", "[19 a]"},
		{"sessions that touch merge", "session:10ms", time.Second,
			[]Event{ev(0, "a"), ev(10, "a"), ev(21, "a"), ev(5, "b")},
			"[a 0 20 2 a 21 31 1 b 5 15 1]", "[]"},
		{"a late record rescued by an open session", "session:10ms", 0,
			// watermark 29 after 30: [15,25) alone is late but touches
			// the open [25,40) — open since 39 > 29.
			[]Event{ev(25, "a"), ev(30, "a"), ev(15, "a")},
			"[a 15 40 3]", "[]"},
		{"a closed session is not reopened", "session:10ms", 0,
			[]Event{ev(0, "a"), ev(100, "a"), ev(5, "a")},
			"[a 0 10 1 a 100 110 1]", "[5 a]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := ParseSpec(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			w, l := Expected(tc.events, sp, tc.d)
			if got := fmt.Sprint(w); got != tc.want {
				t.Errorf("windows %s, want %s", got, tc.want)
			}
			if got := fmt.Sprint(l); got != tc.late {
				t.Errorf("late %s, want %s", got, tc.late)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	if err := Compare("x", []string{"b", "a"}, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := Compare("x", []string{"a", "a", "b"}, []string{"a", "b"}); err == nil {
		t.Fatal("a duplicate passed")
	}
	if err := Compare("x", []string{"a"}, []string{"a", "b"}); err == nil {
		t.Fatal("a missing line passed")
	}
}
