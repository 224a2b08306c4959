package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readUpTo reads at most n records from r (all of them when n < 0) and
// reports whether r ended.
// With batched, it uses the reader's batch fast path when it has one.
func readUpTo[T any](t *testing.T, r SplitReader[T], n int, batched bool) ([]T, bool) {
	t.Helper()
	var out []T
	if br, ok := r.(batchReader[T]); ok && batched {
		for n < 0 || len(out) < n {
			limit := checkEvery
			if n >= 0 {
				limit = min(limit, n-len(out))
			}
			_, err := br.emitBatch(context.Background(), func(v T) { out = append(out, v) }, limit)
			if errors.Is(err, io.EOF) {
				return out, true
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return out, false
	}
	for n < 0 || len(out) < n {
		v, err := r.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out, true
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out, false
}

// openReaders opens one reader per share of splits.
func openReaders[T any](t *testing.T, src Source[T], shares [][]SplitState) []SplitReader[T] {
	t.Helper()
	var rs []SplitReader[T]
	for i, share := range shares {
		r, err := src.Reader(context.Background(), ReaderContext{Subtask: i, Parallelism: len(shares)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		if err := r.AddSplits(share); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

// runWithRestarts reads src with the parallelism of each stage in turn:
// every reader of a stage reads cut records, then all are snapshotted and
// the union of the snapshots is dealt to the next stage's fresh readers;
// the last stage reads to the end. It returns every record emitted.
func runWithRestarts[T any](t *testing.T, src Source[T], stages []int, cut int, batched bool) []T {
	t.Helper()
	splits, err := src.Splits(context.Background(), stages[0])
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for i, p := range stages {
		n := cut
		if i == len(stages)-1 {
			n = -1
		}
		var next []SplitState
		for _, r := range openReaders(t, src, AssignSplits(splits, p)) {
			got, _ := readUpTo(t, r, n, batched)
			out = append(out, got...)
			next = append(next, r.Snapshot()...)
		}
		splits = next
	}
	return out
}

// writeLines writes files of lines into a new folder and returns it with
// every line.
func writeLines(t *testing.T, files map[string]string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var all []string
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, ".") && content != "" {
			all = append(all, strings.Split(strings.TrimSuffix(strings.ReplaceAll(content, "\r\n", "\n"), "\n"), "\n")...)
		}
	}
	return dir, all
}

func linesOf(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "line %d %s\n", i, strings.Repeat("x", i%53))
	}
	return b.String()
}

// TestSourcesResumeFromSnapshots proves, for every built-in source, that
// reading a prefix, snapshotting and resuming fresh readers from the
// snapshots (with the same or another parallelism) emits exactly the
// records of one uninterrupted run: nothing lost, nothing repeated.
func TestSourcesResumeFromSnapshots(t *testing.T) {
	dir, lines := writeLines(t, map[string]string{
		"a.txt":   linesOf(700),
		"b.txt":   "no newline at the end",
		"c.txt":   "crlf one\r\ncrlf two\r\n",
		"e.txt":   "",
		".hidden": "skip me\n",
	})
	longLine, longLines := writeLines(t, map[string]string{"long.txt": strings.Repeat("y", 600<<10) + "\nshort\n" + strings.Repeat("z", 300<<10) + "\n"})
	records := make([]string, 1000)
	for i := range records {
		records[i] = fmt.Sprint("r", i)
	}
	gen := make([]string, 2500)
	for i := range gen {
		gen[i] = fmt.Sprint("g", i)
	}
	collection := &strideSource[string]{name: "collection", end: int64(len(records)), bounded: true, at: func(i int64) string { return records[i] }}
	generator := &strideSource[string]{name: "generator", end: int64(len(gen)), bounded: true, at: func(i int64) string { return fmt.Sprint("g", i) }}
	tests := []struct {
		name   string
		src    Source[string]
		want   []string
		stages []int
		cut    int
	}{
		{"collection same parallelism", collection, records, []int{3, 3}, 50},
		{"collection scale down", collection, records, []int{4, 1}, 77},
		{"collection scale up twice", collection, records, []int{2, 5, 3}, 120},
		{"collection snapshot before any record", collection, records, []int{3, 2}, 0},
		{"generator same parallelism", generator, gen, []int{2, 2}, 400},
		{"generator rescale 3 to 2 to 4", generator, gen, []int{3, 2, 4}, 333},
		{"file one reader", &textFileSource{path: dir}, lines, []int{1, 1}, 123},
		{"file parallel readers", &textFileSource{path: dir}, lines, []int{4, 4}, 37},
		{"file rescale 4 to 2 to 3", &textFileSource{path: dir}, lines, []int{4, 2, 3}, 29},
		{"file rescale 2 to 7", &textFileSource{path: dir}, lines, []int{2, 7}, 1},
		{"file snapshot before any record", &textFileSource{path: dir}, lines, []int{3, 3}, 0},
		{"file lines longer than the buffer", &textFileSource{path: longLine}, longLines, []int{3, 2}, 1},
	}
	for _, tc := range tests {
		for _, b := range []bool{false, true} {
			name := tc.name
			if b {
				name += " in batches"
			}
			t.Run(name, func(t *testing.T) {
				whole := runWithRestarts(t, tc.src, []int{tc.stages[0]}, 0, b)
				got := runWithRestarts(t, tc.src, tc.stages, tc.cut, b)
				want := slices.Clone(tc.want)
				for _, s := range [][]string{whole, got, want} {
					slices.Sort(s)
				}
				if !slices.Equal(whole, want) {
					t.Fatalf("uninterrupted run: %d records, want %d", len(whole), len(want))
				}
				if !slices.Equal(got, whole) {
					t.Fatalf("resumed run: %d records, uninterrupted %d (lost or repeated records)", len(got), len(whole))
				}
			})
		}
	}
}

// TestSplitReaderSnapshotIsAPosition proves a snapshot taken mid-split
// records the position after the last record returned: a reader resumed
// from it continues with the very next record.
func TestSplitReaderSnapshotIsAPosition(t *testing.T) {
	dir, _ := writeLines(t, map[string]string{"a.txt": "one\ntwo\nthree\nfour\n"})
	src := &textFileSource{path: dir}
	splits, err := src.Splits(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	r := openReaders(t, Source[string](src), [][]SplitState{splits})[0]
	first, _ := readUpTo(t, r, 2, false)
	snap := r.Snapshot()
	rest, _ := readUpTo(t, openReaders(t, Source[string](src), [][]SplitState{snap})[0], -1, false)
	if fmt.Sprint(first, rest) != "[one two] [three four]" {
		t.Fatalf("got %q then %q", first, rest)
	}
	if _, ended := readUpTo(t, r, -1, false); !ended || len(r.Snapshot()) != 0 {
		t.Fatalf("a reader at its end snapshots %v, want nothing", r.Snapshot())
	}
}

func TestAssignSplits(t *testing.T) {
	splits := []SplitState{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}, {ID: "e"}}
	tests := []struct {
		name string
		p    int
		want string
	}{
		{"one reader takes all", 1, "[[a b c d e]]"},
		{"round robin", 2, "[[a c e] [b d]]"},
		{"more readers than splits", 7, "[[a] [b] [c] [d] [e] [] []]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ids [][]string
			for _, share := range AssignSplits(splits, tc.p) {
				var s []string
				for _, sp := range share {
					s = append(s, sp.ID)
				}
				ids = append(ids, s)
			}
			if got := fmt.Sprint(ids); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSplitStateDecodeErrors(t *testing.T) {
	good := fileSplit{path: "/f", start: 10, end: 20}.state()
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unknown version", []byte{9, 1, 2}},
		{"truncated", good.Data[:len(good.Data)-2]},
		{"trailing bytes", append(slices.Clone(good.Data), 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &textFileReader{}
			if err := r.AddSplits([]SplitState{{ID: "x", Data: tc.data}}); err == nil {
				t.Fatal("no error")
			}
			g := &strideReader[int]{src: &strideSource[int]{name: "g"}}
			if err := g.AddSplits([]SplitState{{ID: "x", Data: tc.data}}); err == nil {
				t.Fatal("stride reader: no error")
			}
		})
	}
}

func TestNonReplayableSources(t *testing.T) {
	env := NewEnvironment(Options{})
	FromSlice(env, []int{1}).Discard()
	Generate(env, func(i int64) int64 { return i }, GeneratorOptions{Count: 1}).Discard()
	ReadTextFile(env, t.TempDir()).Discard()
	SocketTextStream(env, "127.0.0.1:1").Name("events").Discard()
	if got := env.NonReplayableSources(); fmt.Sprint(got) != "[events]" {
		t.Fatalf("non-replayable sources %q, want [events]", got)
	}
}

func TestSourceStateCodec(t *testing.T) {
	ss := []SplitState{{ID: "a", Data: []byte{1, 2}}, {ID: "b"}}
	sub, par, got, err := decodeSourceState(encodeSourceState(1, 3, ss))
	if err != nil || sub != 1 || par != 3 || len(got) != 2 || got[0].ID != "a" || string(got[0].Data) != "\x01\x02" || got[1].ID != "b" {
		t.Fatalf("round trip: %d %d %+v %v", sub, par, got, err)
	}
	for _, bad := range [][]byte{nil, {9}, {splitCodecVersion, 5, 3, 0}, encodeSourceState(0, 1, ss)[:6]} {
		if _, _, _, err := decodeSourceState(bad); err == nil {
			t.Errorf("decode %v: no error", bad)
		}
	}
}
