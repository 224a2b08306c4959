package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/internal/testutil"
)

// TestSecureBadInput: each way a Kerberos login or a secured submission
// goes wrong ends the client with an error naming the problem and the fix,
// within a bound, and leaves no application and no staging folder behind.
func TestSecureBadInput(t *testing.T) {
	e, c, env := newSecureYC(t, secureProtectionRunning(t))
	dir := e.testDir(t)
	e.writeWords(t, dir+"/in/words.txt", 10, 1)
	noCache := "KRB5CCNAME=FILE:" + filepath.Join(t.TempDir(), "none")
	keytab := func(kt, principal string) []string {
		return []string{"-D" + conf.KerberosKeytab + "=" + kt, "-D" + conf.KerberosPrincipal + "=" + principal}
	}
	wrongRealm := filepath.Join(t.TempDir(), "krb5-wrong-realm.conf")
	orig, err := os.ReadFile(c.Env["KRB5_CONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrongRealm, []byte(strings.ReplaceAll(string(orig), "FLOE.TEST", "WRONG.TEST")), 0o644); err != nil {
		t.Fatal(err)
	}
	// An expired ticket: a 1-second ticket, waited out (klist -s fails
	// once the cache holds no valid ticket).
	expired := filepath.Join(t.TempDir(), "ccache-expired")
	krbEnv := []string{"KRB5_CONFIG=" + c.Env["KRB5_CONFIG"], "KRB5CCNAME=FILE:" + expired}
	kinit := exec.Command("kinit", "-l", "1s", "-k", "-t", c.Env["FLOE_TEST_KEYTAB"], c.Env["FLOE_TEST_PRINCIPAL"])
	kinit.Env = krbEnv
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit -l 1s: %v\n%s", err, out)
	}
	testutil.WaitFor(t, 30*time.Second, "the 1-second ticket to expire", func() bool {
		klist := exec.Command("klist", "-s")
		klist.Env = krbEnv
		return klist.Run() != nil
	})

	cases := []struct {
		name  string
		env   []string
		args  []string
		want  []string
		setup func(t *testing.T)
	}{
		{name: "no ticket and no keytab", env: []string{noCache},
			want: []string{"no ticket cache at", "run kinit", conf.KerberosKeytab}},
		{name: "keytab of another principal", env: []string{noCache},
			args: keytab(c.Env["FLOE_TEST_OTHER_KEYTAB"], c.Env["FLOE_TEST_PRINCIPAL"]),
			want: []string{"as " + c.Env["FLOE_TEST_PRINCIPAL"] + " with keytab " + c.Env["FLOE_TEST_OTHER_KEYTAB"], "holds no key of this principal"}},
		{name: "expired ticket", env: []string{"KRB5CCNAME=FILE:" + expired},
			want: []string{"expired at", "run kinit again"}},
		{name: "wrong realm in krb5.conf", env: []string{noCache},
			args: append(keytab(c.Env["FLOE_TEST_KEYTAB"], "floe"), "-D"+conf.KerberosKrb5Conf+"="+wrongRealm),
			want: []string{"as floe with keytab", "krb5.conf " + wrongRealm, "does not know this principal"}},
		{name: "KDC down", env: []string{noCache},
			args: keytab(c.Env["FLOE_TEST_KEYTAB"], c.Env["FLOE_TEST_PRINCIPAL"]),
			want: []string{"no KDC of the realm answers"},
			setup: func(t *testing.T) {
				out, err := exec.Command(c.Script, "--secure", "stop-kdc").CombinedOutput()
				if err != nil {
					t.Fatalf("stop-kdc: %v\n%s", err, out)
				}
				t.Cleanup(func() {
					if out, err := exec.Command(c.Script, "--secure", "start-kdc").CombinedOutput(); err != nil {
						t.Errorf("start-kdc: %v\n%s", err, out)
					}
				})
			}},
		{name: "no permission on the staging folder",
			args: []string{"-D" + conf.YarnStagingDirectory + "=/user/alice"},
			want: []string{"/user/alice/.floe", "permission denied", "set " + conf.YarnStagingDirectory}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			before := e.stagingApps(t)
			args := append([]string{"run", "-t", "yarn-per-job", "-Dyarn.tags=" + e.tag}, tc.args...)
			args = append(args, e.bins+"/wordcount", "--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, dir+"/out-"+strings.ReplaceAll(tc.name, " ", "-")))
			out, err := e.floeEnv(t, 2*time.Minute, "", append(append([]string{}, env...), tc.env...), args...)
			if err == nil {
				t.Fatalf("floe run succeeded; want an error")
			}
			if strings.Contains(err.Error(), "not done within") {
				t.Fatalf("floe run hung: %v", err)
			}
			low := strings.ToLower(out)
			for _, w := range tc.want {
				if !strings.Contains(low, strings.ToLower(w)) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if apps := e.appsTagged(t); len(apps) != 0 {
				t.Errorf("%d applications left with the test tag", len(apps))
			}
			after := e.stagingApps(t)
			for a := range after {
				if !before[a] {
					t.Errorf("staging folder %s left behind", a)
				}
			}
		})
	}
}

// secureProtectionRunning is the protection the secure cluster runs with,
// so that tests indifferent to it do not restart it ("authentication" when
// it is not running).
func secureProtectionRunning(t *testing.T) string {
	t.Helper()
	script := filepath.Join(repoRoot(), "scripts", "minicluster.sh")
	out, err := exec.Command(script, "--secure", "env").Output()
	if err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, "export FLOE_MINICLUSTER_RPC_PROTECTION="); ok && v != "" {
				if st := exec.Command(script, "--secure", "status"); st.Run() == nil {
					return v
				}
			}
		}
	}
	return "authentication"
}
