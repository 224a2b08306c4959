package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
)

// TestSecureHDFSAndRM: with a keytab login, hdfsstore writes and reads a
// file on the Kerberized HDFS (Kerberos to the NameNode, SASL data transfer
// to the DataNode) and the RM client speaks GSSAPI to the RM, under each
// hadoop.rpc.protection: authentication, integrity, privacy (the cluster
// restarts to change it).
func TestSecureHDFSAndRM(t *testing.T) {
	for _, protection := range []string{"authentication", "integrity", "privacy"} {
		t.Run(protection, func(t *testing.T) {
			c := requireSecureCluster(t, protection)
			l := c.login(t)
			if l.Principal != c.Env["FLOE_TEST_PRINCIPAL"] {
				t.Fatalf("logged in as %q, want %q", l.Principal, c.Env["FLOE_TEST_PRINCIPAL"])
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			st := c.store(t, l)
			if st.User() != "floe" {
				t.Fatalf("store user %q, want floe (the principal's short name)", st.User())
			}
			data := make([]byte, 3<<20+17) // more than one packet, odd size
			if _, err := rand.Read(data); err != nil {
				t.Fatal(err)
			}
			local := filepath.Join(t.TempDir(), "blob")
			if err := os.WriteFile(local, data, 0o600); err != nil {
				t.Fatal(err)
			}
			dir := "/user/floe/secure-test-" + protection
			t.Cleanup(func() { _ = st.RemoveAll(context.Background(), dir) })
			if err := st.Upload(ctx, local, dir+"/blob", nil); err != nil {
				t.Fatalf("upload over Kerberos (%s): %v", protection, err)
			}
			fi, err := st.Stat(ctx, dir+"/blob")
			if err != nil || fi.Size != int64(len(data)) {
				t.Fatalf("stat: %+v, %v; want size %d", fi, err, len(data))
			}
			f, err := st.Open(ctx, dir+"/blob")
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f)
			_ = f.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes (err %v), want the %d written", len(got), err, len(data))
			}

			rm := c.rm(t, l)
			nodes, err := rm.Nodes(ctx, yarnrpc.NodeRunning)
			if err != nil {
				t.Fatalf("RM over GSSAPI (%s): %v", protection, err)
			}
			if len(nodes) != 2 {
				t.Fatalf("RM lists %d running nodes, want 2", len(nodes))
			}
			if _, _, err := rm.NewApplication(ctx); err != nil {
				t.Fatalf("new application: %v", err)
			}

			// Delegation tokens: the RM's, and the NameNode's, with which a
			// store that has no Kerberos login (a container's) reads the file.
			renewer := c.Hadoop.Get("yarn.resourcemanager.principal")
			rmTok, err := rm.DelegationToken(ctx, renewer)
			if err != nil || rmTok.Kind != yarnrpc.KindRMDelegation {
				t.Fatalf("RM delegation token: kind %q, %v", rmTok.Kind, err)
			}
			tok := c.hdfsToken(t, l)
			if owner, err := yarnrpc.TokenOwner(tok); err != nil || owner != c.Env["FLOE_TEST_PRINCIPAL"] {
				t.Fatalf("HDFS token owner %q (%v), want %s", owner, err, c.Env["FLOE_TEST_PRINCIPAL"])
			}
			if md, err := yarnrpc.TokenMaxDate(tok); err != nil || !md.After(time.Now()) {
				t.Fatalf("HDFS token max date %v (%v), want in the future", md, err)
			}
			var creds yarnrpc.Credentials
			creds.AddToken(tok.Service, tok)
			tst, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: c.Hadoop, Tokens: &creds, DialTimeout: 5 * time.Second, CallTimeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tst.Close() }()
			if tst.User() != "floe" {
				t.Fatalf("token store user %q, want floe", tst.User())
			}
			f, err = tst.Open(ctx, dir+"/blob")
			if err != nil {
				t.Fatalf("open with the delegation token (%s): %v", protection, err)
			}
			got, err = io.ReadAll(f)
			_ = f.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back with the token %d bytes (err %v), want the %d written", len(got), err, len(data))
			}
			if err := tst.Upload(ctx, local, dir+"/blob2", nil); err != nil {
				t.Fatalf("upload with the delegation token (%s): %v", protection, err)
			}
		})
	}
}
