package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// noMaximumRM hides YARN's maximum container size from the client (it
// reports none with a new application id), so that a submission the
// client would refuse reaches the ApplicationMaster.
type noMaximumRM struct{ client.RM }

func (r noMaximumRM) NewApplication(ctx context.Context) (yarnrpc.ApplicationID, yarnrpc.Resource, error) {
	id, _, err := r.RM.NewApplication(ctx)
	return id, yarnrpc.Resource{}, err
}

// TestAMTaskManagerTooLarge asks for TaskManager containers larger than
// the cluster's maximum: the AM ends the application FAILED at once with a
// diagnostics line naming the option to lower, and removes the staging
// folder. The client checks this too (TestYarnBadInput), so the
// submission goes through a client whose RM hides the maximum.
func TestAMTaskManagerTooLarge(t *testing.T) {
	e := newYC(t)
	cfg := conf.New()
	for k, v := range map[string]string{conf.TaskManagerProcessSize: "64g", conf.YarnTags: e.tag} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := client.NewYarnDescriptor(ctx, client.YarnOptions{Config: cfg, RM: noMaximumRM{e.rm}, Store: e.st, Framework: e.bins + "/floe"})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := d.Deploy(ctx, client.DeploySpec{Mode: contract.ModePerJob, JobBinary: e.bins + "/wordcount",
		JobArgs: []string{"--input", "/nope", "--output", "/nope-out"}})
	if err != nil {
		t.Fatal(err)
	}
	e.killAtEnd(t, dep.App)
	r := e.waitAppEnd(t, dep.App, 2*time.Minute)
	if r.State != yarnrpc.StateFinished || r.FinalStatus != yarnrpc.FinalFailed || !strings.Contains(r.Diagnostics, "taskmanager.memory.process.size") ||
		!strings.Contains(r.Diagnostics, "maximum container size") {
		t.Fatalf("final %s/%s: %s", r.State, r.FinalStatus, r.Diagnostics)
	}
	e.waitStagingGone(t, dep.App, 30*time.Second)
}
