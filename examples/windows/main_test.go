package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/windows/job"
)

// TestParseArgs: the contract's flags fill the job's options, and each
// required one is named when missing (the shared checks are
// exampleargs').
func TestParseArgs(t *testing.T) {
	args := []string{"--input", "in", "--output", "out", "--window", "tumbling:1s", "--rate", "20", "--out-of-orderness", "250ms"}
	o, err := parseArgs(args)
	want := job.Options{Input: "in", Output: "out", Window: "tumbling:1s", Rate: 20, OutOfOrderness: 250 * time.Millisecond}
	if err != nil || o != want {
		t.Fatalf("parseArgs(%q) = %+v, %v; want %+v", args, o, err, want)
	}
	for i, name := range []string{"input", "output", "window"} {
		without := append(append([]string{}, args[:2*i]...), args[2*i+2:]...)
		if _, err := parseArgs(without); err == nil || !strings.Contains(err.Error(), "--"+name+" is required") {
			t.Errorf("without --%s: %v", name, err)
		}
	}
}

// TestUsageExit runs main (this test binary, re-run) with a window spec
// job.Build refuses: exit status 2 with the problem, before any job runs.
func TestUsageExit(t *testing.T) {
	if args, ok := os.LookupEnv("WINDOWS_TEST_MAIN_ARGS"); ok {
		os.Args = append([]string{"windows"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUsageExit$")
	cmd.Env = append(os.Environ(), "WINDOWS_TEST_MAIN_ARGS=--input in --output out --window tumbling:0s")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "windows: ") || !strings.Contains(string(out), "must be positive") {
		t.Fatalf("exit %v, output %q; want status 2 and the window size refused", err, out)
	}
}
