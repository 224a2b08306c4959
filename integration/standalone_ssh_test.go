package integration

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStandaloneStartClusterSSH: start-cluster.sh and stop-cluster.sh as
// Flink's, with a worker reached over ssh. conf/workers lists this host
// (localhost) and 127.0.0.2, where the test runs a real sshd (its own host
// key and authorized key; env.ssh.opts in floe-conf.yaml says how to reach
// it). That sshd gives its sessions their own FLOE_CLUSTER_DIR, as another
// host has its own /tmp, so the remote TaskManager finds the JobManager
// only through jobmanager.rpc.address and rest.port. A wordcount of
// parallelism 4 runs on both TaskManagers (2 slots each); stop-cluster.sh
// stops both, the remote one over ssh, and the JobManager.
func TestStandaloneStartClusterSSH(t *testing.T) {
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Fatalf("%s: %v (scripts/install-deps.sh installs openssh-server)", sshd, err)
	}
	s := newStandalone(t)
	sd := filepath.Join(s.dir, "ssh")
	if err := os.MkdirAll(sd, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "user"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(sd, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(sd, "user.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sd, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	sshAddr := ln.Addr().(*net.TCPAddr)
	_ = ln.Close()
	remote := filepath.Join(s.dir, "remote")
	cfg := strings.Join([]string{
		"ListenAddress 127.0.0.2", "Port " + strconv.Itoa(sshAddr.Port),
		"HostKey " + filepath.Join(sd, "host"), "AuthorizedKeysFile " + filepath.Join(sd, "authorized_keys"),
		"PidFile " + filepath.Join(sd, "sshd.pid"), "StrictModes no", "UsePAM no",
		"PasswordAuthentication no", "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
		"SetEnv FLOE_CLUSTER_DIR=" + remote,
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(sd, "sshd_config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation folder
	logf, err := os.Create(filepath.Join(sd, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(sd, "sshd_config"))
	daemon.Stdout, daemon.Stderr = logf, logf
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = daemon.Process.Kill(); _ = daemon.Wait(); _ = logf.Close() })
	waitUntil(t, 20*time.Second, "sshd to listen on "+sshAddr.String(), func() (bool, error) {
		c, err := net.DialTimeout("tcp", sshAddr.String(), time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err == nil, nil
	})

	host, port, _ := net.SplitHostPort(s.addr)
	extra := "jobmanager.rpc.address: " + host + "\nrest.port: " + port + "\n" +
		"env.ssh.opts: -p " + strconv.Itoa(sshAddr.Port) + " -i " + filepath.Join(sd, "user") +
		" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR\n"
	f, err := os.OpenFile(filepath.Join(s.conf, "floe-conf.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(extra)
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	if err := os.WriteFile(filepath.Join(s.conf, "workers"), []byte("# this host, and one over ssh\nlocalhost\n127.0.0.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	local, far := filepath.Join(s.dir, "jm", "taskmanager"), filepath.Join(remote, "taskmanager")
	s.tms = append(s.tms, local, far) // stopAll checks their processes are gone

	out := s.script(t, nil, "start-cluster.sh")
	pids := []int{pidOf(t, filepath.Join(s.dir, "jm", "jobmanager.pid")), pidOf(t, filepath.Join(local, "taskmanager.pid")), pidOf(t, filepath.Join(far, "taskmanager.pid"))}
	for i, p := range pids {
		if !alive(p) {
			t.Fatalf("after start-cluster.sh, daemon %d (JobManager, local worker, worker over ssh) is not running (pid %d):\n%s", i, p, out)
		}
	}

	in, want := wordInput(t, s.dir)
	counts := filepath.Join(s.dir, "counts")
	o, err := s.floe(t, "run", "-m", s.addr, "-p", "4", filepath.Join(s.bins, "wordcount"), "--input", in, "--output", counts)
	if err != nil || !strings.Contains(o, "FINISHED") {
		t.Fatalf("floe run -m %s -p 4 wordcount: %v\n%s", s.addr, err, o)
	}
	checkWordCounts(t, counts, want)
	for _, d := range []string{local, far} {
		if len(tmPIDs(t, d)) == 0 {
			t.Errorf("worker %s ran no TaskManager; parallelism 4 needs both", d)
		}
	}

	s.script(t, nil, "stop-cluster.sh")
	waitUntil(t, 30*time.Second, "stop-cluster.sh's daemons to end", func() (bool, error) {
		for _, p := range pids {
			if alive(p) {
				return false, nil
			}
		}
		return true, nil
	})
}
