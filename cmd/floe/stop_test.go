package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestStopArguments: `floe stop` wants exactly one JOBID, its flags
// before it (Flink's `stop [OPTIONS] <Job ID>`), and a target on YARN.
func TestStopArguments(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no job id", []string{"--savepointPath", "hdfs:///sp"}, "want one JOBID"},
		{"two job ids", []string{"-p", "hdfs:///sp", "-d", "a", "b"}, "want one JOBID"},
		{"not on YARN", []string{"-t", "remote", "a"}, "remote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			app := &cli.App{Name: "floe", Writer: &out, ErrWriter: &out, Commands: []*cli.Command{stopCommand()}}
			err := app.Run(normalizeArgs(append([]string{"floe", "stop"}, tc.args...)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
