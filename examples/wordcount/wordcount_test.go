package main

import (
	"bufio"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/examples/wordcount/wc"
	"github.com/floe-yarn/floe/stream"
)

// writeText writes about size bytes of random words (a skewed vocabulary,
// mixed case and punctuation) and returns the path.
func writeText(t *testing.T, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewSource(42))
	vocab := make([]string, 5000)
	for i := range vocab {
		n := 2 + r.Intn(9)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + r.Intn(26))
		}
		vocab[i] = string(b)
	}
	written := 0
	for written < size {
		words := 1 + r.Intn(15)
		for k := 0; k < words; k++ {
			word := vocab[int(float64(len(vocab))*r.Float64()*r.Float64())]
			if r.Intn(10) == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			}
			sep := " "
			if r.Intn(20) == 0 {
				sep = ", "
			}
			n, _ := w.WriteString(word + sep)
			written += n
		}
		if _, err := w.WriteString("\n"); err != nil {
			t.Fatal(err)
		}
		written++
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// referenceCount counts words in one goroutine, without the engine.
func referenceCount(t *testing.T, path string) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		wc.Split(line, func(w wc.WordCount) { m[w.Word]++ })
	}
	return m
}

func readCounts(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "part-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no part files in %s (%v)", dir, err)
	}
	m := map[string]int64{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line == "" {
				continue
			}
			word, n, ok := strings.Cut(line, " ")
			c, err := strconv.ParseInt(n, 10, 64)
			if !ok || err != nil {
				t.Fatalf("bad line %q in %s", line, f)
			}
			if _, dup := m[word]; dup {
				t.Fatalf("word %q counted twice", word)
			}
			m[word] = c
		}
	}
	return m
}

func TestWordCountMatchesReference(t *testing.T) {
	size := 20 << 20
	if testing.Short() {
		size = 2 << 20
	}
	in := writeText(t, size)
	out := filepath.Join(t.TempDir(), "out")
	env := stream.NewEnvironment(stream.Options{Parallelism: 4, LocalTaskManagers: 2, LocalSlots: 2})
	wc.Build(env, in, out)
	g, err := env.JobGraph("wordcount")
	if err != nil {
		t.Fatal(err)
	}
	if g.Slots() != 4 || len(g.Vertices) != 2 {
		t.Fatalf("job graph: %d slots, %d tasks; want 4 and 2", g.Slots(), len(g.Vertices))
	}
	if err := env.Execute("wordcount"); err != nil {
		t.Fatal(err)
	}
	got, want := readCounts(t, out), referenceCount(t, in)
	if len(got) != len(want) {
		t.Errorf("%d distinct words, want %d", len(got), len(want))
	}
	for w, n := range want {
		if got[w] != n {
			t.Fatalf("count(%q) = %d, want %d", w, got[w], n)
		}
	}
}
