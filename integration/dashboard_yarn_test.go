package integration

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
)

// checkpointRowRE matches a row of the dashboard's checkpoint history.
var checkpointRowRE = regexp.MustCompile(`data-checkpoint="(\d+)" data-status="([A-Z_]+)"`)

// vertexRowRE matches a vertex row of the dashboard's job page.
var vertexRowRE = regexp.MustCompile(`data-vertex="([0-9a-f]{32})" data-records-in="(\d+)" data-records-out="(\d+)"`)

// TestYarnDashboard opens the dashboard of a running job on YARN in
// headless Chromium through YARN's web proxy (the application's tracking
// URL): the job page shows both vertices, and their record counts rise
// between two loads. It saves screenshots of the main pages under
// .cache/dashboard/ and checks that the application's secret is in no
// page, asset or rendered DOM.
func TestYarnDashboard(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found: scripts/install-deps.sh installs it")
		}
		t.Skip("chromium not found (scripts/install-deps.sh installs it)")
	}
	e := newYC(t)
	ckDir := e.testDir(t)
	app, job := e.runDetached(t, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1", "-Dexecution.checkpointing.interval=1s",
		"-Dstate.checkpoints.dir="+e.qualify(t, ckDir+"/chk"), e.bins+"/testjob", "--mode", "metrics")
	cc := e.jobManager(t, app)
	e.waitJob(t, cc, job, "running", allRunning)
	proxy := strings.TrimSuffix(cc.Report.TrackingURL, "/")
	if !strings.Contains(proxy, "/proxy/") {
		t.Fatalf("tracking URL %q is not YARN's web proxy", cc.Report.TrackingURL)
	}
	secret := cc.JM.Secret
	secrets := []string{string(secret), hex.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret)}
	noSecret := func(what, s string) {
		t.Helper()
		for _, x := range secrets {
			if strings.Contains(s, x) {
				t.Fatalf("%s holds the application's secret", what)
			}
		}
	}
	// The page without its trailing slash too (the page adds it).
	for _, p := range []string{"/", "/web/app.js", "/web/style.css", "/web/dagre.min.js"} {
		noSecret(p, httpGet(t, proxy+p))
	}
	dump := func(fragment string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+t.TempDir(),
			"--virtual-time-budget=8000", "--dump-dom", proxy+"/"+fragment).Output()
		if err != nil {
			t.Fatalf("chromium --dump-dom %s: %v", fragment, err)
		}
		noSecret("the DOM of "+fragment, string(out))
		return string(out)
	}
	counts := func(dom string) (map[string]int64, int64) {
		rows := vertexRowRE.FindAllStringSubmatch(dom, -1)
		byVertex := map[string]int64{}
		var total int64
		for _, r := range rows {
			in, _ := strconv.ParseInt(r[2], 10, 64)
			out, _ := strconv.ParseInt(r[3], 10, 64)
			byVertex[r[1]] = in + out
			total += in + out
		}
		return byVertex, total
	}
	var first map[string]int64
	var firstTotal int64
	waitUntil(t, 2*time.Minute, "the job page showing both vertices with records", func() (bool, error) {
		first, firstTotal = counts(dump("#/job/" + job))
		return len(first) == 2 && firstTotal > 0, nil
	})
	waitUntil(t, 2*time.Minute, "record counts rising on the job page", func() (bool, error) {
		now, total := counts(dump("#/job/" + job))
		return len(now) == 2 && total > firstTotal, nil
	})

	// The checkpoints page lists the completed checkpoints, newest first.
	waitUntil(t, 2*time.Minute, "the checkpoint history listing completed checkpoints", func() (bool, error) {
		rows := checkpointRowRE.FindAllStringSubmatch(dump("#/job/"+job+"/checkpoints"), -1)
		completed, prev := 0, int64(-1)
		for _, r := range rows {
			id, _ := strconv.ParseInt(r[1], 10, 64)
			if prev >= 0 && id >= prev {
				t.Fatalf("checkpoint history not newest first: %v", rows)
			}
			prev = id
			if r[2] == "COMPLETED" {
				completed++
			}
		}
		return completed >= 2, nil
	})

	// Screenshots of the main pages.
	dir := filepath.Join(e.c.Root, ".cache", "dashboard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, fragment := range map[string]string{"overview": "#/overview", "jobs": "#/jobs", "job": "#/job/" + job,
		"checkpoints": "#/job/" + job + "/checkpoints", "exceptions": "#/job/" + job + "/exceptions",
		"taskmanagers": "#/taskmanagers", "jobmanager": "#/jobmanager"} {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+t.TempDir(),
			"--hide-scrollbars", "--window-size=1400,900", "--virtual-time-budget=8000", "--screenshot="+filepath.Join(dir, name+".png"), proxy+"/"+fragment).CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("screenshot %s: %v\n%s", name, err, out)
		}
	}
	t.Logf("screenshots in %s", dir)

	// The Cancel button's request through YARN's web proxy: refused
	// without a sign-in code, accepted with the one `floe dashboard`
	// prints (which is not the secret).
	out, err := e.floe(t, time.Minute, "", "dashboard", "-Dyarn.application.id="+app.String())
	m := regexp.MustCompile(`(?m)^(floe1-\d+-[0-9a-f]{64})$`).FindStringSubmatch(out)
	if err != nil || m == nil || !strings.Contains(out, cc.Report.TrackingURL) {
		t.Fatalf("floe dashboard: %v\n%s", err, out)
	}
	noSecret("floe dashboard's output", out)
	cancelURL := proxy + "/v1/dashboard/jobs/" + job + "/cancel"
	for _, body := range []string{`{}`, `{"code":"floe1-99999999999-` + strings.Repeat("0", 64) + `"}`} {
		if code, b := httpPut(t, cancelURL, body); code != http.StatusUnauthorized {
			t.Fatalf("PUT %s %s through the proxy: %d %s, want 401", cancelURL, body, code, b)
		}
	}
	// The button itself, clicked in Chromium through the proxy: the page
	// asks for the code; a wrong one is refused (and forgotten, so the
	// page asks again), the right one cancels the job.
	page := openCDP(t, chromium)
	page.Navigate(proxy + "/#/job/" + job)
	waitUntil(t, time.Minute, "the job page's Cancel button", func() (bool, error) {
		return page.Eval(`!!document.querySelector("button[data-act=cancel]")`) == "true", nil
	})
	click := `document.querySelector("button[data-act=cancel]").click(), true`
	page.SetPromptText("floe1-99999999999-" + strings.Repeat("0", 64))
	page.Eval(click)
	waitUntil(t, 30*time.Second, "the page to say the wrong code was refused", func() (bool, error) {
		return strings.Contains(page.Eval(`document.getElementById("actmsg").textContent`), "refused: "), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	j, err := cc.Job(ctx, job)
	cancel()
	if err != nil || j.State != "RUNNING" {
		t.Fatalf("after a refused cancel the job is %s (%v)", j.State, err)
	}
	page.SetPromptText(m[1])
	page.Eval(click)
	waitUntil(t, 30*time.Second, "the page to say the cancel was requested", func() (bool, error) {
		return strings.Contains(page.Eval(`document.getElementById("actmsg").textContent`), "cancel requested"), nil
	})
	if n := page.Prompts(); n != 2 {
		t.Errorf("the page asked for the code %d times, want 2 (the refused code forgotten)", n)
	}
	if got := page.Eval(`sessionStorage.getItem("floe-code")`); got != strconv.Quote(m[1]) {
		t.Errorf("the page kept %s, want the accepted code", got)
	}
	if rep := e.waitAppEnd(t, app, 2*time.Minute); rep.FinalStatus != yarnrpc.FinalKilled {
		t.Fatalf("after the dashboard's cancel the application ended %s: %s", rep.FinalStatus, rep.Diagnostics)
	}
}

func httpPut(t *testing.T, url, body string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, fmt.Sprint(string(b[:min(len(b), 300)])))
	}
	return string(b)
}
