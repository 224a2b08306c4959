package jobmanager

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/dashboard"
	"github.com/floe-yarn/floe/internal/testutil"
	"github.com/floe-yarn/floe/jobmanager/api"
)

// TestDashboardServedWithoutSecret serves the dashboard and the paths it
// reads from a JobManager with a job: every embedded asset is served
// under web/, the page links only relatively, and the application's
// secret (raw, hex or base64) is in no answer.
func TestDashboardServedWithoutSecret(t *testing.T) {
	ts := startTestServer(t, ServerOptions{OpenReads: true}, CoreOptions{SlotsPerTaskManager: 2})
	g := testGraph(t, "dash", []int{1, 2})
	gb, _ := g.Marshal()
	st, err := ts.client.Submit(context.Background(), api.SubmitJob{Name: "dash", Graph: gb, Binary: "/bin/job"})
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ts.client.Addr
	paths := []string{"/", "/overview", "/jobs/overview", "/jobs/" + st.ID, "/jobs/" + st.ID + "/checkpoints", "/jobs/" + st.ID + "/exceptions",
		"/jobs/" + st.ID + "/vertices/" + flinkVertexID(g.Vertices[1].ID) + "/backpressure", "/taskmanagers", "/jobmanager/config", "/jobmanager/logs"}
	assets, err := dashboard.Assets()
	if err != nil || len(assets) < 4 {
		t.Fatalf("assets %v, %v", assets, err)
	}
	for _, a := range assets {
		paths = append(paths, "/"+a) // web/…
	}
	secrets := []string{string(testServerSecret), hex.EncodeToString(testServerSecret), base64.StdEncoding.EncodeToString(testServerSecret)}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			resp, err := http.Get(base + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", p, resp.StatusCode)
			}
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Fatalf("GET %s holds the secret", p)
				}
			}
			if p == "/" && (!strings.Contains(string(b), `src="web/app.js"`) || strings.Contains(string(b), `="/`)) {
				t.Errorf("the page does not link its assets relatively:\n%s", b)
			}
		})
	}
}

// TestDashboardActions: the dashboard's buttons act only with a sign-in
// code of this application that has not expired (each action tried
// without one, with another application's and with an expired one); with
// one, cancel cancels the job, and savepoint and stop need
// state.savepoints.dir.
func TestDashboardActions(t *testing.T) {
	ts := startTestServer(t, ServerOptions{OpenReads: true}, CoreOptions{SlotsPerTaskManager: 2})
	g := testGraph(t, "dash", []int{1})
	gb, _ := g.Marshal()
	st, err := ts.client.Submit(context.Background(), api.SubmitJob{Name: "dash", Graph: gb, Binary: "/bin/job"})
	if err != nil {
		t.Fatal(err)
	}
	post := func(action, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, "http://"+ts.client.Addr+"/v1/dashboard/jobs/"+st.ID+"/"+action, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	valid := api.SignInCode(testServerSecret, time.Now().Add(time.Hour))
	for _, action := range []string{"cancel", "savepoint", "stop"} {
		for name, body := range map[string]string{
			"no code":        `{}`,
			"not json":       `code`,
			"other app":      `{"code":"` + api.SignInCode([]byte("another application's secret"), time.Now().Add(time.Hour)) + `"}`,
			"expired":        `{"code":"` + api.SignInCode(testServerSecret, time.Now().Add(-time.Second)) + `"}`,
			"signed request": ``,
		} {
			if code, b := post(action, body); code != http.StatusUnauthorized && code != http.StatusBadRequest {
				t.Errorf("%s with %s: %d %s, want refused", action, name, code, b)
			}
		}
	}
	if code, b := post("savepoint", `{"code":"`+valid+`"}`); code != http.StatusBadRequest || !strings.Contains(b, "state.savepoints.dir") {
		t.Errorf("savepoint without state.savepoints.dir: %d %s", code, b)
	}
	if code, b := post("restart", `{"code":"`+valid+`"}`); code != http.StatusNotFound {
		t.Errorf("an unknown action: %d %s, want 404", code, b)
	}
	if j, _ := ts.client.Job(context.Background(), st.ID); j.State.Terminal() {
		t.Fatalf("the job ended (%s) though no action was accepted", j.State)
	}
	if code, b := post("cancel", `{"code":"`+valid+`"}`); code != http.StatusOK {
		t.Fatalf("cancel with a valid code: %d %s", code, b)
	}
	testutil.WaitFor(t, 10*time.Second, "the job canceled", func() bool {
		j, err := ts.client.Job(context.Background(), st.ID)
		return err == nil && j.State == api.JobCanceled
	})
}
