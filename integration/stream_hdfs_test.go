package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/examples/wordcount/wc"
	"github.com/floe-yarn/floe/hdfsstore"
)

// TestStreamHDFSWordcount runs the wordcount job binary in local mode with
// its input split across parallel readers on HDFS and its part files written
// to HDFS, and checks the counts against a plain count of the same text.
func TestStreamHDFSWordcount(t *testing.T) {
	c := requireCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: h})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	// Two input files, so the reader splits both files and byte ranges.
	dir := t.TempDir()
	want := map[string]int64{}
	base := fmt.Sprintf("/tmp/floe-it-stream-%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = store.RemoveAll(context.Background(), base) })
	for i, lines := range []int{20000, 7000} {
		local := filepath.Join(dir, fmt.Sprintf("in-%d.txt", i))
		var b strings.Builder
		for n := 0; n < lines; n++ {
			fmt.Fprintf(&b, "The quick brown fox %d jumps over the lazy dog number%c, again\n", n, 'a'+rune(n%26))
		}
		if err := os.WriteFile(local, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(b.String(), "\n") {
			wc.Split(line, func(w wc.WordCount) { want[w.Word]++ })
		}
		if err := store.Upload(ctx, local, base+"/in/"+filepath.Base(local), nil); err != nil {
			t.Fatal(err)
		}
	}

	bin := filepath.Join(dir, "wordcount")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/wordcount")
	build.Dir = c.Root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build wordcount: %v\n%s", err, out)
	}
	defaultFS := strings.TrimSuffix(h.DefaultFS(), "/")
	run := exec.CommandContext(ctx, bin, "--input", defaultFS+base+"/in", "--output", defaultFS+base+"/out")
	run.Env = append(os.Environ(), contract.EnvHadoopConfDir+"="+c.ConfDir, contract.EnvParallelism+"=3")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("wordcount on HDFS: %v\n%s", err, out)
	}

	parts, err := store.List(ctx, base+"/out")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	nparts := 0
	for _, p := range parts {
		name := p.Path[strings.LastIndex(p.Path, "/")+1:]
		if !strings.HasPrefix(name, "part-") {
			t.Errorf("unexpected file %s in the output folder (an unfinished part file?)", name)
			continue
		}
		nparts++
		r, err := store.Open(ctx, p.Path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			word, n, ok := strings.Cut(sc.Text(), " ")
			count, err := strconv.ParseInt(n, 10, 64)
			if !ok || err != nil {
				t.Fatalf("%s: bad line %q", name, sc.Text())
			}
			if _, dup := got[word]; dup {
				t.Fatalf("word %q counted in two places", word)
			}
			got[word] = count
		}
		if err := sc.Err(); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		_ = r.Close() // read-only
	}
	if nparts != 3 {
		t.Errorf("%d part files, want 3 (parallelism 3)", nparts)
	}
	if len(got) != len(want) {
		t.Fatalf("%d distinct words, want %d", len(got), len(want))
	}
	for w, n := range want {
		if got[w] != n {
			t.Errorf("count of %q = %d, want %d", w, got[w], n)
		}
	}
}
