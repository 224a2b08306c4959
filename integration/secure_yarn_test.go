package integration

import (
	"context"
	"fmt"
	"math/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// secureYC is the client-test view (ycEnv) of the secure cluster: its RM
// client and store log in with the test user's keytab, and floeEnv gets
// KRB5_CONFIG and a ticket cache of the test user (kinit -kt).
func newSecureYC(t *testing.T, protection string) (*ycEnv, *secureCluster, []string) {
	t.Helper()
	return secureYCOn(t, requireSecureCluster(t, protection))
}

func secureYCOn(t *testing.T, c *secureCluster) (*ycEnv, *secureCluster, []string) {
	t.Helper()
	root := repoRoot()
	e := &ycEnv{c: &Cluster{ConfDir: c.Env["HADOOP_CONF_DIR"], Script: c.Script, Root: root},
		bins: ycBinaries(t, root), propsDir: t.TempDir(), h: c.Hadoop}
	l := c.login(t)
	e.rm = c.rm(t, l)
	e.st = c.store(t, l)
	e.user = e.st.User()
	e.tag = fmt.Sprintf("floe-it-%d", rand.Int63())
	cc := filepath.Join(t.TempDir(), "ccache")
	kinit := exec.Command("kinit", "-k", "-t", c.Env["FLOE_TEST_KEYTAB"], c.Env["FLOE_TEST_PRINCIPAL"])
	kinit.Env = []string{"KRB5_CONFIG=" + c.Env["KRB5_CONFIG"], "KRB5CCNAME=FILE:" + cc}
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit: %v\n%s", err, out)
	}
	env := []string{"KRB5_CONFIG=" + c.Env["KRB5_CONFIG"], "KRB5CCNAME=FILE:" + cc, contract.EnvHadoopUserName + "="}
	return e, c, env
}

// TestSecureYarnAuthentication runs Floe end to end on the Kerberized cluster, with
// hadoop.rpc.protection (and DataNode data-transfer protection)
// authentication and privacy: make demo's per-job wordcount logging in
// with a keytab, a session running two jobs from the ticket cache, and
// application mode with a provided lib dir. Every connection to Hadoop
// (RM, NameNode, DataNode, from the client, the AM and the TaskManagers)
// is authenticated: Kerberos from the client, delegation tokens in the
// containers.
func TestSecureYarnAuthentication(t *testing.T) { secureYarn(t, "authentication") }

// TestSecureYarnPrivacy: as TestSecureYarnAuthentication, with every RPC and
// DataNode stream encrypted (SASL auth-conf).
func TestSecureYarnPrivacy(t *testing.T) { secureYarn(t, "privacy") }

