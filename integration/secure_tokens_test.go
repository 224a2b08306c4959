package integration

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestSecureTokenExpiry: the secure cluster's HDFS and RM delegation
// tokens live at most 60 s (renewed every 30 s by the RM), and an unbounded
// examples/ledger job reads and writes HDFS (its input, its transactional
// output, a checkpoint every second) for longer than that.
//
//   - With a keytab (security.kerberos.login.keytab) the AM and the
//     TaskManagers log in themselves: the job keeps checkpointing past the
//     tokens' end; a TaskManager killed then is replaced (its launch
//     context carries a fresh HDFS token the AM obtained with the keytab,
//     for a NodeManager that must download the job binary) and restores
//     from HDFS, and the job finishes with its output exact.
//   - Without one, the client says at submission when the job loses HDFS
//     access. Connections made before then keep working, so the job runs
//     on until it needs a new one: after a TaskManager is killed past the
//     end, the restore reads the checkpoint over new connections, and the
//     job fails, saying the token expired and how a keytab avoids it.
func TestSecureTokenExpiry(t *testing.T) {
	const maxLife = 60 * time.Second
	e, c, env := secureYCOn(t, requireSecureClusterTokens(t, "authentication", 30*time.Second, maxLife))
	keytab := []string{"-D" + conf.KerberosKeytab + "=" + c.Env["FLOE_TEST_KEYTAB"], "-D" + conf.KerberosPrincipal + "=" + c.Env["FLOE_TEST_PRINCIPAL"]}
	run := func(t *testing.T, dir string, input []string, extra []string, env []string) (yarnrpc.ApplicationID, string, time.Time, string) {
		e.writeLines(t, dir+"/in/tx.txt", input)
		args := append([]string{"run", "-t", "yarn-per-job", "-d", "-Dyarn.tags=" + e.tag, "-p", "2", "-Dtaskmanager.numberOfTaskSlots=1",
			"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir=" + e.qualify(t, dir+"/chk"),
			"-Drestart-strategy.type=fixed-delay", "-Drestart-strategy.fixed-delay.attempts=3", "-Drestart-strategy.fixed-delay.delay=1s"}, extra...)
		start := time.Now()
		out, err := e.floeEnv(t, 4*time.Minute, "", env, append(args, e.bins+"/ledger", "--input", e.qualify(t, dir+"/in"),
			"--output", e.qualify(t, dir+"/out"), "--rate", "100")...)
		if err != nil {
			t.Fatalf("floe run -d: %v\n%s", err, out)
		}
		app := ycAppIDIn(t, out)
		e.killAtEnd(t, app)
		m := ycJobRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no job id in %q", out)
		}
		return app, m[1], start, out
	}

	t.Run("keytab", func(t *testing.T) {
		dir := e.testDir(t)
		input := ledgercheck.Generate(30000, 30, 77) // 2 sources at 100 lines/s: about 150 s
		app, job, start, out := run(t, dir, input, keytab, append(env, "KRB5CCNAME=FILE:/nonexistent"))
		if strings.Contains(out, "loses HDFS access") {
			t.Errorf("the client warned about the tokens' end although a keytab is shipped:\n%s", out)
		}
		cc := e.jobManager(t, app)
		e.waitCheckpointed(t, cc, job, 1)
		// Past the submission tokens' maximum lifetime the job still
		// checkpoints (HDFS writes from the AM and the TaskManagers).
		time.Sleep(time.Until(start.Add(maxLife + 5*time.Second)))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		before, err := cc.JM.Checkpoints(ctx, job)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		e.waitCheckpointed(t, cc, job, before.Counts.Completed+3)
		// A TaskManager killed now needs a new container, localized with a
		// fresh token.
		pids := ycContainerPIDs(t, app, "taskmanager")
		for cid, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("SIGKILL to TaskManager %d of %s, %s after submission", pid, cid, time.Since(start).Round(time.Second))
			break
		}
		waitUntil(t, 2*time.Minute, "a replacement TaskManager container", func() (bool, error) {
			now := ycContainerPIDs(t, app, "taskmanager")
			for cid := range now {
				if _, old := pids[cid]; !old {
					return true, nil
				}
			}
			return false, nil
		})
		rep := e.waitAppEnd(t, app, 5*time.Minute)
		if rep.FinalStatus != yarnrpc.FinalSucceeded {
			t.Fatalf("application ended %s: %s\n%s", rep.FinalStatus, rep.Diagnostics, e.amLog(app))
		}
		if !strings.Contains(e.amLog(app), "obtained a fresh HDFS delegation token") {
			t.Errorf("the AM log does not say it obtained a fresh HDFS token for the replacement TaskManager")
		}
		if err := ledgercheck.Check(input, e.readLines(t, dir+"/out")); err != nil {
			t.Fatalf("output not exactly once past the tokens' end: %v", err)
		}
	})

	t.Run("no keytab", func(t *testing.T) {
		dir := e.testDir(t)
		input := ledgercheck.Generate(60000, 30, 78) // longer than the job can live
		app, job, start, out := run(t, dir, input, nil, env)
		if !strings.Contains(out, "loses HDFS access at") {
			t.Errorf("without a keytab the client does not say when the job loses HDFS access:\n%s", out)
		}
		// Connections made before the end keep working (the NameNode checks
		// a token when a connection authenticates): the job runs on until
		// something needs a new one, as the restore after a TaskManager's
		// loss does.
		cc := e.jobManager(t, app)
		e.waitCheckpointed(t, cc, job, 1)
		time.Sleep(time.Until(start.Add(maxLife + 5*time.Second)))
		for cid, pid := range ycContainerPIDs(t, app, "taskmanager") {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			t.Logf("SIGKILL to TaskManager %d of %s, %s after submission", pid, cid, time.Since(start).Round(time.Second))
			break
		}
		rep := e.waitAppEnd(t, app, 4*time.Minute)
		t.Logf("application ended %s after %s: %s", rep.FinalStatus, time.Since(start).Round(time.Second), rep.Diagnostics)
		if rep.FinalStatus != yarnrpc.FinalFailed || time.Since(start) < maxLife {
			t.Fatalf("application ended %s after %s, want FAILED once the tokens died (%s)", rep.FinalStatus, time.Since(start), maxLife)
		}
		if d := strings.ToLower(rep.Diagnostics); !strings.Contains(d, "token") || !strings.Contains(d, "expired") ||
			!strings.Contains(d, conf.KerberosKeytab) {
			t.Errorf("diagnostics do not say the delegation token expired and how a keytab avoids it: %s\n%s", rep.Diagnostics, e.amLog(app))
		}
	})
}
