package jobmanager_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// rssBytes reads a process's resident set size from /proc.
func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

type progress struct{ ms, source, sink int64 }

func readProgress(t *testing.T, path string) []progress {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []progress
	for _, line := range strings.Split(string(b), "\n") {
		var p progress
		if _, err := fmt.Sscanf(line, "PROGRESS t_ms=%d source=%d sink=%d", &p.ms, &p.source, &p.sink); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TestBackpressure runs a fast generator into a sink throttled to 1,000
// records/s for 60 s: the TaskManager's memory stays within its network
// buffer budget plus 32 MB and the source slows to the sink's rate.
func TestBackpressure(t *testing.T) {
	if testing.Short() {
		t.Skip("60 s test; runs without -short")
	}
	const budget = 2 << 20
	bin := testJob(t)
	c := startClusterMem(t, 1, api.RestartStrategy{}, budget)
	id := c.submit(t, bin, nil, "--mode", "backpressure")
	testutil.WaitFor(t, 30*time.Second, "all subtasks running", func() bool { return allRunning(c.status(t, id)) })
	pids := c.drv.PIDs()
	if len(pids) != 1 {
		t.Fatalf("%d TaskManagers, want 1", len(pids))
	}
	var pid int
	var tm string
	for tm, pid = range pids {
	}
	var maxRSS int64
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		rss, err := rssBytes(pid)
		if err != nil {
			t.Fatalf("TaskManager died: %v", err)
		}
		maxRSS = max(maxRSS, rss)
		time.Sleep(250 * time.Millisecond) // sampling period, not synchronisation
	}
	st := c.status(t, id)
	if st.State != api.JobRunning {
		t.Fatalf("job %s: %s", st.State, st.Cause)
	}
	if _, err := c.client.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	c.wait(t, id, 30*time.Second)

	t.Logf("max TaskManager RSS %.1f MiB (budget %d MiB + 32 MiB)", float64(maxRSS)/(1<<20), budget>>20)
	if maxRSS > budget+32<<20 {
		t.Errorf("TaskManager RSS %d bytes exceeds the network budget %d + 32 MiB", maxRSS, budget)
	}
	prog := readProgress(t, filepath.Join(c.dir, "logs", tm+".log"))
	if len(prog) < 60 {
		t.Fatalf("only %d progress lines", len(prog))
	}
	last := prog[len(prog)-1]
	var mid progress
	for _, p := range prog {
		if p.ms <= last.ms-30_000 {
			mid = p
		}
	}
	secs := float64(last.ms-mid.ms) / 1000
	srcRate, sinkRate := float64(last.source-mid.source)/secs, float64(last.sink-mid.sink)/secs
	t.Logf("last %.0f s: source %.0f records/s, sink %.0f records/s; in flight at the end: %d", secs, srcRate, sinkRate, last.source-last.sink)
	if sinkRate > 1100 || sinkRate < 500 {
		t.Errorf("sink rate %.0f/s, want about 1000/s", sinkRate)
	}
	if srcRate > sinkRate*1.1+20 {
		t.Errorf("source rate %.0f/s did not fall to the sink's %.0f/s", srcRate, sinkRate)
	}
	// What is in flight is bounded by the buffers, not by time.
	if inFlight := last.source - last.sink; inFlight > 20_000 {
		t.Errorf("%d records in flight: buffering is not bounded", inFlight)
	}
}
