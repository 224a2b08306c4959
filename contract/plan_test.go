package contract

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// planHelper selects what the test binary does when a test runs it as a
// job binary (Nomad's helper-process pattern).
const planHelper = "FLOE_CONTRACT_PLAN_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(planHelper) {
	case "":
		os.Exit(m.Run())
	case "graph": // a job binary whose main() calls Execute
		if os.Getenv(EnvRole) != RolePlan {
			fmt.Fprintln(os.Stderr, "not in the plan role")
			os.Exit(3)
		}
		fmt.Println("user output")
		g := fmt.Sprintf(`{"name":"helper","parallelism":%q,"args":%q}`, os.Getenv(EnvParallelism), strings.Join(os.Args[1:], " "))
		if err := os.WriteFile(os.Getenv(EnvPlanFile), []byte(g), 0o644); err != nil {
			os.Exit(4)
		}
	case "none": // main() never calls Execute
		fmt.Println("user output")
	case "fail":
		fmt.Fprintln(os.Stderr, strings.Repeat("noise ", 2000)+"\npanic: the real cause")
		os.Exit(2)
	case "hang":
		time.Sleep(time.Hour)
	}
	os.Exit(0)
}

func TestPlan(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		helper  string
		timeout time.Duration
		stdout  bool   // pass a Stdout writer
		want    string // substring of the graph; "" means an error is wanted
		errIs   error
		errHas  []string
		outHas  string // substring of what Stdout received
	}{
		{name: "writes a graph", helper: "graph", want: `"parallelism":"3","args":"-x y"`},
		{name: "stdout passed through", helper: "graph", stdout: true, want: `"name":"helper"`, outHas: "user output"},
		{name: "no graph", helper: "none", errIs: ErrNoJobGraph,
			errHas: []string{"no job graph written (does main() call Execute?)", "user output"}},
		{name: "fails: stderr tail kept", helper: "fail", errHas: []string{"exit status 2", "panic: the real cause", "…"}},
		{name: "times out", helper: "hang", timeout: 200 * time.Millisecond, errIs: context.DeadlineExceeded,
			errHas: []string{"still running after 200ms"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			o := PlanOptions{Binary: self, Args: []string{"-x", "y"}, Dir: t.TempDir(), Timeout: tc.timeout,
				Env: []string{planHelper + "=" + tc.helper, EnvParallelism + "=3"}}
			if tc.stdout {
				o.Stdout = &out
			}
			g, err := Plan(context.Background(), o)
			if tc.want != "" {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(g), tc.want) {
					t.Fatalf("graph %s, want it to hold %s", g, tc.want)
				}
				if !strings.Contains(out.String(), tc.outHas) {
					t.Fatalf("stdout %q, want %q", out.String(), tc.outHas)
				}
				return
			}
			if err == nil {
				t.Fatalf("got graph %s, want an error", g)
			}
			if tc.errIs != nil && !errors.Is(err, tc.errIs) {
				t.Errorf("error %v is not %v", err, tc.errIs)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not hold %q", err, s)
				}
			}
			if len(err.Error()) > planTail+200 {
				t.Errorf("error is %d bytes: the output tail is not bounded", len(err.Error()))
			}
			if ents, _ := os.ReadDir(o.Dir); len(ents) != 0 {
				t.Errorf("plan folder left behind: %v", ents)
			}
		})
	}
}

// TestPlanJobBinary plans a real job binary built on the stream package.
func TestPlanJobBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a job binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "testjob")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../jobmanager/testdata/testjob").CombinedOutput(); err != nil {
		t.Fatalf("build testjob: %v\n%s", err, out)
	}
	g, err := Plan(ctx, PlanOptions{Binary: bin, Args: []string{"-n", "5"}, Env: []string{EnvParallelism + "=2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(g), `"name": "testjob-count"`) {
		t.Fatalf("not a job graph: %.200s", g)
	}
}
