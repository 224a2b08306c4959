package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// PrometheusFactoryClass is Flink's Prometheus reporter factory, the value
// of metrics.reporter.prom.factory.class that turns the endpoint on.
const PrometheusFactoryClass = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"

// DefaultPromPort is Flink's default metrics.reporter.prom.port.
const DefaultPromPort = "9249"

// PrometheusName is Flink's Prometheus name of a metric: "flink_", the
// scope levels and the name joined by '_', every character outside
// [a-zA-Z0-9:_] replaced by '_'.
func PrometheusName(scope []string, name string) string {
	return sanitize("flink_" + strings.Join(scope, "_") + "_" + name)
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// Collector exposes a Registry to Prometheus, every metric as a gauge
// (counters too, as Flink's reporter does) and histograms as summaries.
type Collector struct{ reg *Registry }

// NewCollector returns the collector of reg.
func NewCollector(reg *Registry) *Collector { return &Collector{reg: reg} }

// Describe sends nothing: the metric set changes as tasks come and go, so
// the collector is unchecked.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect sends every metric of the registry.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	seen := map[string]bool{}
	c.reg.Visit(func(p Point) {
		keys := make([]string, len(p.Labels))
		vals := make([]string, len(p.Labels))
		for i, l := range p.Labels {
			keys[i], vals[i] = sanitize(l.Key), l.Value
		}
		name := PrometheusName(p.Scope, p.Name)
		id := name + "{" + strings.Join(vals, "\x00") + "}"
		if seen[id] {
			return // two groups with equal variables: the first wins
		}
		seen[id] = true
		desc := prometheus.NewDesc(name, p.Name+" (scope: "+strings.Join(p.Scope, ".")+")", keys, nil)
		var m prometheus.Metric
		var err error
		if h := p.Histogram; h != nil {
			q := make(map[float64]float64, len(Quantiles))
			for i, l := range Quantiles {
				q[l] = h.Quantiles[i]
			}
			m, err = prometheus.NewConstSummary(desc, uint64(h.Count), h.Mean*float64(h.Count), q, vals...)
		} else {
			m, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, p.Value, vals...)
		}
		if err == nil {
			ch <- m
		}
	})
}

// ReporterOptions configure a Prometheus endpoint.
type ReporterOptions struct {
	// Host to listen on ("" for all interfaces).
	Host string
	// Ports is a port ("9249"), a range ("9250-9260") or a list of both
	// separated by commas; the first free one is taken.
	Ports    string
	Registry *Registry
	// Update is how often the reporter samples the registry's meters
	// (0: every 5s, Flink's MeterView update interval; negative: never,
	// someone else does).
	Update time.Duration
}

// Reporter serves GET /metrics in Prometheus' text format.
type Reporter struct {
	ln  net.Listener
	srv *http.Server
	reg *Registry
	upd time.Duration
}

// ParsePorts reads metrics.reporter.prom.port's value.
func ParsePorts(spec string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err != nil || a < 0 || b > 65535 || b < a {
			return nil, fmt.Errorf("%s %q: want a port or a range like 9250-9260", conf.MetricsPromPort, spec)
		}
		for p := a; p <= b; p++ {
			out = append(out, p)
		}
	}
	return out, nil
}

// Listen binds the first free port of opts.Ports.
func Listen(opts ReporterOptions) (*Reporter, error) {
	ports, err := ParsePorts(opts.Ports)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, p := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(opts.Host, strconv.Itoa(p)))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return newReporter(ln, opts), nil
	}
	return nil, fmt.Errorf("prometheus reporter: no free port in %s %q: %w", conf.MetricsPromPort, opts.Ports, errors.Join(errs...))
}

func newReporter(ln net.Listener, opts ReporterOptions) *Reporter {
	preg := prometheus.NewRegistry()
	preg.MustRegister(NewCollector(opts.Registry))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(preg, promhttp.HandlerOpts{}))
	upd := opts.Update
	if upd == 0 {
		upd = 5 * time.Second
	}
	return &Reporter{ln: ln, reg: opts.Registry, upd: upd,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
}

// Port is the port the reporter listens on.
func (r *Reporter) Port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// Serve answers scrapes and samples the registry's meters until ctx ends.
func (r *Reporter) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if r.upd > 0 {
			RunUpdates(ctx, r.reg, r.upd)
		} else {
			<-ctx.Done()
		}
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.srv.Shutdown(sctx)
	}()
	err := r.srv.Serve(r.ln)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// RunUpdates samples reg's meters every interval until ctx ends.
func RunUpdates(ctx context.Context, reg *Registry, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	reg.Update(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			reg.Update(now)
		}
	}
}

// PrometheusPorts returns metrics.reporter.prom.port when lookup turns the
// Prometheus reporter on (metrics.reporter.prom.factory.class names
// Flink's factory), and false when it is off. Another factory class is an
// error naming the one supported.
func PrometheusPorts(lookup func(string) (string, bool)) (string, bool, error) {
	class, ok := lookup(conf.MetricsPromFactoryClass)
	if !ok || class == "" {
		return "", false, nil
	}
	if class != PrometheusFactoryClass {
		return "", false, fmt.Errorf("%s %q: Floe has the Prometheus reporter only; set it to %s", conf.MetricsPromFactoryClass, class, PrometheusFactoryClass)
	}
	ports, ok := lookup(conf.MetricsPromPort)
	if !ok || ports == "" {
		ports = DefaultPromPort
	}
	if _, err := ParsePorts(ports); err != nil {
		return "", false, err
	}
	return ports, true, nil
}
