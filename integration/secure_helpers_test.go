package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
)

// secureCluster is the Kerberized minicluster (scripts/minicluster.sh
// --secure), which runs beside the plain one with its own state and ports.
type secureCluster struct {
	Script string
	Env    map[string]string // what `minicluster.sh --secure env` exports
	Hadoop *conf.Hadoop
}

// requireSecureCluster returns the secure cluster running with
// hadoop.rpc.protection = protection, starting it (or restarting it with
// that protection) when needed. When it cannot run, the test fails under
// CI=true and is skipped otherwise. The cluster is left running (the
// integration script stops it if it started it).
func requireSecureCluster(t *testing.T, protection string) *secureCluster {
	t.Helper()
	return requireSecureClusterTokens(t, protection, 0, 0)
}

// requireSecureClusterTokens is requireSecureCluster with the delegation
// tokens' renew interval and maximum lifetime shortened
// (FLOE_MINICLUSTER_TOKEN_RENEW_MS, _MAX_LIFETIME_MS at a fresh start);
// zero keeps Hadoop's defaults. A cluster running with other lifetimes is
// restarted.
func requireSecureClusterTokens(t *testing.T, protection string, renew, maxLife time.Duration) *secureCluster {
	t.Helper()
	wantMax := ""
	if maxLife > 0 {
		wantMax = strconv.FormatInt(maxLife.Milliseconds(), 10)
	}
	script := filepath.Join(repoRoot(), "scripts", "minicluster.sh")
	fail := func(msg string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	run := func(bound time.Duration, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		defer cancel()
		cmd := exec.CommandContext(ctx, script, append([]string{"--secure"}, args...)...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "FLOE_MINICLUSTER_TOKEN_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		if maxLife > 0 {
			cmd.Env = append(cmd.Env, "FLOE_MINICLUSTER_TOKEN_RENEW_MS="+strconv.FormatInt(renew.Milliseconds(), 10),
				"FLOE_MINICLUSTER_TOKEN_MAX_LIFETIME_MS="+wantMax)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	env := func() map[string]string {
		out, err := run(30*time.Second, "env")
		if err != nil {
			t.Fatalf("minicluster.sh --secure env: %v\n%s", err, out)
		}
		m := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok {
				m[k] = strings.Trim(v, `"'`)
			}
		}
		return m
	}
	if _, err := run(60*time.Second, "status"); err == nil {
		m := env()
		h, _ := conf.LoadHadoop(m["HADOOP_CONF_DIR"])
		if m["FLOE_MINICLUSTER_RPC_PROTECTION"] != protection || h == nil || h.Get("dfs.namenode.delegation.token.max-lifetime") != wantMax {
			if out, err := run(3*time.Minute, "stop"); err != nil {
				fail("stop the secure minicluster to change its rpc protection or token lifetimes: " + err.Error() + "\n" + out)
			}
		}
	}
	if _, err := run(60*time.Second, "status"); err != nil {
		if out, err := run(6*time.Minute, "start", "--rpc-protection", protection); err != nil {
			fail("the secure minicluster (scripts/minicluster.sh --secure start) could not start: " + err.Error() + "\n" + out)
		}
	}
	c := &secureCluster{Script: script, Env: env()}
	h, err := conf.LoadHadoop(c.Env["HADOOP_CONF_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	c.Hadoop = h
	return c
}

// getenv reads the cluster's exports, then the process environment.
func (c *secureCluster) getenv(k string) string {
	if v, ok := c.Env[k]; ok {
		return v
	}
	return os.Getenv(k)
}

// config is a Floe configuration with the given options (key=value).
func secureConfig(t *testing.T, kv ...string) *conf.Config {
	t.Helper()
	cfg := conf.New()
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// login logs in as the test user with its keytab.
func (c *secureCluster) login(t *testing.T) *yarnrpc.KerberosLogin {
	t.Helper()
	cfg := secureConfig(t, conf.KerberosKeytab+"="+c.Env["FLOE_TEST_KEYTAB"], conf.KerberosPrincipal+"="+c.Env["FLOE_TEST_PRINCIPAL"])
	l, err := yarnrpc.LoginFromConfig(cfg, c.getenv)
	if err != nil {
		t.Fatalf("keytab login: %v", err)
	}
	l.ServerPrincipal = c.Hadoop.Get("yarn.resourcemanager.principal")
	return l
}

// store is an hdfsstore.Store logged in as l.
func (c *secureCluster) store(t *testing.T, l *yarnrpc.KerberosLogin) *hdfsstore.Store {
	t.Helper()
	st, err := hdfsstore.New(context.Background(), hdfsstore.Options{Hadoop: c.Hadoop, Kerberos: l.Client, DialTimeout: 5 * time.Second, CallTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// rm is an RMClient logged in as l.
func (c *secureCluster) rm(t *testing.T, l *yarnrpc.KerberosLogin) *yarnrpc.RMClient {
	t.Helper()
	rm, err := yarnrpc.NewRMClient(context.Background(), yarnrpc.RMClientOptions{Hadoop: c.Hadoop, Kerberos: l.KerberosAuth, DialTimeout: 5 * time.Second, CallTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rm.Close() })
	return rm
}

// hdfsToken gets an HDFS delegation token as l, renewable by the RM.
func (c *secureCluster) hdfsToken(t *testing.T, l *yarnrpc.KerberosLogin) yarnrpc.Token {
	t.Helper()
	k := *l.KerberosAuth
	k.ServerPrincipal = c.Hadoop.Get("dfs.namenode.kerberos.principal")
	qop, err := yarnrpc.QOPFromProtection([]string{c.Hadoop.RPCProtection()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	addr := strings.TrimPrefix(c.Hadoop.DefaultFS(), "hdfs://")
	tok, err := yarnrpc.HDFSDelegationToken(ctx, yarnrpc.HDFSTokenOptions{Addr: addr, Kerberos: &k, QOP: qop,
		Renewer: c.Hadoop.Get("yarn.resourcemanager.principal"), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("HDFS delegation token: %v", err)
	}
	return tok
}
