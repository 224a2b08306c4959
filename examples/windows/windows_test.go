package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/examples/windows/job"
	"github.com/floe-yarn/floe/examples/windows/windowscheck"
	"github.com/floe-yarn/floe/stream"
)

// runWindows runs the job in-process at parallelism p on input lines and
// returns its window lines and late lines.
func runWindows(t *testing.T, lines []string, spec string, d time.Duration, p int) (windows, late []string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "events.txt")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	if err := job.Build(env, job.Options{Input: in, Output: out, Window: spec, OutOfOrderness: d}); err != nil {
		t.Fatal(err)
	}
	if err := env.Execute("windows"); err != nil {
		t.Fatal(err)
	}
	read := func(path string) []string {
		ls, err := windowscheck.ReadLines(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}
	return read(out), read(filepath.Join(out, job.LateDir))
}

var specs = []string{"tumbling:100ms", "sliding:100ms:30ms", "session:25ms"}

// TestWindowsInBound: no record lags by the out-of-orderness, so at any
// parallelism nothing is late and the output is the pure reference.
func TestWindowsInBound(t *testing.T) {
	const d = 50 * time.Millisecond
	for _, spec := range specs {
		for _, p := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/p%d", spec, p), func(t *testing.T) {
				lines := windowscheck.Generate(3000, 7, uint64(p), 20, 49, 0)
				events, err := windowscheck.ParseEvents(lines)
				if err != nil {
					t.Fatal(err)
				}
				if dis := windowscheck.Disorder(events); dis >= d.Milliseconds() {
					t.Fatalf("generated disorder %d ms, want < %v", dis, d)
				}
				sp, err := windowscheck.ParseSpec(spec)
				if err != nil {
					t.Fatal(err)
				}
				windows, late := runWindows(t, lines, spec, d, p)
				if err := windowscheck.Compare("windows", windows, windowscheck.Pure(events, sp)); err != nil {
					t.Error(err)
				}
				if len(late) > 0 {
					t.Errorf("%d late records, want none: %v", len(late), late[:min(5, len(late))])
				}
			})
		}
	}
}

// TestWindowsLateRecords: with records lagging far behind, a job with one
// source subtask drops exactly the records the reference finds late, to
// the late output.
func TestWindowsLateRecords(t *testing.T) {
	const d = 30 * time.Millisecond
	for _, spec := range specs {
		t.Run(spec, func(t *testing.T) {
			lines := windowscheck.Generate(3000, 5, 7, 20, 29, 15)
			events, err := windowscheck.ParseEvents(lines)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := windowscheck.ParseSpec(spec)
			if err != nil {
				t.Fatal(err)
			}
			wantWindows, wantLate := windowscheck.Expected(events, sp, d)
			if len(wantLate) == 0 {
				t.Fatal("test input has no late records")
			}
			windows, late := runWindows(t, lines, spec, d, 1)
			if err := windowscheck.Compare("windows", windows, wantWindows); err != nil {
				t.Error(err)
			}
			if err := windowscheck.Compare("late records", late, wantLate); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestWindowsBadInput(t *testing.T) {
	cases := []struct{ name, spec, want string }{
		{"size 0", "tumbling:0s", "must be positive"},
		{"slide larger than size", "sliding:1s:2s", "larger than its size"},
		{"malformed duration", "tumbling:5x", "malformed duration"},
		{"unknown kind", "hopping:1s", "unknown kind"},
		{"missing slide", "sliding:1s", "want tumbling:SIZE"},
		{"session gap 0", "session:0ms", "must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{})
			err := job.Build(env, job.Options{Input: "in", Output: "out", Window: tc.spec})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build(%q) = %v, want an error containing %q", tc.spec, err, tc.want)
			}
		})
	}
}
