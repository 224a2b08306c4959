package jobmanager

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/dashboard"
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
