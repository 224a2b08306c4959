package metrics

import (
	"math"
	"sort"
	"sync"
)

// Histogram keeps the newest values of a distribution (a sliding window,
// as Flink's DescriptiveStatisticsHistogram) for its statistics.
type Histogram struct {
	mu     sync.Mutex
	window []int64
	next   int
	full   bool
	count  int64
}

// NewHistogram keeps the newest size values (1024 when size <= 0).
func NewHistogram(size int) *Histogram {
	if size <= 0 {
		size = 1024
	}
	return &Histogram{window: make([]int64, size)}
}

// Update adds a value.
func (h *Histogram) Update(v int64) {
	h.mu.Lock()
	h.window[h.next] = v
	h.next++
	if h.next == len(h.window) {
		h.next, h.full = 0, true
	}
	h.count++
	h.mu.Unlock()
}

// HistogramStatistics are a histogram's figures, as Flink reports them.
type HistogramStatistics struct {
	Count  int64   `json:"count"`
	Min    int64   `json:"min"`
	Max    int64   `json:"max"`
	Mean   float64 `json:"mean"`
	StdDev float64 `json:"stddev"`
	// Quantiles holds the values at Quantiles' levels, in that order.
	Quantiles []float64 `json:"quantiles"`
}

// Quantiles are the levels reported for histograms (Flink's: p50, p75,
// p95, p98, p99, p999).
var Quantiles = []float64{0.5, 0.75, 0.95, 0.98, 0.99, 0.999}

// QuantileNames name Quantiles' levels in flattened dumps.
var QuantileNames = []string{"p50", "p75", "p95", "p98", "p99", "p999"}

// Statistics computes the figures of the values in the window; Count is
// every value ever added.
func (h *Histogram) Statistics() HistogramStatistics {
	h.mu.Lock()
	n := h.next
	if h.full {
		n = len(h.window)
	}
	vals := append([]int64(nil), h.window[:n]...)
	st := HistogramStatistics{Count: h.count, Quantiles: make([]float64, len(Quantiles))}
	h.mu.Unlock()
	if n == 0 {
		return st
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	st.Min, st.Max = vals[0], vals[n-1]
	var sum float64
	for _, v := range vals {
		sum += float64(v)
	}
	st.Mean = sum / float64(n)
	if n > 1 {
		var sq float64
		for _, v := range vals {
			d := float64(v) - st.Mean
			sq += d * d
		}
		st.StdDev = math.Sqrt(sq / float64(n-1))
	}
	for i, q := range Quantiles {
		st.Quantiles[i] = quantile(vals, q)
	}
	return st
}

// quantile interpolates the q-quantile of sorted values (the estimation
// Flink's histogram uses: position q·(n+1)).
func quantile(sorted []int64, q float64) float64 {
	n := float64(len(sorted))
	pos := q * (n + 1)
	switch {
	case pos < 1:
		return float64(sorted[0])
	case pos >= n:
		return float64(sorted[len(sorted)-1])
	}
	lo := math.Floor(pos)
	d := pos - lo
	a := float64(sorted[int(lo)-1])
	b := float64(sorted[int(lo)])
	return a + d*(b-a)
}
