package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
)

// TestYarnExternalKill: forceKillApplication from a second client ends a
// per-job application KILLED, and its staging folder is gone (the AM
// deletes it on SIGTERM).
func TestYarnExternalKill(t *testing.T) {
	e := newYC(t)
	out, err := e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-per-job", "-d", "-Dyarn.tags="+e.tag, e.bins+"/clicks", "--rate", "5")
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	if !e.exists(t, e.stagingDir(app)) {
		t.Fatalf("no staging folder while the application runs")
	}
	second := newRMClient(t, e.h, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := second.Kill(ctx, app, "integration test: external kill"); err != nil {
		t.Fatal(err)
	}
	rep := e.waitAppEnd(t, app, time.Minute)
	if rep.State.String() != "KILLED" {
		t.Errorf("state %s, want KILLED", rep.State)
	}
	e.waitStagingGone(t, app, 30*time.Second)
}

// TestYarnPerJobCancelEndsApplication: cancelling the only job of a
// per-job cluster ends the application.
func TestYarnPerJobCancelEndsApplication(t *testing.T) {
	e := newYC(t)
	out, err := e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-per-job", "-d", "-Dyarn.tags="+e.tag, e.bins+"/clicks", "--rate", "5")
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	m := regexp.MustCompile(`job (\S+) \(`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job id in %q", out)
	}
	if _, err := e.floe(t, 2*time.Minute, "", "cancel", "-t", "yarn-per-job", "-Dyarn.application.id="+app.String(), m[1]); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	rep := e.waitAppEnd(t, app, time.Minute)
	if rep.FinalStatus.String() != "KILLED" {
		t.Errorf("final status %s, want KILLED", rep.FinalStatus)
	}
	e.waitStagingGone(t, app, 30*time.Second)
}

// ycContainerPIDs finds this host's processes of app's containers that
// play role (FLOE_ROLE), by their environment, leaving out shells.
func ycContainerPIDs(t *testing.T, app, role string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, en := range ents {
		pid, err := strconv.Atoi(en.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", en.Name(), "environ"))
		if err != nil {
			continue
		}
		env := "\x00" + string(b)
		if !strings.Contains(env, "\x00FLOE_ROLE="+role+"\x00") || !strings.Contains(env, app) {
			continue
		}
		// Skip the NodeManager's shell wrappers, which share the environment.
		if exe, err := os.Readlink(filepath.Join("/proc", en.Name(), "exe")); err == nil && !shells[filepath.Base(exe)] {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestYarnTaskManagerKill: kill -9 on a TaskManager container process
// during a bounded job; the AM gets a replacement container, the job
// finishes with the correct output and the container's exit status is in
// the job's exception history.
func TestYarnTaskManagerKill(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	want := e.writeWords(t, dir+"/in/words.txt", 600000, 5)
	out, err := e.floe(t, 3*time.Minute, "", "run", "-t", "yarn-per-job", "-d", "-Dyarn.tags="+e.tag,
		"-Drestart-strategy.type=fixed-delay", "-Drestart-strategy.fixed-delay.attempts=3",
		e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
	if err != nil {
		t.Fatalf("run -d: %v", err)
	}
	app := ycAppIDIn(t, out)
	e.killAtEnd(t, app)
	m := regexp.MustCompile(`job (\S+) \(`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job id in %q", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cc, err := e.descriptor(t).Retrieve(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	// Kill only once the job runs with every subtask deployed: a failure
	// "during a bounded job", not during TaskManager start-up.
	waitUntil(t, 2*time.Minute, "every subtask RUNNING", func() (bool, error) {
		j, err := cc.Job(ctx, m[1])
		if err != nil || len(j.Subtasks) == 0 {
			return false, nil
		}
		if j.State.Terminal() {
			return false, fmt.Errorf("job ended (%s) before the kill; the input is too small", j.State)
		}
		for _, st := range j.Subtasks {
			if st.State != "RUNNING" {
				return false, nil
			}
		}
		return true, nil
	})
	pids := ycContainerPIDs(t, app.String(), "taskmanager")
	if len(pids) == 0 {
		t.Fatal("no TaskManager process of the application on this host")
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed TaskManager pid %d", pids[0])
	// The AM ends the application right after the job, so record the
	// exception history while the job runs and take the end from YARN.
	var exceptions string
	waitUntil(t, 5*time.Minute, "the application to end", func() (bool, error) {
		jctx, jcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer jcancel()
		if j, err := cc.Job(jctx, m[1]); err == nil && len(j.Exceptions) > 0 {
			exceptions = client.FormatExceptions(j.Exceptions)
		}
		r, err := e.rm.ApplicationReport(jctx, app)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus.String() != "SUCCEEDED" {
			t.Errorf("application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	t.Logf("exception history: %s", exceptions)
	if !strings.Contains(exceptions, "exited with status 137") {
		t.Errorf("exception history lacks the container's exit status: %s", exceptions)
	}
	ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
}
