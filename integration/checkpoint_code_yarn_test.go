package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestYarnCheckpointingFromCode: checkpointing turned on in the job's code
// (stream.Environment.EnableCheckpointing and Configure, in
// testdata/slowstate --checkpoint-dir) works on YARN per-job, and wins over
// the command line: -D turns checkpointing off and names another folder,
// yet completed checkpoints appear under the code's folder and none under
// the other.
func TestYarnCheckpointingFromCode(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	bin := filepath.Join(t.TempDir(), "slowstate")
	ycRun(t, e.c.Root, []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-o", bin, "./integration/testdata/slowstate")
	code, cli := e.qualify(t, dir+"/chk-code"), e.qualify(t, dir+"/chk-cli")
	app, job := e.runDetached(t, "-p", "1", "-Dexecution.checkpointing.interval=0", "-Dstate.checkpoints.dir="+cli,
		bin, "--keys", "1000", "--updates", "100", "--every", "50ms", "--checkpoint-dir", code)
	seen := map[int64]*jobmanager.CheckpointMetadata{}
	waitUntil(t, 3*time.Minute, "the application to end", func() (bool, error) {
		e.readCheckpoints(t, code+"/"+job, seen)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := e.rm.ApplicationReport(ctx, app)
		if err != nil || !r.State.Terminal() {
			return false, nil
		}
		if r.FinalStatus != yarnrpc.FinalSucceeded {
			return false, fmt.Errorf("application ended %s: %s", r.FinalStatus, r.Diagnostics)
		}
		return true, nil
	})
	e.readCheckpoints(t, code+"/"+job, seen)
	if len(seen) == 0 {
		t.Fatalf("no completed checkpoint under the code's folder %s", code)
	}
	if files := e.filesUnder(t, cli); len(files) > 0 {
		t.Errorf("files under the command line's folder %s: %v", cli, files)
	}
}