func secureYarn(t *testing.T, protection string) {
	e, c, env := newSecureYC(t, protection)
	keytab := []string{"-D" + conf.KerberosKeytab + "=" + c.Env["FLOE_TEST_KEYTAB"], "-D" + conf.KerberosPrincipal + "=" + c.Env["FLOE_TEST_PRINCIPAL"]}

	t.Run("per-job", func(t *testing.T) {
		dir := e.testDir(t)
		want := e.writeWords(t, dir+"/in/words.txt", 2000, 1)
		args := append([]string{"run", "-t", "yarn-per-job", "-Dyarn.tags=" + e.tag, "-p", "2"}, keytab...)
		out, err := e.floeEnv(t, 4*time.Minute, "", append(env, "KRB5CCNAME=FILE:/nonexistent"),
			append(args, e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))...)
		if err != nil {
			t.Fatalf("floe run -t yarn-per-job on the secure cluster: %v", err)
		}
		app := ycAppIDIn(t, out)
		e.killAtEnd(t, app)
		ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
		rep := e.waitAppEnd(t, app, time.Minute)
		if rep.FinalStatus != yarnrpc.FinalSucceeded {
			t.Errorf("application ended %s/%s: %s", rep.State, rep.FinalStatus, rep.Diagnostics)
		}
		e.waitStagingGone(t, app, 30*time.Second)
		secretScan(t, c, app, out)
		// The keytab was shipped: no warning about the tokens' end, and
		// every container (AM and both TaskManagers) had it localized.
		if strings.Contains(out, "loses HDFS access") {
			t.Errorf("the client warned about the tokens' end although a keytab is shipped:\n%s", out)
		}
		kts, _ := filepath.Glob(filepath.Join(c.Env["FLOE_MINICLUSTER_DIR"], "data", "nm*", "local", "usercache", "floe", "appcache", app.String(), "container_*", contract.LinkKeytab))
		if len(kts) != 3 {
			t.Errorf("the keytab was localized into %d containers, want 3 (AM and 2 TaskManagers): %v", len(kts), kts)
		}
	})

	t.Run("session", func(t *testing.T) {
		out, err := e.floeEnv(t, 3*time.Minute, "", env, "yarn-session", "-d", e.props(), "-Dyarn.tags="+e.tag)
		if err != nil {
			t.Fatalf("yarn-session -d: %v", err)
		}
		app := ycAppIDIn(t, out)
		e.killAtEnd(t, app)
		if !strings.Contains(out, "no keytab is shipped") || !strings.Contains(out, "loses HDFS access at") {
			t.Errorf("without a keytab the client does not say when the session loses HDFS access:\n%s", out)
		}
		for i := 0; i < 2; i++ {
			dir := e.testDir(t)
			want := e.writeWords(t, dir+"/in/words.txt", 500, int64(10+i))
			if _, err := e.floeEnv(t, 3*time.Minute, "", env, "run", "-t", "yarn-session", e.props(),
				e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out")); err != nil {
				t.Fatalf("job %d in the session: %v", i+1, err)
			}
			ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
		}
		out, err = e.floeEnv(t, 2*time.Minute, "stop\n", env, "yarn-session", "-id", app.String(), e.props())
		if err != nil || !strings.Contains(out, "stopped: FINISHED (SUCCEEDED)") {
			t.Fatalf("stop the session: %v\n%s", err, out)
		}
		e.waitStagingGone(t, app, 30*time.Second)
	})

	// yarn application -kill of an application of 2 attempts: the AM asks
	// the RM, over Kerberos with the shipped keytab or with the RM
	// delegation token the client gave it, whether its attempt was killed,
	// and removes the staging folder (TestYarnExternalKill's "attempt 1 of
	// 2" on the secure cluster).
	for _, how := range []string{"keytab", "token"} {
		t.Run("killed session of 2 attempts, RM asked with the "+how, func(t *testing.T) {
			args := []string{"yarn-session", "-d", e.props(), "-Dyarn.tags=" + e.tag, "-Dyarn.application-attempts=2"}
			if how == "keytab" {
				args = append(args, keytab...)
			}
			out, err := e.floeEnv(t, 3*time.Minute, "", env, args...)
			if err != nil {
				t.Fatalf("yarn-session -d: %v", err)
			}
			app := ycAppIDIn(t, out)
			e.killAtEnd(t, app)
			e.jobManager(t, app)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := e.rm.Kill(ctx, app, "integration test: kill on the secure cluster"); err != nil {
				t.Fatal(err)
			}
			e.waitAppEnd(t, app, time.Minute)
			e.waitStagingGone(t, app, 30*time.Second)
			if log := e.amLog(app); !strings.Contains(log, `"attempt_state":"KILLED"`) || !strings.Contains(log, "removed the staging folder") {
				t.Errorf("the AM did not learn from the RM that it was killed:\n%s", log)
			}
		})
	}

	t.Run("application", func(t *testing.T) {
		dir := e.testDir(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		lib := dir + "/lib"
		for _, f := range []struct{ local, remote string }{{e.bins + "/floe", lib + "/floe"}, {e.bins + "/wordcount", dir + "/jobs/wordcount"}} {
			if err := e.st.Upload(ctx, f.local, f.remote, nil); err != nil {
				t.Fatal(err)
			}
		}
		want := e.writeWords(t, dir+"/in/words.txt", 1000, 3)
		out, err := e.floeEnv(t, 4*time.Minute, "", env, "run-application", "-t", "yarn-application", "-d",
			"-Dyarn.provided.lib.dirs="+e.qualify(t, lib), "-Dyarn.tags="+e.tag,
			e.qualify(t, dir+"/jobs/wordcount"), "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out"))
		if err != nil {
			t.Fatalf("floe run-application: %v", err)
		}
		app := ycAppIDIn(t, out)
		e.killAtEnd(t, app)
		rep := e.waitAppEnd(t, app, 3*time.Minute)
		if rep.FinalStatus != yarnrpc.FinalSucceeded {
			t.Fatalf("application ended %s/%s: %s", rep.State, rep.FinalStatus, rep.Diagnostics)
		}
		ycSameCounts(t, e.readCounts(t, dir+"/out"), want)
		e.waitStagingGone(t, app, 30*time.Second)
	})
}
