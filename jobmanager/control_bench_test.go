package jobmanager

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/rs/zerolog"
)

// BenchmarkControlPush measures the time from a JobManager command to its
// arrival at 16 TaskManager slots (4 TaskManagers × 4 slots, each a control
// channel over loopback): every round pushes one deploy per slot through
// the server's gateways (as the core's Deploy actions do) and waits for the
// last to arrive. It reports the median and p99 of the rounds.
func BenchmarkControlPush(b *testing.B) {
	const tms, slots = 4, 4
	ts := startTestServer(b, ServerOptions{Heartbeat: api.Timing{Interval: time.Second, Timeout: 30 * time.Second}, Logger: zerolog.Nop()},
		CoreOptions{SlotsPerTaskManager: slots, IdleTimeout: time.Hour})
	l := &graph.Logical{Name: "bench"}
	l.AddNode(graph.Node{Kind: "source", Name: "src", Parallelism: tms * slots})
	g, err := graph.Build(l)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := g.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ts.client.Submit(context.Background(), api.SubmitJob{Name: "bench", Graph: raw, Binary: "/bin/job"}); err != nil {
		b.Fatal(err)
	}
	testutil.WaitFor(b, 10*time.Second, "TaskManager requests", func() bool { return len(ts.drv.started()) == tms })
	arrived := make(chan time.Time, tms*slots)
	for _, id := range ts.drv.started() {
		ch, _, err := api.Dial(context.Background(), ts.srv.Addr(), testServerSecret, api.Registration{TaskManager: id, Slots: slots})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = ch.Run(context.Background(), func(f api.Frame) error {
				if f.Type != api.MsgDeploy {
					return nil
				}
				var d api.DeployTask
				if err := f.Decode(&d); err != nil {
					return err
				}
				if d.Job == "bench-push" { // not the job's own deploys
					arrived <- time.Now()
				}
				return nil
			})
		}()
		b.Cleanup(func() { _ = ch.Close(); <-done })
	}
	testutil.WaitFor(b, 10*time.Second, "registrations", func() bool { return ts.srv.taskManagerEntries() == tms })
	ts.srv.mu.Lock()
	gws := make([]*remoteTM, 0, tms)
	for _, t := range ts.srv.tms {
		gws = append(gws, t)
	}
	ts.srv.mu.Unlock()

	rounds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		for _, gw := range gws {
			for s := range slots {
				if err := gw.Deploy(context.Background(), api.DeployTask{Job: "bench-push", Attempt: i, Subtask: s, Slot: s}); err != nil {
					b.Fatal(err)
				}
			}
		}
		var last time.Time
		for range tms * slots {
			last = <-arrived
		}
		rounds = append(rounds, last.Sub(start))
	}
	b.StopTimer()
	slices.Sort(rounds)
	median, p99 := rounds[len(rounds)/2], rounds[len(rounds)*99/100]
	b.ReportMetric(float64(median.Microseconds()), "median-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	if b.N >= 100 {
		fmt.Printf("control push to %d slots (%d TaskManagers × %d), %d rounds: median %v, p99 %v\n",
			tms*slots, tms, slots, len(rounds), median, p99)
	}
}
