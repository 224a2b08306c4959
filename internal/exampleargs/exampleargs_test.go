package exampleargs

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// parse is a job's parseArgs over the shared checks: two required flags,
// an optional one, --rate and --out-of-orderness.
func parse(args []string) (struct {
	in, out, opt string
	rate         float64
	ooo          time.Duration
}, error) {
	var o struct {
		in, out, opt string
		rate         float64
		ooo          time.Duration
	}
	fs := New("job")
	fs.Required(&o.in, "input", "")
	fs.Required(&o.out, "output", "")
	fs.StringVar(&o.opt, "group", "", "")
	fs.Rate(&o.rate, "lines")
	fs.OutOfOrderness(&o.ooo, "")
	err := fs.Parse(args)
	return o, err
}

// TestParse: every shared check refuses its bad input with an error
// naming it, and good input fills every field.
func TestParse(t *testing.T) {
	ok := []string{"--input", "in", "--output", "out"}
	with := func(more ...string) []string { return append(ok[:4:4], more...) }
	for _, tc := range []struct {
		name string
		args []string
		want string // error text; "" for none
	}{
		{"required only", ok, ""},
		{"every flag", with("--group", "g", "--rate", "50", "--out-of-orderness", "250ms"), ""},
		{"no input", ok[2:], "--input is required"},
		{"empty output", []string{"--input", "in", "--output", ""}, "--output is required"},
		{"negative rate", with("--rate", "-1"), "--rate -1: want 0 (unlimited) or more lines per second"},
		{"stray argument", with("extra"), `unexpected argument "extra": every option is a flag`},
		{"malformed out-of-orderness", with("--out-of-orderness", "5x"), `--out-of-orderness "5x": want a Go duration`},
		{"negative out-of-orderness", with("--out-of-orderness", "-1s"), "must not be negative"},
		{"sub-millisecond out-of-orderness", with("--out-of-orderness", "500us"), "want whole milliseconds"},
		{"unknown flag", with("--colour", "red"), "flag provided but not defined: -colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(tc.args)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Parse(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			case tc.want == "" && (o.in != "in" || o.out != "out"):
				t.Fatalf("Parse(%q) = %+v", tc.args, o)
			}
		})
	}
	o, err := parse(with("--group", "g", "--rate", "50", "--out-of-orderness", "250ms"))
	if err != nil || o.opt != "g" || o.rate != 50 || o.ooo != 250*time.Millisecond {
		t.Fatalf("every flag: %+v, %v", o, err)
	}
}

// TestMainExits runs Main (this test binary, re-run) with bad arguments
// and with -h: exit status 2 with the problem and then the usage line on
// standard error; status 0 with the usage for help.
func TestMainExits(t *testing.T) {
	if args, ok := os.LookupEnv("EXAMPLEARGS_TEST_MAIN_ARGS"); ok {
		os.Args = append([]string{"job"}, strings.Fields(args)...)
		Main("job", "usage: job --input PATH --output DIR", parse)
		os.Exit(0)
	}
	for _, tc := range []struct {
		args, want string
		code       int
	}{
		{"--output out", "job: --input is required\nusage: job --input PATH --output DIR\n", 2},
		{"--input in --output out extra", "job: unexpected argument \"extra\"", 2},
		{"-h", "usage: job --input PATH --output DIR\n", 0},
		{"--input in --output out", "", 0},
	} {
		t.Run(tc.args, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMainExits$")
			cmd.Env = append(os.Environ(), "EXAMPLEARGS_TEST_MAIN_ARGS="+tc.args)
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(string(out), tc.want) {
				t.Fatalf("exit status %d, output %q; want %d and %q", code, out, tc.code, tc.want)
			}
		})
	}
}
