package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"
)

func TestOperatorStateRedistribution(t *testing.T) {
	for _, tc := range []struct {
		name       string
		oldP, newP int
		perOld     int
	}{
		{"same", 2, 2, 3},
		{"scale out uneven", 2, 3, 4},
		{"scale in", 3, 1, 2},
		{"more subtasks than elements", 1, 4, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var snaps [][]byte
			var all []string
			for i := 0; i < tc.oldP; i++ {
				b := NewOperatorBackend()
				split, err := NewOperatorListState(b, OperatorListDescriptor[string]{Name: "offsets"})
				must(t, err)
				union, err := NewOperatorListState(b, OperatorListDescriptor[string]{Name: "seen", Mode: Union})
				must(t, err)
				for j := 0; j < tc.perOld; j++ {
					e := fmt.Sprintf("s%d-%d", i, j)
					split.Add(e)
					union.Add(e)
					all = append(all, e)
				}
				snaps = append(snaps, b.Snapshot())
			}
			var got []string
			for j := 0; j < tc.newP; j++ {
				var rs []io.Reader
				for _, s := range snaps {
					rs = append(rs, bytes.NewReader(s))
				}
				b := NewOperatorBackend()
				must(t, b.Restore(context.Background(), j, tc.newP, rs))
				split, err := NewOperatorListState(b, OperatorListDescriptor[string]{Name: "offsets"})
				must(t, err)
				union, err := NewOperatorListState(b, OperatorListDescriptor[string]{Name: "seen", Mode: Union})
				must(t, err)
				s, _ := split.Get()
				u, _ := union.Get()
				if n := len(all); len(s) < n/tc.newP || len(s) > n/tc.newP+1 {
					t.Fatalf("subtask %d got %d of %d elements: not an even split", j, len(s), n)
				}
				if !slices.Equal(u, all) {
					t.Fatalf("subtask %d union %v, want %v", j, u, all)
				}
				got = append(got, s...)
			}
			if !slices.Equal(got, all) {
				t.Fatalf("split shares %v, want each of %v once", got, all)
			}
		})
	}
}

func TestOperatorStateErrors(t *testing.T) {
	b := NewOperatorBackend()
	l, err := NewOperatorListState(b, OperatorListDescriptor[int]{Name: "x"})
	must(t, err)
	l.Update([]int{1, 2})
	good := b.Snapshot()
	if _, err := NewOperatorListState(b, OperatorListDescriptor[int]{Name: "x", Mode: Union}); err == nil {
		t.Fatal("mode change accepted")
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-3]},
		{"flipped", flip(good, 12)},
		{"magic", append([]byte("XXXXXXXX"), good[8:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := NewOperatorBackend().Restore(context.Background(), 0, 1, []io.Reader{bytes.NewReader(tc.data)})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err %v, want ErrCorrupt", err)
			}
		})
	}
}

const goldenOperator = "testdata/operator_v1.golden"

func goldenOperatorState() []byte {
	b := NewOperatorBackend()
	l, _ := NewOperatorListState(b, OperatorListDescriptor[string]{Name: "x"})
	l.Update([]string{"a", "bc"})
	u, _ := NewOperatorListState(b, OperatorListDescriptor[int]{Name: "u", Mode: Union})
	u.Add(7)
	return b.Snapshot()
}

func TestOperatorStateGolden(t *testing.T) {
	got := goldenOperatorState()
	if *update {
		must(t, os.WriteFile(goldenOperator, got, 0o644))
	}
	want, err := os.ReadFile(goldenOperator)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("operator state differs from %s (run with -update if the format changed on purpose)\n got %x\nwant %x", goldenOperator, got, want)
	}
}

func FuzzOperatorStateDecode(f *testing.F) {
	f.Add(goldenOperatorState())
	f.Add([]byte(opMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := decodeOperatorState(data); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
	})
}
