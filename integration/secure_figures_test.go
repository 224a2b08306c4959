package integration

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecureFigures measures the figures of the Kerberos closing note
// (FLOE_SECURE_FIGURES=1; it takes ~10 minutes, restarts the secure cluster
// twice, and is skipped otherwise): the secured cluster's start time, the
// per-job submission latency (invoking floe to every subtask RUNNING, as
// TestYarnBench) on the plain and the secured cluster (medians of 5), and
// an HDFS upload of 256 MiB under rpc/data-transfer protection
// authentication and privacy (medians of 3).
func TestSecureFigures(t *testing.T) {
	if os.Getenv("FLOE_SECURE_FIGURES") == "" {
		t.Skip("set FLOE_SECURE_FIGURES=1")
	}
	const runs = 5
	perJob := func(e *ycEnv) func(t *testing.T) []string {
		return func(t *testing.T) []string {
			return []string{"run", "-t", "yarn-per-job", "-d", "-Dyarn.tags=" + e.tag, e.bins + "/clicks", "--rate", "5"}
		}
	}
	var report strings.Builder

	// Secured cluster start: a stop, then a timed start (jars cached).
	c := requireSecureCluster(t, "authentication")
	if out, err := exec.Command(c.Script, "--secure", "stop").CombinedOutput(); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	start := time.Now()
	if out, err := exec.Command(c.Script, "--secure", "start", "--rpc-protection", "authentication").CombinedOutput(); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	fmt.Fprintf(&report, "secured cluster start (KDC + 5 JVMs, warm jars): %.1fs\n", time.Since(start).Seconds())

	plain := newYC(t)
	rp := plain.benchMode(t, "per-job, plain cluster", runs, perJob(plain), true)
	e, sc, env := newSecureYC(t, "authentication")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	rs := e.benchMode(t, "per-job, secured cluster (Kerberos, tokens)", runs, perJob(e), true)
	fmt.Fprintf(&report, "per-job submission latency, plain:   median %.2fs of %s\n", median(rp.latency), fmtList(rp.latency, "%.2fs"))
	fmt.Fprintf(&report, "per-job submission latency, secured: median %.2fs of %s\n", median(rs.latency), fmtList(rs.latency, "%.2fs"))

	blob := filepath.Join(t.TempDir(), "blob")
	f, err := os.Create(blob)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, 256<<20); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	upload := func(protection string) []float64 {
		c := requireSecureCluster(t, protection)
		st := c.store(t, c.login(t))
		dir := "/user/floe/figures-upload"
		var secs []float64
		for i := 0; i < 3; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			_ = st.RemoveAll(ctx, dir)
			t0 := time.Now()
			if err := st.Upload(ctx, blob, dir+"/blob", nil); err != nil {
				cancel()
				t.Fatalf("upload (%s): %v", protection, err)
			}
			secs = append(secs, time.Since(t0).Seconds())
			_ = st.RemoveAll(ctx, dir)
			cancel()
		}
		return secs
	}
	_ = sc
	ua := upload("authentication")
	up := upload("privacy")
	fmt.Fprintf(&report, "HDFS upload 256 MiB, authentication: median %.2fs (%s)\n", median(ua), fmtList(ua, "%.2fs"))
	fmt.Fprintf(&report, "HDFS upload 256 MiB, privacy:        median %.2fs (%s)\n", median(up), fmtList(up, "%.2fs"))
	t.Log("\n" + report.String())
	fmt.Println(report.String())
}
