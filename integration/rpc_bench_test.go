package integration

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
)

// BenchmarkRPCGetApplicationReport measures getApplicationReport round
// trips against the real ResourceManager on one multiplexed connection,
// sequentially and with 32 concurrent callers, reporting calls/s and the
// p50/p99 latency of each.
func BenchmarkRPCGetApplicationReport(b *testing.B) {
	c := requireCluster(b)
	h, err := conf.LoadHadoop(c.ConfDir)
	if err != nil {
		b.Fatal(err)
	}
	rm := newRMClient(b, h, 30*time.Second)
	ctx := context.Background()
	app := benchApp(b, rm)

	b.Run("sequential", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if _, err := rm.ApplicationReport(ctx, app); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat, time.Since(start))
	})
	b.Run("concurrent32", func(b *testing.B) {
		const callers = 32
		var (
			mu   sync.Mutex
			lat  = make([]time.Duration, 0, b.N)
			wg   sync.WaitGroup
			errs = make(chan error, callers)
		)
		b.ResetTimer()
		start := time.Now()
		for w := 0; w < callers; w++ {
			n := b.N / callers
			if w < b.N%callers {
				n++
			}
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				mine := make([]time.Duration, 0, n)
				for i := 0; i < n; i++ {
					t0 := time.Now()
					if _, err := rm.ApplicationReport(ctx, app); err != nil {
						errs <- err
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}(n)
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		reportLatency(b, lat, elapsed)
	})
}

// benchApp finds an application whose report to fetch: any the RM knows,
// else one id obtained from getNewApplication and submitted with a trivial
// AM.
func benchApp(b *testing.B, rm *yarnrpc.RMClient) yarnrpc.ApplicationID {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	apps, err := rm.Applications(ctx, yarnrpc.ApplicationFilter{Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	if len(apps) > 0 {
		return apps[0].ID
	}
	id, _, err := rm.NewApplication(ctx)
	if err != nil {
		b.Fatal(err)
	}
	err = rm.Submit(ctx, yarnrpc.ApplicationSubmissionContext{
		ID: id, Name: "bench-report", Type: "FLOE-TEST", MaxAttempts: 1,
		AMResource: yarnrpc.Resource{MemoryMB: 64, VCores: 1},
		AM:         yarnrpc.ContainerLaunchContext{Commands: []string{"exit 0"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return id
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds())
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
