package main

import (
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/rules/job"
)

// TestParseArgs: the contract's flags fill the job's options, and each
// required one is named when missing (the shared checks are
// exampleargs').
func TestParseArgs(t *testing.T) {
	args := []string{"--events", "ev", "--rules", "ru", "--output", "out", "--rate", "20", "--out-of-orderness", "2s"}
	o, err := parseArgs(args)
	want := job.Options{Events: "ev", Rules: "ru", Output: "out", Rate: 20, OutOfOrderness: 2 * time.Second}
	if err != nil || o != want {
		t.Fatalf("parseArgs(%q) = %+v, %v; want %+v", args, o, err, want)
	}
	for i, name := range []string{"events", "rules", "output"} {
		without := append(append([]string{}, args[:2*i]...), args[2*i+2:]...)
		if _, err := parseArgs(without); err == nil || !strings.Contains(err.Error(), "--"+name+" is required") {
			t.Errorf("without --%s: %v", name, err)
		}
	}
}
