package runtime

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestAligner feeds scripted barriers and channel ends (one per second) and
// checks every action.
func TestAligner(t *testing.T) {
	type step struct {
		in   string // "b<ch> <id>", "eop <ch>" or "abort <id>"
		want string // the action, as fmtAlign prints it
	}
	cases := []struct {
		name     string
		mode     CheckpointingMode
		channels int
		steps    []step
	}{
		{"one channel completes at once", ExactlyOnce, 1, []step{
			{"b0 1", "complete 1 align 0s"},
			{"b0 2", "complete 2 align 0s"},
		}},
		{"exactly-once blocks until all", ExactlyOnce, 3, []step{
			{"b1 1", "block [1]"},
			{"b0 1", "block [0]"},
			{"b2 1", "unblock [1 0] complete 1 align 2s"},
			{"b2 2", "block [2]"},
			{"b0 2", "block [0]"},
			{"b1 2", "unblock [2 0] complete 2 align 2s"},
		}},
		{"at-least-once never blocks", AtLeastOnce, 3, []step{
			{"b1 1", ""},
			{"b0 1", ""},
			{"b2 1", "complete 1 align 0s"},
		}},
		{"newer barrier cancels the pending one", ExactlyOnce, 3, []step{
			{"b0 1", "block [0]"},
			{"b1 2", "abort 1 unblock [0] block [1]"},
			{"b2 1", ""}, // stale
			{"b0 2", "block [0]"},
			{"b2 2", "unblock [1 0] complete 2 align 3s"},
		}},
		{"newer barrier cancels in at-least-once", AtLeastOnce, 2, []step{
			{"b0 1", ""},
			{"b0 2", "abort 1"},
			{"b1 2", "complete 2 align 0s"},
		}},
		{"end of partition during alignment completes it", ExactlyOnce, 3, []step{
			{"b0 1", "block [0]"},
			{"b1 1", "block [1]"},
			{"eop 2", "unblock [0 1] complete 1 align 2s"},
			{"b0 2", "block [0]"},
			{"b1 2", "unblock [0] complete 2 align 1s"},
		}},
		{"end of partition before the barrier", ExactlyOnce, 2, []step{
			{"eop 1", ""},
			{"b0 1", "complete 1 align 0s"},
		}},
		{"at-least-once channel ends after its barrier", AtLeastOnce, 3, []step{
			{"b0 1", ""},
			{"eop 0", ""},
			{"b1 1", ""},
			{"b2 1", "complete 1 align 0s"},
		}},
		{"coordinator abort unblocks", ExactlyOnce, 2, []step{
			{"b0 1", "block [0]"},
			{"abort 2", ""},
			{"abort 1", "abort 1 unblock [0]"},
			{"b1 1", ""}, // stale: 1 was given up
			{"b1 2", "block [1]"},
			{"b0 2", "unblock [1] complete 2 align 1s"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAligner(tc.mode, tc.channels)
			now := time.Unix(0, 0)
			for i, s := range tc.steps {
				now = now.Add(time.Second)
				var act AlignAction
				var ch int
				var id int64
				var err error
				switch {
				case strings.HasPrefix(s.in, "eop "):
					_, err = fmt.Sscanf(s.in, "eop %d", &ch)
					act = a.EndOfPartition(now, ch)
				case strings.HasPrefix(s.in, "abort "):
					_, err = fmt.Sscanf(s.in, "abort %d", &id)
					act = a.Abort(id)
				default:
					_, err = fmt.Sscanf(s.in, "b%d %d", &ch, &id)
					act = a.Barrier(now, ch, id)
				}
				if err != nil {
					t.Fatalf("step %d %q: %v", i, s.in, err)
				}
				if got := fmtAlign(act); got != s.want {
					t.Fatalf("step %d %q: got %q, want %q", i, s.in, got, s.want)
				}
			}
		})
	}
}

func fmtAlign(a AlignAction) string {
	var parts []string
	if a.Abort != 0 {
		parts = append(parts, fmt.Sprintf("abort %d", a.Abort))
	}
	if len(a.Unblock) > 0 {
		parts = append(parts, fmt.Sprintf("unblock %v", a.Unblock))
	}
	if len(a.Block) > 0 {
		parts = append(parts, fmt.Sprintf("block %v", a.Block))
	}
	if a.Complete != 0 {
		parts = append(parts, fmt.Sprintf("complete %d align %s", a.Complete, a.Alignment))
	}
	return strings.Join(parts, " ")
}

// TestAlignerEmptyAction: a zero action carries nothing to do.
func TestAlignerEmptyAction(t *testing.T) {
	a := NewAligner(ExactlyOnce, 2)
	if got := a.EndOfPartition(time.Unix(0, 0), 0); !reflect.DeepEqual(got, AlignAction{}) {
		t.Fatalf("end without pending checkpoint: %+v", got)
	}
	if a.Pending() != 0 {
		t.Fatal("pending checkpoint out of nothing")
	}
}
