package jobmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// signedRequest builds a request signed with secret over signedBody that
// carries body.
func signedRequest(t *testing.T, method, url string, secret, signedBody, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != nil {
		if err := api.Sign(r, secret, signedBody, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func status(t *testing.T, r *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestServerRefusesUnsignedMutations tries every mutation (and the control
// upgrade) with each kind of missing or forged signature: all are refused
// with 401 and none takes effect.
func TestServerRefusesUnsignedMutations(t *testing.T) {
	var shutdowns atomic.Int32
	ts := startTestServer(t, ServerOptions{OpenReads: true, Shutdown: func(string) { shutdowns.Add(1) }}, CoreOptions{SlotsPerTaskManager: 2})
	g, err := testGraph(t, "j", []int{1}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	submit, err := json.Marshal(api.SubmitJob{Version: api.Version, Name: "j", Graph: g, Binary: "/bin/job"})
	if err != nil {
		t.Fatal(err)
	}
	routes := []struct {
		name, method, path string
		body               []byte
	}{
		{"submit", http.MethodPost, "/v1/jobs", submit},
		{"cancel", http.MethodPost, "/v1/jobs/j-1/cancel", []byte("{}")},
		{"cluster shutdown", http.MethodPost, "/v1/cluster/shutdown", []byte(`{"version":1,"reason":"x"}`)},
		{"control upgrade", http.MethodGet, api.ControlPath, nil},
	}
	forgeries := []struct {
		name string
		req  func(t *testing.T, method, url string, body []byte) *http.Request
	}{
		{"unsigned", func(t *testing.T, m, u string, b []byte) *http.Request { return signedRequest(t, m, u, nil, nil, b) }},
		{"wrong secret", func(t *testing.T, m, u string, b []byte) *http.Request {
			return signedRequest(t, m, u, []byte("another secret, long enough"), b, b)
		}},
		{"body swapped", func(t *testing.T, m, u string, b []byte) *http.Request {
			return signedRequest(t, m, u, testServerSecret, append([]byte(" "), b...), b)
		}},
		{"replayed", func(t *testing.T, m, u string, b []byte) *http.Request {
			r := signedRequest(t, m, u, testServerSecret, b, b)
			first := r.Clone(context.Background())
			first.Body = io.NopCloser(bytes.NewReader(b))
			t.Logf("genuine request: %d", status(t, first))
			return r
		}},
	}
	for _, rt := range routes {
		for _, f := range forgeries {
			t.Run(rt.name+"/"+f.name, func(t *testing.T) {
				r := f.req(t, rt.method, "http://"+ts.srv.Addr()+rt.path, rt.body)
				if rt.method == http.MethodGet {
					r.Header.Set("Connection", "Upgrade")
					r.Header.Set("Upgrade", api.UpgradeProtocol)
				}
				if code := status(t, r); code != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", code)
				}
			})
		}
	}
	// Only the replays' first, genuine requests took effect.
	if n := shutdowns.Load(); n != 1 {
		t.Fatalf("%d shutdowns, want the 1 genuine", n)
	}
	if l, err := ts.client.Jobs(context.Background()); err != nil || len(l.Jobs) != 1 {
		t.Fatalf("jobs %+v, %v: want the 1 genuine", l, err)
	}
}

// TestServerBodyFlood sends many concurrent large unauthenticated (and
// forged) POSTs: the server refuses them from their headers without reading
// the bodies, its heap stays within a small bound throughout, and signed
// requests still work afterwards.
func TestServerBodyFlood(t *testing.T) {
	ts := startTestServer(t, ServerOptions{MaxBodyBytes: 64 << 20}, CoreOptions{SlotsPerTaskManager: 2})
	const (
		senders = 16
		size    = 64 << 20
		bound   = 32 << 20 // far below senders × size
	)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	url := "http://" + ts.srv.Addr() + "/v1/jobs"
	var wg sync.WaitGroup
	var refused atomic.Int32
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := http.NewRequest(http.MethodPost, url, io.LimitReader(zeros{}, size))
			r.ContentLength = size
			if i%2 == 1 { // forged: signed with another secret over another body
				_ = api.Sign(r, []byte("another secret, long enough"), []byte("x"), time.Now())
			}
			resp, err := (&http.Client{Timeout: time.Minute}).Do(r)
			if err != nil {
				refused.Add(1) // the server closed the connection on the body
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	if n := refused.Load(); n != senders {
		t.Fatalf("%d of %d refused", n, senders)
	}
	if grew := int64(peak.Load()) - int64(base); grew > bound {
		t.Fatalf("heap grew by %d MiB during the flood (bound %d MiB)", grew>>20, bound>>20)
	}
	// A signed body over the limit is refused before it is read.
	big := signedRequest(t, http.MethodPost, url, testServerSecret, nil, nil)
	big.Body, big.ContentLength = io.NopCloser(io.LimitReader(zeros{}, 65<<20)), 65<<20
	if resp, err := http.DefaultClient.Do(big); err == nil {
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized signed body: %d", resp.StatusCode)
		}
	}
	// A signed body must say its length up front.
	chunked := signedRequest(t, http.MethodPost, url, testServerSecret, []byte("{}"), nil)
	chunked.Body, chunked.ContentLength = io.NopCloser(bytes.NewReader([]byte("{}"))), -1
	if code := status(t, chunked); code != http.StatusLengthRequired {
		t.Fatalf("signed chunked body: %d, want 411", code)
	}
	if _, err := ts.client.Overview(context.Background()); err != nil {
		t.Fatalf("signed request after the flood: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestBudgetBoundsBodiesInFlight: a body waits until the budget has room.
func TestBudgetBoundsBodiesInFlight(t *testing.T) {
	b := newBudget(10)
	if err := b.acquire(context.Background(), 8); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.acquire(ctx, 3); err == nil {
		t.Fatal("acquired beyond the budget")
	}
	got := make(chan error, 1)
	go func() { got <- b.acquire(context.Background(), 3) }()
	b.release(8)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
