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
	"github.com/floe-yarn/floe/runtime"
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

// progress is one PROGRESS line of the testjob's backpressure mode: records
// the source produced and the sink consumed, ms after the TaskManager started.
type progress struct{ ms, source, sink int64 }

func readProgress(t *testing.T, path string) []progress {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
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

// Backpressure bounds. The testjob's records are 1,000 bytes of payload plus
// their framing, so the TaskManager's network buffers (budget bytes) hold at
// most budget/1000 of them; a few runtime.BufferSize frames more may sit in
// the task's output batch and the gate's current buffer.
const (
	bpBudget      = 2 << 20
	bpRecordBytes = 1000
	bpMaxInFlight = (bpBudget + 4*runtime.BufferSize) / bpRecordBytes
	// bpRSSSlack is what the TaskManager may use beyond its network budget:
	// the Go runtime, code, goroutine stacks, the codec's scratch.
	bpRSSSlack = 32 << 20
)

// backpressureJob runs the testjob's backpressure mode (a fast generator of
// 1 KB records into a throttled sink that waits while the stall file exists)
// on one TaskManager with a bpBudget network budget.
type backpressureJob struct {
	c     *cluster
	id    string
	pid   int
	log   string
	stall string
}

func startBackpressureJob(t *testing.T, stalled bool) *backpressureJob {
	t.Helper()
	stall := filepath.Join(t.TempDir(), "stall")
	if stalled {
		if err := os.WriteFile(stall, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = os.Remove(stall) }) // a stalled sink never ends
	bin := testJob(t)
	c := startClusterMem(t, 1, api.RestartStrategy{}, bpBudget)
	id := c.submit(t, bin, nil, "--mode", "backpressure", "--stall", stall)
	testutil.WaitFor(t, 30*time.Second, "all subtasks running", func() bool { return allRunning(c.status(t, id)) })
	pids := c.drv.PIDs()
	if len(pids) != 1 {
		t.Fatalf("%d TaskManagers, want 1", len(pids))
	}
	j := &backpressureJob{c: c, id: id, stall: stall}
	for tm, pid := range pids {
		j.pid, j.log = pid, filepath.Join(c.dir, "logs", tm+".log")
	}
	return j
}

// rss samples the TaskManager's resident set size.
func (j *backpressureJob) rss(t *testing.T) int64 {
	t.Helper()
	rss, err := rssBytes(j.pid)
	if err != nil {
		t.Fatalf("TaskManager died: %v", err)
	}
	return rss
}

func (j *backpressureJob) cancel(t *testing.T) {
	t.Helper()
	_ = os.Remove(j.stall)
	st := j.c.status(t, j.id)
	if st.State != api.JobRunning {
		t.Fatalf("job %s: %s", st.State, st.Cause)
	}
	if _, err := j.c.client.Cancel(context.Background(), j.id); err != nil {
		t.Fatal(err)
	}
	j.c.wait(t, j.id, 30*time.Second)
}

// TestBackpressure proves, without depending on how fast the machine is,
// that a fast source feeding a stalled sink is held back by the network
// buffers: the source stops producing with at most bpMaxInFlight records
// unconsumed, and the TaskManager's memory stays within its network budget
// plus bpRSSSlack. Released, the sink drains, the source resumes, and what is
// in flight stays bounded at every sample. Rates and RSS over time are
// figures for `make bench` (TestBackpressureFigures), not assertions.
func TestBackpressure(t *testing.T) {
	if testing.Short() {
		t.Skip("about 20 s with two processes; runs without -short")
	}
	j := startBackpressureJob(t, true)
	var maxRSS int64
	inFlight := func(p progress) {
		t.Helper()
		if n := p.source - p.sink; n > bpMaxInFlight {
			t.Fatalf("at %d ms: %d records in flight (source %d, sink %d), want at most %d: buffering is not bounded",
				p.ms, n, p.source, p.sink, bpMaxInFlight)
		}
	}

	// Stalled: the source must come to a stop (the same count in the last
	// four samples), bounded by the buffers. An unbounded queue never stops.
	var plateau progress
	testutil.WaitFor(t, 60*time.Second, "the source to stop behind the stalled sink", func() bool {
		maxRSS = max(maxRSS, j.rss(t))
		prog := readProgress(t, j.log)
		for _, p := range prog {
			if p.sink != 0 {
				t.Fatalf("the stalled sink consumed %d records", p.sink)
			}
			inFlight(p)
		}
		if len(prog) < 4 {
			return false
		}
		last := prog[len(prog)-4:]
		plateau = last[3]
		return plateau.source > 0 && last[0].source == plateau.source
	})
	maxRSS = max(maxRSS, j.rss(t))
	t.Logf("stalled: source stopped at %d records (bound %d); max TaskManager RSS %.1f MiB (budget %d MiB + %d MiB)",
		plateau.source, bpMaxInFlight, float64(maxRSS)/(1<<20), bpBudget>>20, bpRSSSlack>>20)
	if maxRSS > bpBudget+bpRSSSlack {
		t.Errorf("TaskManager RSS %d bytes exceeds the network budget %d + %d", maxRSS, bpBudget, bpRSSSlack)
	}

	// Released: the sink drains what was buffered and the source resumes
	// (the sink gets past what the buffers could hold), always bounded.
	if err := os.Remove(j.stall); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 120*time.Second, "the sink to consume past the buffered records", func() bool {
		maxRSS = max(maxRSS, j.rss(t))
		prog := readProgress(t, j.log)
		for _, p := range prog {
			inFlight(p)
		}
		return len(prog) > 0 && prog[len(prog)-1].sink > plateau.source+bpMaxInFlight
	})
	if maxRSS > bpBudget+bpRSSSlack {
		t.Errorf("TaskManager RSS %d bytes exceeds the network budget %d + %d", maxRSS, bpBudget, bpRSSSlack)
	}
	j.cancel(t)
}

// TestBackpressureFigures is `make bench`'s backpressure figure (it asserts
// nothing): the same job with the sink throttled to 1,000 records/s and never
// stalled, for FLOE_BENCH_BACKPRESSURE seconds; it logs the TaskManager's
// max RSS, the source and sink rates over the second half, and what is in
// flight at the end. Skipped unless FLOE_BENCH_BACKPRESSURE is set.
func TestBackpressureFigures(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("FLOE_BENCH_BACKPRESSURE"))
	if secs <= 0 {
		t.Skip("a benchmark: set FLOE_BENCH_BACKPRESSURE=<seconds> (make bench does)")
	}
	j := startBackpressureJob(t, false)
	var maxRSS int64
	end := time.Now().Add(time.Duration(secs) * time.Second)
	for time.Now().Before(end) {
		maxRSS = max(maxRSS, j.rss(t))
		time.Sleep(250 * time.Millisecond) // the sampling period of a figure
	}
	prog := readProgress(t, j.log)
	j.cancel(t)
	if len(prog) < 2 {
		t.Fatalf("only %d progress lines", len(prog))
	}
	last := prog[len(prog)-1]
	mid := prog[len(prog)/2]
	d := float64(last.ms-mid.ms) / 1000
	fmt.Printf("backpressure: TaskManager max RSS %.1f MiB (network budget %d MiB)\n", float64(maxRSS)/(1<<20), bpBudget>>20)
	fmt.Printf("backpressure: last %.0f s: source %.0f records/s, sink %.0f records/s (throttled to 1000/s); in flight at the end %d (bound %d)\n",
		d, float64(last.source-mid.source)/d, float64(last.sink-mid.sink)/d, last.source-last.sink, bpMaxInFlight)
}
