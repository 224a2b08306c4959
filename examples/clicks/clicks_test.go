package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestClicksRunsUntilInterrupted runs the example binary (local execution),
// reads its rolling counts and interrupts it: the job is canceled and the
// process ends.
func TestClicksRunsUntilInterrupted(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "clicks")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var stdout, stderr lockedBuffer
	cmd := exec.CommandContext(ctx, bin, "--rate", "500", "--users", "5")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if err := <-done; err != nil {
			t.Logf("clicks ended: %v", err) // killed: expected
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(stdout.String(), "\n") < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("no output; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15 s after SIGINT")
	}
	if !strings.Contains(stderr.String(), "CANCELED") {
		t.Errorf("stderr does not report the cancellation:\n%s", stderr.String())
	}
	last := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		user, n, ok := strings.Cut(line, " ")
		count, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil || !strings.HasPrefix(user, "user-") {
			t.Fatalf("bad line %q", line)
		}
		if count != last[user]+1 {
			t.Fatalf("%s: count %d after %d", user, count, last[user])
		}
		last[user] = count
	}
	if len(last) != 5 {
		t.Fatalf("%d users, want 5", len(last))
	}
}
