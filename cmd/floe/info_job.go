package main

import (
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/urfave/cli/v2"
)

// jobIDPattern is a job id as Flink's clients parse it: 32 hex digits.
var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// isRunningJobArg reports whether `floe info`'s argument names a job of a
// running cluster (a job id that is no file).
func isRunningJobArg(arg string) bool {
	if !jobIDPattern.MatchString(arg) {
		return false
	}
	_, err := os.Stat(arg)
	return os.IsNotExist(err)
}

// infoJob is `floe info JOB_ID`: a job of a Floe cluster on YARN, its state
// and per-vertex records in and out and backpressure.
func infoJob(c *cli.Context, id string) error {
	if err := checkYarnTarget(c); err != nil {
		return err
	}
	ctx, env, app, done, err := openApp(c, 60*time.Second)
	if err != nil {
		return err
	}
	defer done()
	cc, err := env.desc.Retrieve(ctx, app)
	if err != nil {
		return err
	}
	d, err := cc.FlinkJob(ctx, id)
	if err != nil {
		return fmt.Errorf("info: job %s of %s: %w", id, app, err)
	}
	out := c.App.Writer
	fmt.Fprintf(out, "Job %s %q: %s\n", d.JID, d.Name, d.State)
	if st, err := cc.Checkpoints(ctx, id); err == nil && st.Line() != "" {
		fmt.Fprintf(out, "  %s\n", st.Line())
	}
	lines, err := cc.VertexLines(ctx, id)
	if err != nil {
		return err
	}
	for _, l := range lines {
		fmt.Fprintf(out, "  %s\n", l)
	}
	return nil
}
