package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// secretScan fails the test when a secret of the secure cluster's test
// user or of application app shows up where it must not: in the client's
// output, in any log of app's containers, or in the command line or
// environment of any process on this machine. The secrets: the key of
// every entry of the test user's keytab, and the passwords of the
// delegation tokens in app's container credentials. Each is looked for
// raw, in hex and in base64.
func secretScan(t *testing.T, c *secureCluster, app yarnrpc.ApplicationID, clientOut string) {
	t.Helper()
	type secret struct {
		what string
		v    []byte
	}
	var secrets []secret
	kt, err := keytab.Load(c.Env["FLOE_TEST_KEYTAB"])
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range kt.Entries {
		secrets = append(secrets, secret{"keytab key", e.Key.KeyValue})
	}
	state := c.Env["FLOE_MINICLUSTER_DIR"]
	tokFiles, _ := filepath.Glob(filepath.Join(state, "data", "nm*", "local", "nmPrivate", app.String(), "container_*", "*.tokens"))
	if len(tokFiles) == 0 {
		t.Fatalf("no container token files of %s to take the token passwords from", app)
	}
	for _, f := range tokFiles {
		creds, err := yarnrpc.ReadCredentialsFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range creds.TokenAliases() {
			tok, _ := creds.Token(a)
			if tok.Kind == yarnrpc.KindHDFSDelegate || tok.Kind == yarnrpc.KindRMDelegation {
				secrets = append(secrets, secret{tok.Kind + " password", tok.Password})
			}
		}
	}
	places := map[string][]byte{"client output": []byte(clientOut)}
	logs, _ := filepath.Glob(filepath.Join(state, "data", "nm*", "logs", app.String(), "container_*", "*"))
	for _, f := range logs {
		if b, err := os.ReadFile(f); err == nil {
			places[f] = b
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		for _, f := range []string{"cmdline", "environ"} {
			if b, err := os.ReadFile(filepath.Join(p, f)); err == nil {
				places[filepath.Join(p, f)] = b
			}
		}
	}
	for where, b := range places {
		for _, s := range secrets {
			if len(s.v) < 8 {
				continue
			}
			for _, form := range [][]byte{s.v, []byte(hex.EncodeToString(s.v)), []byte(base64.StdEncoding.EncodeToString(s.v))} {
				if bytes.Contains(b, form) {
					t.Errorf("%s found in %s", s.what, where)
				}
			}
		}
	}
	t.Logf("scanned %d places (client output, %d container logs, process command lines and environments) for %d secrets", len(places), len(logs), len(secrets))
}
