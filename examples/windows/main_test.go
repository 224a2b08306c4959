package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestParseArgs: a missing flag, a stray argument, a bad rate or
// out-of-orderness is refused with an error naming it.
func TestParseArgs(t *testing.T) {
	ok := []string{"--input", "in", "--output", "out", "--window", "tumbling:1s"}
	cases := []struct {
		name string
		args []string
		want string // error text; "" for none
	}{
		{"all flags", ok, ""},
		{"out-of-orderness", append(ok[:6:6], "--out-of-orderness", "250ms"), ""},
		{"no input", ok[2:], "--input is required"},
		{"no output", append(ok[:2:2], ok[4:]...), "--output is required"},
		{"no window", ok[:4], "--window is required"},
		{"stray argument", append(ok[:6:6], "extra"), `unexpected argument "extra"`},
		{"negative rate", append(ok[:6:6], "--rate", "-1"), "--rate -1"},
		{"malformed out-of-orderness", append(ok[:6:6], "--out-of-orderness", "5x"), `--out-of-orderness "5x": want a Go duration`},
		{"negative out-of-orderness", append(ok[:6:6], "--out-of-orderness", "-1s"), "must not be negative"},
		{"sub-millisecond out-of-orderness", append(ok[:6:6], "--out-of-orderness", "500us"), "want whole milliseconds"},
		{"unknown flag", append(ok[:6:6], "--colour", "red"), "-colour"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseArgs(tc.args)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("parseArgs(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			case tc.want == "" && (o.Input != "in" || o.Output != "out" || o.Window != "tumbling:1s"):
				t.Fatalf("parseArgs(%q) = %+v", tc.args, o)
			}
		})
	}
	if o, _ := parseArgs(append(ok[:6:6], "--out-of-orderness", "250ms")); o.OutOfOrderness != 250*time.Millisecond {
		t.Fatalf("out-of-orderness %v, want 250ms", o.OutOfOrderness)
	}
}

// TestUsageExit runs main (this test binary, re-run) with bad arguments:
// exit status 2, the problem on stderr, then the usage line.
func TestUsageExit(t *testing.T) {
	if args, ok := os.LookupEnv("WINDOWS_TEST_MAIN_ARGS"); ok {
		os.Args = append([]string{"windows"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	cases := []struct{ args, want string }{
		{"--output out --window tumbling:1s", "windows: --input is required\nusage: windows"},
		{"--input in --output out --window tumbling:1s extra", "windows: unexpected argument \"extra\""},
		{"--input in --output out --window tumbling:1s --out-of-orderness 5x", "windows: --out-of-orderness \"5x\": want a Go duration"},
		{"--input in --output out --window tumbling:0s", "windows: "},
	}
	for _, tc := range cases {
		t.Run(tc.args, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestUsageExit$")
			cmd.Env = append(os.Environ(), "WINDOWS_TEST_MAIN_ARGS="+tc.args)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit %v, want status 2; output %q", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("output %q, want %q", out, tc.want)
			}
		})
	}
}
