package client

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestAggregatedLogsFolder: the folder is found from Hadoop's keys (the
// TFile-specific ones win), node files become node ids, an upload still
// in progress (<node>.tmp) is waited for up to the bound and what is
// complete is returned, and a later call sees the finished upload.
func TestAggregatedLogsFolder(t *testing.T) {
	ctx := context.Background()
	st, err := hdfsstore.New(ctx, hdfsstore.Options{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	root := t.TempDir()
	h := conf.HadoopDefaults()
	h.Set(keyRemoteLogDir, "file:///elsewhere")
	h.Set(keyTFileRemoteDir, "file://"+root)
	a := newAggregatedLogs(st, h)
	a.settle = 300 * time.Millisecond
	app := yarnrpc.ApplicationID{ClusterTimestamp: 1796393842310, ID: 10001}
	dirs := a.appDirs(app, "alice")
	if want := "file://" + root + "/alice/bucket-logs-tfile/0001/application_1796393842310_10001"; dirs[0] != want {
		t.Fatalf("folder %s, want %s", dirs[0], want)
	}
	if cs, err := a.containers(ctx, app, "alice"); err != nil || len(cs) != 0 {
		t.Fatalf("nothing aggregated: %v, %v; want none and no error", cs, err)
	}
	delete(a.apps, app) // (an empty answer is cached like any other)

	golden, err := os.ReadFile("aggregatedlog/testdata/hadoop-3.4.2-localhost_18051")
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(root, "alice", "bucket-logs-tfile", "0001", app.String())
	if err := os.MkdirAll(local, 0o755); err != nil {
		t.Fatal(err)
	}
	// The golden file names another application's containers; under this
	// folder they are read all the same.
	if err := os.WriteFile(filepath.Join(local, "localhost_18051"), golden, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "localhost_18041.tmp"), golden[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cs, err := a.containers(ctx, app, "alice")
	if err != nil || len(cs) != 2 || time.Since(start) < a.settle {
		t.Fatalf("with an upload in progress: %d containers, %v after %s; want the 2 complete ones after waiting %s", len(cs), err, time.Since(start), a.settle)
	}
	am := yarnrpc.NewContainerID(yarnrpc.ApplicationAttemptID{App: yarnrpc.ApplicationID{ClusterTimestamp: 1796393842310, ID: 1}, Attempt: 1}, 0, 1)
	if c, ok := cs[am]; !ok || c.node != "localhost:18051" || len(c.files) != 7 {
		t.Fatalf("AM container %v: %+v, want 7 files from node localhost:18051", ok, c)
	}
	if err := os.Rename(filepath.Join(local, "localhost_18041.tmp"), filepath.Join(local, "localhost_18041")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.containers(ctx, app, "alice"); err == nil {
		t.Fatal("a node file cut at 100 bytes was read without an error")
	}
}
