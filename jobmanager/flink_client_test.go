package jobmanager

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestFlinkRESTClient runs Flink's own RestClusterClient (flink-clients
// 1.18.1; testdata/flinkclient/FlinkRestCheck.java) against a JobManager
// with a submitted job: it lists the job, reads its details and status,
// and its unauthenticated cancel is refused. It needs a JDK and the jars
// of flink-clients and their dependencies in FLOE_FLINK_CLIENT_LIB (e.g.
// `mvn dependency:copy-dependencies` of a pom naming flink-clients);
// without them it is skipped (not part of CI).
func TestFlinkRESTClient(t *testing.T) {
	lib := os.Getenv("FLOE_FLINK_CLIENT_LIB")
	if lib == "" {
		t.Skip("FLOE_FLINK_CLIENT_LIB is not set")
	}
	dir := t.TempDir()
	cp := filepath.Join(lib, "*")
	if out, err := exec.Command("javac", "-cp", cp, "-d", dir, filepath.Join("testdata", "flinkclient", "FlinkRestCheck.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	ts := startTestServer(t, ServerOptions{OpenReads: true}, CoreOptions{SlotsPerTaskManager: 2})
	gb, err := testGraph(t, "flink-client", []int{1, 2}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.client.Submit(context.Background(), api.SubmitJob{Name: "flink-client", Graph: gb, Binary: "/bin/job"})
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(ts.client.Addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", "-cp", dir+string(os.PathListSeparator)+cp, "FlinkRestCheck", host, port, st.ID)
	out, err := cmd.CombinedOutput()
	t.Logf("FlinkRestCheck:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"LIST " + st.ID + " CREATED flink-client",
		"DETAILS " + st.ID + " CREATED vertices=2",
		"STATUS CREATED",
		"CANCEL refused",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if j, _ := ts.client.Job(context.Background(), st.ID); j.State.Terminal() {
		t.Errorf("the unauthenticated cancel ended the job: %s", j.State)
	}
}
