package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/standalone"
)

// Standalone clusters as Flink's docs run them: scripts/jobmanager.sh,
// taskmanager.sh (two "hosts": two working folders), start-cluster.sh's
// pieces and standalone-job.sh, with the CLI's -m host:port. No YARN.

type saCluster struct {
	root, bins, dir, conf, addr string
	env                         []string
	tms                         []string // TaskManager folders started
}

func newStandalone(t *testing.T, confLines ...string) *saCluster {
	t.Helper()
	root := repoRoot()
	s := &saCluster{root: root, bins: ycBinaries(t, root), dir: t.TempDir()}
	s.conf = filepath.Join(s.dir, "conf")
	if err := os.MkdirAll(s.conf, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "taskmanager.numberOfTaskSlots: 2\nheartbeat.interval: 1 s\nheartbeat.timeout: 10 s\n" + strings.Join(confLines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(s.conf, "floe-conf.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	_ = ln.Close() // the JobManager binds it next
	s.env = append(os.Environ(), "FLOE_CONF_DIR="+s.conf, "FLOE_CLUSTER_DIR="+filepath.Join(s.dir, "jm"),
		"FLOE_CLUSTER_ADDRESS="+s.addr, "FLOE_BIN="+filepath.Join(s.bins, "floe"), "FLOE_SECRET_FILE=")
	t.Cleanup(func() { s.stopAll(t) })
	return s
}

// script runs scripts/NAME with extra environment.
func (s *saCluster) script(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.root, "scripts", name), args...)
	cmd.Env = append(append([]string(nil), s.env...), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *saCluster) startTM(t *testing.T, host string) string {
	t.Helper()
	d := filepath.Join(s.dir, host)
	s.tms = append(s.tms, d)
	s.script(t, []string{"FLOE_TM_DIR=" + d}, "taskmanager.sh", "start")
	return d
}

// floe runs the CLI with the cluster's configuration folder.
func (s *saCluster) floe(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bins, "floe"), args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func pidOf(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// tmPIDs are the TaskManager processes a worker started (from its log).
func tmPIDs(t *testing.T, tmDir string) []int {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(tmDir, "log", "worker.log"))
	var out []int
	for _, m := range regexp.MustCompile(`TaskManager started pid=(\d+)`).FindAllStringSubmatch(string(b), -1) {
		pid, _ := strconv.Atoi(m[1])
		out = append(out, pid)
	}
	return out
}

// stopAll stops every daemon and checks that no process is left.
func (s *saCluster) stopAll(t *testing.T) {
	var pids []int
	for _, d := range s.tms {
		pids = append(pids, pidOf(t, filepath.Join(d, "taskmanager.pid")))
		pids = append(pids, tmPIDs(t, d)...)
		cmd := exec.Command(filepath.Join(s.root, "scripts", "taskmanager.sh"), "stop")
		cmd.Env = append(append([]string(nil), s.env...), "FLOE_TM_DIR="+d)
		_ = cmd.Run() // checked below through the processes
	}
	pids = append(pids, pidOf(t, filepath.Join(s.dir, "jm", "jobmanager.pid")))
	cmd := exec.Command(filepath.Join(s.root, "scripts", "jobmanager.sh"), "stop")
	cmd.Env = s.env
	_ = cmd.Run()
	waitUntil(t, 20*time.Second, "every standalone process to end", func() (bool, error) {
		for _, p := range pids {
			if alive(p) {
				return false, nil
			}
		}
		return true, nil
	})
}

func wordInput(t *testing.T, dir string) (string, map[string]int) {
	t.Helper()
	var b strings.Builder
	want := map[string]int{}
	for i := 0; i < 3000; i++ {
		line := "alpha beta gamma" + strings.Repeat("x", i%23)
		b.WriteString(line + "\n")
		for _, w := range strings.Fields(line) {
			want[w]++
		}
	}
	p := filepath.Join(dir, "words.txt")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, want
}

func checkWordCounts(t *testing.T, out string, want map[string]int) {
	t.Helper()
	lines, err := ledgercheck.ReadLines(out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 2 {
			t.Fatalf("output line %q: want <word> <count>", l)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		got[f[0]] += n
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counts differ:\n got %v\nwant %v", got, want)
	}
}

var saJobID = regexp.MustCompile(`submitted with id ([0-9a-f]{32})`)

func TestStandaloneSessionTwoHosts(t *testing.T) {
	s := newStandalone(t)
	s.script(t, nil, "jobmanager.sh", "start")
	h1, h2 := s.startTM(t, "host1"), s.startTM(t, "host2")
	st, err := os.Stat(filepath.Join(s.conf, standalone.SecretFileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cluster secret in the conf folder: %v, mode %v; want a 0600 file", err, st.Mode())
	}

	// Parallelism 4 over two hosts of 2 slots: both run a TaskManager.
	in, want := wordInput(t, s.dir)
	out := filepath.Join(s.dir, "counts")
	o, err := s.floe(t, "run", "-m", s.addr, "-p", "4", filepath.Join(s.bins, "wordcount"), "--input", in, "--output", out)
	if err != nil || !strings.Contains(o, "FINISHED") {
		t.Fatalf("floe run -m %s -p 4 wordcount: %v\n%s", s.addr, err, o)
	}
	checkWordCounts(t, out, want)
	for _, d := range []string{h1, h2} {
		if len(tmPIDs(t, d)) == 0 {
			t.Errorf("worker %s ran no TaskManager; parallelism 4 needs both hosts", d)
		}
	}

	// list and cancel through -m.
	o, err = s.floe(t, "run", "-m", s.addr, "-d", filepath.Join(s.bins, "ledger"), "--rate", "5",
		"--input", writeLedgerInput(t, s.dir, 2000), "--output", filepath.Join(s.dir, "ledger-out"))
	m := saJobID.FindStringSubmatch(o)
	if err != nil || m == nil {
		t.Fatalf("floe run -d: %v\n%s", err, o)
	}
	waitUntil(t, 60*time.Second, "the detached job RUNNING in floe list -m", func() (bool, error) {
		o, err := s.floe(t, "list", "-m", s.addr)
		return err == nil && regexp.MustCompile(m[1]+`\s+RUNNING`).MatchString(o), nil
	})
	if o, err := s.floe(t, "cancel", "-m", s.addr, m[1]); err != nil || !strings.Contains(o, "Cancelled job "+m[1]) {
		t.Fatalf("floe cancel -m: %v\n%s", err, o)
	}
	o, err = s.floe(t, "list", "-m", s.addr)
	if err != nil || !regexp.MustCompile(m[1]+`\s+CANCELED`).MatchString(o) {
		t.Fatalf("floe list -m after cancel: %v\n%s", err, o)
	}

	// Without the secret: a clear error naming the file and the way out.
	bad := append(append([]string(nil), s.env...), "FLOE_CONF_DIR="+t.TempDir())
	cmd := exec.Command(filepath.Join(s.bins, "floe"), "list", "-m", s.addr)
	cmd.Env = bad
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), standalone.SecretFileName) || !strings.Contains(string(b), "FLOE_SECRET_FILE") {
		t.Fatalf("floe list -m without the secret: %v\n%s\nwant an error naming %s and FLOE_SECRET_FILE", err, b, standalone.SecretFileName)
	}
	// A log file never holds colour codes.
	if b, _ := os.ReadFile(filepath.Join(s.dir, "jm", "log", "jobmanager.log")); strings.Contains(string(b), "\x1b[") {
		t.Fatal("jobmanager.log holds terminal colour codes")
	}
}

func writeLedgerInput(t *testing.T, dir string, n int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("ledger-%d.txt", n))
	if err := os.WriteFile(p, []byte(strings.Join(ledgercheck.Generate(n, 20, 7), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStandaloneApplicationMode(t *testing.T) {
	s := newStandalone(t)
	in, want := wordInput(t, s.dir)
	out := filepath.Join(s.dir, "counts")
	s.script(t, nil, "standalone-job.sh", "start", filepath.Join(s.bins, "wordcount"), "--input", in, "--output", out)
	h1 := s.startTM(t, "host1")
	jm, tm := pidOf(t, filepath.Join(s.dir, "jm", "jobmanager.pid")), pidOf(t, filepath.Join(h1, "taskmanager.pid"))
	waitUntil(t, 90*time.Second, "the application cluster (JobManager and TaskManager) to end with its job", func() (bool, error) {
		return !alive(jm) && !alive(tm), nil
	})
	checkWordCounts(t, out, want)
	b, _ := os.ReadFile(filepath.Join(s.dir, "jm", "log", "jobmanager.log"))
	if !regexp.MustCompile(`Job [0-9a-f]{32} FINISHED`).Match(b) {
		t.Fatalf("application JobManager log: want the job FINISHED:\n%s", b)
	}
}

func TestStandaloneTaskManagerKillRecovers(t *testing.T) {
	s := newStandalone(t)
	chk := filepath.Join(s.dir, "checkpoints")
	s.script(t, nil, "jobmanager.sh", "start")
	h1 := s.startTM(t, "host1")
	in := writeLedgerInput(t, s.dir, 3000)
	out := filepath.Join(s.dir, "ledger-out")
	o, err := s.floe(t, "run", "-m", s.addr, "-d", "-p", "2", "-D", "execution.checkpointing.interval=1s",
		"-D", "state.checkpoints.dir=file://"+chk, filepath.Join(s.bins, "ledger"), "--rate", "150", "--input", in, "--output", out)
	m := saJobID.FindStringSubmatch(o)
	if err != nil || m == nil {
		t.Fatalf("floe run -d ledger: %v\n%s", err, o)
	}
	jm := remoteJM(t, s)
	waitUntil(t, 60*time.Second, "a completed checkpoint", func() (bool, error) {
		st, err := jm.Checkpoints(context.Background(), m[1])
		return err == nil && st.Latest.Completed != nil, nil
	})
	// kill -9 the worker of "host1": its TaskManagers die with it.
	worker, tms := pidOf(t, filepath.Join(h1, "taskmanager.pid")), tmPIDs(t, h1)
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the killed worker's TaskManagers to end", func() (bool, error) {
		for _, p := range tms {
			if alive(p) {
				return false, nil
			}
		}
		return true, nil
	})
	s.startTM(t, "host2")
	waitUntil(t, 3*time.Minute, "the job to finish on the new TaskManager", func() (bool, error) {
		st, err := jm.Job(context.Background(), m[1])
		if err != nil {
			return false, nil
		}
		if st.State == api.JobFailed || st.State == api.JobCanceled {
			return false, fmt.Errorf("job %s: %s", st.State, st.Cause)
		}
		return st.State == api.JobFinished, nil
	})
	st, err := jm.Checkpoints(context.Background(), m[1])
	if err != nil || st.Latest.Restored == nil || st.Counts.Restored == 0 {
		t.Fatalf("checkpoint statistics %+v, %v: want the job restored from a checkpoint", st, err)
	}
	input, err := ledgercheck.ReadLines(in)
	if err != nil {
		t.Fatal(err)
	}
	output, err := ledgercheck.ReadLines(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledgercheck.Check(input, output); err != nil {
		t.Fatalf("ledger after a TaskManager kill: %v", err)
	}
}

func remoteJM(t *testing.T, s *saCluster) *api.Client {
	t.Helper()
	secret, err := api.ReadSecretFile(filepath.Join(s.conf, standalone.SecretFileName))
	if err != nil {
		t.Fatal(err)
	}
	return api.NewClient(s.addr, secret)
}
