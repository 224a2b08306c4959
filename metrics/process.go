package metrics

import (
	"runtime"
	"sync"
	"time"
)

// RegisterProcess adds the process's memory and goroutine gauges to g (a
// taskmanager or jobmanager group) under Flink's Status names: the Go
// heap stands for the JVM heap (Used: bytes of live and not yet collected
// objects; Committed: heap memory obtained from the OS), NonHeap.Used is
// the rest the runtime holds (stacks, metadata), Threads.Count the
// goroutines (also Status.Go.Goroutines), and the garbage collector's
// cycles and total pause time (ms). Memory statistics are read at most
// once a second.
func RegisterProcess(g *Group) {
	var mu sync.Mutex
	var ms runtime.MemStats
	var read time.Time
	stats := func() runtime.MemStats {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); now.Sub(read) >= time.Second {
			runtime.ReadMemStats(&ms)
			read = now
		}
		return ms
	}
	g.Gauge(StatusMemoryHeapUsed, func() float64 { return float64(stats().HeapAlloc) })
	g.Gauge(StatusMemoryHeapCommitted, func() float64 { return float64(stats().HeapSys) })
	g.Gauge(StatusMemoryNonHeapUsed, func() float64 { s := stats(); return float64(s.Sys - s.HeapSys) })
	g.Gauge(StatusGoMemoryTotalFromOS, func() float64 { return float64(stats().Sys) })
	g.Gauge(StatusThreadsCount, func() float64 { return float64(runtime.NumGoroutine()) })
	g.Gauge(StatusGoGoroutines, func() float64 { return float64(runtime.NumGoroutine()) })
	g.Gauge(StatusGarbageCollectorCount, func() float64 { return float64(stats().NumGC) })
	g.Gauge(StatusGarbageCollectorTime, func() float64 { return float64(stats().PauseTotalNs) / 1e6 })
}
