package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnBench is `make bench-yarn` (scripts/bench-yarn.sh sets
// FLOE_BENCH_YARN=1; otherwise it is skipped). For each mode it measures,
// over 5 runs, the submission latency from invoking floe to the job RUNNING
// with every subtask deployed, the bytes uploaded, and the RSS of the AM
// and of a TaskManager (from /proc of the container processes on this
// host), and reports medians.
func TestYarnBench(t *testing.T) {
	if os.Getenv("FLOE_BENCH_YARN") == "" {
		t.Skip("set FLOE_BENCH_YARN=1 (make bench-yarn)")
	}
	e := newYC(t)
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("FLOE_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	dir := e.testDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lib := dir + "/lib"
	if err := e.st.Upload(ctx, e.bins+"/floe", lib+"/floe", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Upload(ctx, e.bins+"/clicks", dir+"/jobs/clicks", nil); err != nil {
		t.Fatal(err)
	}
	var results []benchResult

	// Per-job, cold: each run gets a fresh staging root, so its binary
	// cache is empty and the framework and the job binary are uploaded
	// (the shared cache of other tests is left alone).
	cold := 0
	results = append(results, e.benchMode(t, "per-job cold (empty cache)", runs, func(t *testing.T) []string {
		cold++
		root := fmt.Sprintf("%s/cold%d", dir, cold)
		return []string{"run", "-t", "yarn-per-job", "-d", "-Dyarn.tags=" + e.tag, "-Dyarn.staging-directory=" + root, e.bins + "/clicks", "--rate", "5"}
	}, true))
	// Application mode, provided lib dirs, job binary on HDFS.
	results = append(results, e.benchMode(t, "application, provided lib dirs + job on HDFS", runs, func(t *testing.T) []string {
		return []string{"run-application", "-t", "yarn-application", "-d", "-Dyarn.tags=" + e.tag,
			"-Dyarn.provided.lib.dirs=" + e.qualify(t, lib), e.qualify(t, dir+"/jobs/clicks"), "--rate", "5"}
	}, true))
	// A warm session whose TaskManagers are idle and reusable.
	out, err := e.floe(t, 3*time.Minute, "", "yarn-session", "-d", e.props(), "-Dyarn.tags="+e.tag, "-Dresourcemanager.taskmanager-timeout=10 min")
	if err != nil {
		t.Fatal(err)
	}
	session := ycAppIDIn(t, out)
	e.killAtEnd(t, session)
	warm := []string{"run", "-t", "yarn-session", "-d", e.props(), e.bins + "/clicks", "--rate", "5"}
	e.benchOnce(t, "session warm-up", warm, false) // starts the TaskManager the measured runs reuse
	results = append(results, e.benchMode(t, "session, warm (idle TaskManager reused)", runs, func(t *testing.T) []string { return warm }, false))
	if _, err := e.floe(t, 2*time.Minute, "stop\n", "yarn-session", "-id", session.String(), e.props()); err != nil {
		t.Errorf("stop session: %v", err)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\nYARN submission benchmark (medians of %d)\n", runs)
	fmt.Fprintf(&b, "%-48s %12s %14s %10s %10s\n", "mode", "latency", "uploaded", "AM RSS", "TM RSS")
	for _, r := range results {
		fmt.Fprintf(&b, "%-48s %11.2fs %14s %9.1fM %9.1fM\n", r.name, median(r.latency), humanB(median(r.uploaded)), median(r.amRSS)/1024, median(r.tmRSS)/1024)
		fmt.Fprintf(&b, "%-48s %s\n", "", "latencies: "+fmtList(r.latency, "%.2fs"))
	}
	fmt.Print(b.String())
	if p := os.Getenv("FLOE_BENCH_OUT"); p != "" {
		_ = os.WriteFile(p, []byte(b.String()), 0o644)
	}
}

type benchResult struct {
	name                            string
	latency, uploaded, amRSS, tmRSS []float64
}

type benchSample struct {
	latency      time.Duration
	uploaded     float64
	amRSS, tmRSS float64 // KiB
}

func (e *ycEnv) benchMode(t *testing.T, name string, runs int, args func(t *testing.T) []string, ownsCluster bool) benchResult {
	r := benchResult{name: name}
	for i := 0; i < runs; i++ {
		s := e.benchOnce(t, name, args(t), ownsCluster)
		r.latency = append(r.latency, s.latency.Seconds())
		r.uploaded = append(r.uploaded, s.uploaded)
		r.amRSS = append(r.amRSS, s.amRSS)
		r.tmRSS = append(r.tmRSS, s.tmRSS)
	}
	return r
}

var uploadedRE = regexp.MustCompile(`\(([0-9.]+) (B|KiB|MiB) uploaded\)`)

// benchOnce submits one job detached, waits until every subtask is
// RUNNING, measures, and cancels the job (ending a per-job or application
// cluster).
func (e *ycEnv) benchOnce(t *testing.T, name string, args []string, ownsCluster bool) benchSample {
	t.Helper()
	start := time.Now()
	out, err := e.floe(t, 3*time.Minute, "", args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	app := ycAppIDIn(t, out)
	if ownsCluster {
		e.killAtEnd(t, app)
	}
	job := ""
	if m := ycJobRE.FindStringSubmatch(out); m != nil {
		job = m[1]
	} else if m := ycJobIDRE.FindStringSubmatch(out); m != nil {
		job = m[1]
	} else {
		t.Fatalf("%s: no job id in %q", name, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var dyn []string
	for _, a := range args {
		if strings.HasPrefix(a, "-Dyarn.staging-directory=") {
			dyn = append(dyn, strings.TrimPrefix(a, "-D"))
		}
	}
	cc, err := e.descriptor(t, dyn...).Retrieve(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	var s benchSample
	waitUntil(t, 2*time.Minute, name+": all subtasks RUNNING", func() (bool, error) {
		j, err := cc.Job(ctx, job)
		if err != nil || len(j.Subtasks) == 0 {
			return false, nil
		}
		for _, st := range j.Subtasks {
			if st.State != api.Running {
				return false, nil
			}
		}
		return true, nil
	})
	s.latency = time.Since(start)
	if m := uploadedRE.FindStringSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(m[1], 64)
		s.uploaded = v * map[string]float64{"B": 1, "KiB": 1024, "MiB": 1 << 20}[m[2]]
	}
	s.amRSS = rssOf(t, app, contract.EnvYarnMode+"=")
	s.tmRSS = rssOf(t, app, contract.EnvRole+"="+contract.RoleTaskManager)
	if _, err := cc.Cancel(ctx, job); err != nil {
		t.Fatalf("cancel %s: %v", job, err)
	}
	if ownsCluster {
		e.waitAppEnd(t, app, 2*time.Minute)
	} else {
		waitUntil(t, time.Minute, "job cancelled", func() (bool, error) {
			j, err := cc.Job(ctx, job)
			return err == nil && j.State.Terminal(), nil
		})
	}
	t.Logf("%s: %s, %.0f B uploaded, AM %.0f KiB, TM %.0f KiB", name, s.latency.Round(time.Millisecond), s.uploaded, s.amRSS, s.tmRSS)
	return s
}

// rssOf returns the VmRSS (KiB) of the first process of app whose
// environment holds marker, skipping the container's shell wrappers; 0
// when there is none on this host.
func rssOf(t *testing.T, app yarnrpc.ApplicationID, marker string) float64 {
	ents, _ := os.ReadDir("/proc")
	for _, en := range ents {
		if _, err := strconv.Atoi(en.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", en.Name(), "environ"))
		if err != nil {
			continue
		}
		env := "\x00" + string(b)
		if !strings.Contains(env, "\x00"+marker) || !strings.Contains(env, app.String()) {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc", en.Name(), "exe")); err != nil || shells[filepath.Base(target)] {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", en.Name(), "status"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(st), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				v, _ := strconv.ParseFloat(f[1], 64)
				return v
			}
		}
	}
	return 0
}

var shells = map[string]bool{"bash": true, "sh": true, "dash": true}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtList(v []float64, f string) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf(f, x)
	}
	return strings.Join(parts, " ")
}

func humanB(n float64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", n/(1<<10))
	}
	return fmt.Sprintf("%.0f B", n)
}
