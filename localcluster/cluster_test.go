package localcluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/localcluster"
	"github.com/floe-yarn/floe/runtime"
	"github.com/floe-yarn/floe/stream"
	"github.com/rs/zerolog"
)

// program builds a job of parallelism p summing Generate's first count
// numbers; fail (when set) runs on each record.
func program(t *testing.T, p int, count int64, sum *atomic.Int64, fail func(int64)) runtime.Program {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: p, DisableChaining: true})
	src := stream.Generate(env, func(i int64) int64 { return i }, stream.GeneratorOptions{Count: count})
	stream.ForEach(stream.Map(src, func(i int64) int64 {
		if fail != nil {
			fail(i)
		}
		return i
	}), func(i int64) { sum.Add(i) })
	prog, err := env.Program("t")
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

func TestRun(t *testing.T) {
	cases := []struct {
		name      string
		p         int
		tms       int
		slots     int
		fail      func(int64)
		wantSum   int64
		wantState api.JobState // "" means the job finishes
		wantErr   string
	}{
		{name: "one TaskManager sized to the job", p: 2, wantSum: 999 * 1000 / 2},
		{name: "three TaskManagers", p: 3, tms: 3, slots: 3, wantSum: 999 * 1000 / 2},
		{name: "too few slots", p: 4, tms: 1, slots: 2, wantErr: "needs"},
		{name: "failure without restart", p: 1, fail: func(i int64) {
			if i == 10 {
				panic("ten")
			}
		}, wantState: api.JobFailed, wantErr: "ten"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sum atomic.Int64
			err := localcluster.Run(context.Background(), localcluster.Options{Program: program(t, tc.p, 1000, &sum, tc.fail),
				TaskManagers: tc.tms, Slots: tc.slots, Logger: zerolog.Nop()})
			if tc.wantErr == "" {
				if err != nil || sum.Load() != tc.wantSum {
					t.Fatalf("err %v, sum %d; want %d", err, sum.Load(), tc.wantSum)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			var je *localcluster.JobError
			if tc.wantState != "" && (!errors.As(err, &je) || je.Status.State != tc.wantState) {
				t.Fatalf("err %v, want a JobError in state %s", err, tc.wantState)
			}
		})
	}
}

// TestRunCancelled ends the context of an unbounded job: Run cancels the
// job and returns.
func TestRunCancelled(t *testing.T) {
	var sum, seen atomic.Int64
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	src := stream.Generate(env, func(i int64) int64 { return i }, stream.GeneratorOptions{})
	stream.ForEach(src, func(i int64) { seen.Add(1); sum.Add(i) })
	prog, err := env.Program("unbounded")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- localcluster.Run(ctx, localcluster.Options{Program: prog, Logger: zerolog.Nop()}) }()
	testutil.WaitFor(t, 30*time.Second, "records flow", func() bool { return seen.Load() > 100 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the progress goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRunProgress: a job run directly says its id, how it is doing while
// it runs, and its runtime, as Flink's local run does.
func TestRunProgress(t *testing.T) {
	var sum atomic.Int64
	var out syncBuffer
	slow := func(i int64) {
		if i%100 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	err := localcluster.Run(context.Background(), localcluster.Options{Program: program(t, 2, 3000, &sum, slow),
		Logger: zerolog.Nop(), Progress: &out, ProgressInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, re := range []string{
		`^Job has been submitted with JobID [0-9a-f]{32}\n`,
		`(?m)^Job [0-9a-f]{32} RUNNING for \d+s: \d of 6 subtasks running, \d finished$`,
		`Job with JobID [0-9a-f]{32} has finished\.\nJob Runtime: \d+ ms\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Fatalf("progress output does not match %s:\n%s", re, got)
		}
	}

	out = syncBuffer{}
	err = localcluster.Run(context.Background(), localcluster.Options{Program: program(t, 1, 1000, &sum, func(i int64) {
		if i == 10 {
			panic("ten\nwith a second line")
		}
	}), Logger: zerolog.Nop(), Progress: &out})
	if err == nil || !strings.Contains(err.Error(), "with a second line") {
		t.Fatalf("err %v: want the whole panic in the error", err)
	}
	if got := out.String(); !regexp.MustCompile(`Job with JobID [0-9a-f]{32} FAILED after \d+ ms: .*ten …\n$`).MatchString(got) {
		t.Fatalf("progress output of a failed job:\n%s", got)
	}
}

// TestRunPrometheus: with the Prometheus reporter configured, a local run
// serves its TaskManagers' metrics under Flink's names while the job runs
// (the port is printed with the progress), numRecordsOut rising, and
// stops serving when Run returns.
func TestRunPrometheus(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	src := stream.Generate(env, func(i int64) int64 { return i }, stream.GeneratorOptions{RatePerSecond: 2000})
	// Reduce heads a chain fed by the exchange; Map and Discard follow it.
	sums := stream.Reduce(stream.KeyBy(src, func(i int64) int64 { return i % 10 }), func(a, b int64) int64 { return a + b })
	stream.Map(sums, func(i int64) int64 { return i }).Discard()
	prog, err := env.Program("prom")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{}) // closed when Run returned
	go func() {
		defer close(finished)
		_ = localcluster.Run(ctx, localcluster.Options{Program: prog, Logger: zerolog.Nop(), Progress: &out,
			ProgressInterval: time.Hour, PrometheusPorts: strconv.Itoa(port)}) // cancelled below
	}()
	defer func() { cancel(); <-finished }()
	testutil.WaitFor(t, 10*time.Second, "the port in the progress", func() bool {
		return strings.Contains(out.String(), fmt.Sprintf("Prometheus metrics on port %d", port))
	})
	// page is one scrape; sum adds the samples in it of metric whose
	// labels contain label.
	page := func() string {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	sum := func(page, metric, label string) float64 {
		var sum float64
		for _, line := range strings.Split(page, "\n") {
			if (strings.HasPrefix(line, metric+"{") || strings.HasPrefix(line, metric+" ")) && strings.Contains(line, label) {
				v, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
				sum += v
			}
		}
		return sum
	}
	scrape := func(metric, label string) float64 { return sum(page(), metric, label) }
	recordsOut := func() float64 { return scrape("flink_taskmanager_job_task_numRecordsOut", `task_name="Generator"`) }
	var first float64
	testutil.WaitFor(t, 30*time.Second, "records out of the source in the scrape", func() bool { first = recordsOut(); return first > 0 })
	testutil.WaitFor(t, 30*time.Second, "numRecordsOut rising", func() bool { return recordsOut() > first })
	t.Logf("numRecordsOut of the source: %v, then %v", first, recordsOut())
	// Counts inside the chain behind the exchange: Reduce's input is the
	// task's, Map's what Reduce emitted (one per record), Discard's what
	// Map emitted. They are one count, so a scrape shows them equal.
	op := func(p, name, metric string) float64 {
		return sum(p, "flink_taskmanager_job_task_operator_"+metric, `operator_name="`+name+`"`)
	}
	var last string
	testutil.WaitFor(t, 30*time.Second, "the chain's counts, present and agreeing in one scrape", func() bool {
		last = page()
		a := op(last, "Reduce", "numRecordsIn")
		return a > 0 && a == op(last, "Reduce", "numRecordsOut") && a == op(last, "Map", "numRecordsIn") &&
			a == op(last, "Map", "numRecordsOut") && a == op(last, "Discard", "numRecordsIn")
	})
	// The JobManager's job metrics are there too: the running job's
	// uptime rises.
	uptime := func() float64 { return scrape("flink_jobmanager_job_uptime", `job_name="prom"`) }
	var up float64
	testutil.WaitFor(t, 30*time.Second, "the job's uptime in the scrape", func() bool { up = uptime(); return up > 0 })
	testutil.WaitFor(t, 30*time.Second, "uptime rising", func() bool { return uptime() > up })
	if n := scrape("flink_jobmanager_numRegisteredTaskManagers", ""); n < 1 {
		t.Errorf("flink_jobmanager_numRegisteredTaskManagers = %v, want ≥ 1", n)
	}
	cancel()
	<-finished
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		_ = c.Close()
		t.Fatal("the Prometheus endpoint still listens after Run returned")
	}
}
