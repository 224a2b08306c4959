package state

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

type rule struct {
	Type  string
	Count int64
}

func rulesOf(t *testing.T, b *BroadcastBackend) *BroadcastMapState[string, rule] {
	t.Helper()
	s, err := NewBroadcastMapState(b, BroadcastMapDescriptor[string, rule]{Name: "rules"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func contents(s *BroadcastMapState[string, rule]) string {
	m := map[string]rule{}
	s.Range(func(k string, v rule) bool { m[k] = v; return true })
	return fmt.Sprint(m)
}

// TestBroadcastRestoreEveryInstance snapshots identical broadcast state at
// one parallelism and restores it at others: every new subtask holds the
// whole state (each takes one old subtask's snapshot; none is split).
func TestBroadcastRestoreEveryInstance(t *testing.T) {
	cases := []struct {
		name       string
		oldP, newP int
	}{
		{"same parallelism", 3, 3},
		{"scale up", 2, 5},
		{"scale down", 4, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var snaps [][]byte
			for range tc.oldP {
				b := NewBroadcastBackend()
				s := rulesOf(t, b)
				s.Put("r1", rule{"buy", 3})
				s.Put("r2", rule{"view", 10})
				s.Put("r3", rule{"x", 1})
				s.Remove("r3")
				counts, err := NewBroadcastMapState(b, BroadcastMapDescriptor[int64, int64]{Name: "counts"})
				if err != nil {
					t.Fatal(err)
				}
				counts.Put(7, 49)
				snaps = append(snaps, b.Snapshot())
			}
			for i := 1; i < len(snaps); i++ {
				if !bytes.Equal(snaps[i], snaps[0]) {
					t.Fatalf("equal contents, different snapshots")
				}
			}
			for sub := range tc.newP {
				b := NewBroadcastBackend()
				if err := b.RestoreBroadcast(sub, snaps); err != nil {
					t.Fatal(err)
				}
				s := rulesOf(t, b)
				if got, want := contents(s), "map[r1:{buy 3} r2:{view 10}]"; got != want {
					t.Fatalf("subtask %d: rules %s, want %s", sub, got, want)
				}
				// A map not declared after the restore is kept in the
				// next snapshot.
				if again := b.Snapshot(); !bytes.Equal(again, snaps[0]) {
					t.Fatalf("subtask %d: the snapshot after a restore lost the undeclared map", sub)
				}
			}
		})
	}
}

// TestBroadcastDeclare: names are required, a name keeps its types.
func TestBroadcastDeclare(t *testing.T) {
	b := NewBroadcastBackend()
	if _, err := NewBroadcastMapState(b, BroadcastMapDescriptor[string, int]{}); err == nil {
		t.Fatal("a broadcast state without a name was declared")
	}
	s1, err := NewBroadcastMapState(b, BroadcastMapDescriptor[string, int]{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := NewBroadcastMapState(b, BroadcastMapDescriptor[string, int]{Name: "m"})
	if err != nil || s1 != s2 {
		t.Fatalf("declaring again: %v, same map %v", err, s1 == s2)
	}
	if _, err := NewBroadcastMapState(b, BroadcastMapDescriptor[int, int]{Name: "m"}); err == nil {
		t.Fatal("declared with other types")
	}
}

// TestBroadcastCorrupt: damaged snapshots are errors wrapping ErrCorrupt.
func TestBroadcastCorrupt(t *testing.T) {
	b := NewBroadcastBackend()
	rulesOf(t, b).Put("r1", rule{"buy", 3})
	good := b.Snapshot()
	flipped := bytes.Clone(good)
	flipped[12] ^= 0xff
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"bad magic", append([]byte("XXXXXXXX"), good[8:]...)},
		{"flipped byte", flipped},
		{"truncated", good[:len(good)-1]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := NewBroadcastBackend().RestoreBroadcast(0, [][]byte{tc.data})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzBroadcastDecode(f *testing.F) {
	b := NewBroadcastBackend()
	s, err := NewBroadcastMapState(b, BroadcastMapDescriptor[string, rule]{Name: "rules"})
	if err != nil {
		f.Fatal(err)
	}
	s.Put("r1", rule{"buy", 3})
	f.Add(b.Snapshot())
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeBroadcast(data)
	})
}
