package client

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/yarnrpc"
)

// testTokenIdentifier is a delegation token identifier with max date maxDate.
func testTokenIdentifier(maxDate time.Time) []byte {
	var b bytes.Buffer
	b.WriteByte(0)
	for _, s := range []string{"floe@FLOE.TEST", "rm", ""} {
		b.WriteByte(byte(len(s)))
		b.WriteString(s)
	}
	// vlongs: issue date 0 (one byte), max date in 8 bytes (-120 = 8 bytes follow).
	b.WriteByte(0)
	b.WriteByte(byte(0x100 - 120))
	ms := maxDate.UnixMilli()
	for i := 7; i >= 0; i-- {
		b.WriteByte(byte(ms >> (8 * i)))
	}
	b.Write([]byte{1, 1})
	return b.Bytes()
}

// TestDeployKerberos: on a Kerberos cluster the AM's credentials hold the
// delegation tokens under their services; without a keytab the client says
// when HDFS access ends; with one, the keytab (0400) and krb5.conf are
// staged as APPLICATION resources and the environment names the principal
// (never the key).
func TestDeployKerberos(t *testing.T) {
	maxDate := time.Now().Add(7 * 24 * time.Hour).Truncate(time.Millisecond)
	hdfsTok := yarnrpc.Token{Identifier: testTokenIdentifier(maxDate), Password: []byte("hdfs-secret-pw"), Kind: yarnrpc.KindHDFSDelegate, Service: "127.0.0.1:8020"}
	rmTok := yarnrpc.Token{Identifier: []byte("rm-id"), Password: []byte("rm-secret-pw"), Kind: yarnrpc.KindRMDelegation, Service: "127.0.0.1:8032"}
	dir := t.TempDir()
	keytab := filepath.Join(dir, "user.keytab")
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(keytab, []byte("KEYTAB-BYTES"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		dyn       []string
		tokErr    error
		wantKT    bool
		wantNote  bool
		wantError string
	}{
		{name: "ticket cache, no keytab", wantNote: true},
		{name: "keytab shipped", dyn: []string{conf.KerberosKeytab + "=" + keytab, conf.KerberosPrincipal + "=floe@FLOE.TEST", conf.KerberosKrb5Conf + "=" + krb5}, wantKT: true},
		{name: "missing keytab", dyn: []string{conf.KerberosKeytab + "=" + filepath.Join(dir, "none"), conf.KerberosPrincipal + "=floe@FLOE.TEST"}, wantError: "none"},
		{name: "no tokens", tokErr: errors.New("KDC says no"), wantError: "KDC says no"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newDeployFixture(t, tc.dyn, Platform{})
			var out bytes.Buffer
			f.desc.opts.Out = &out
			f.desc.opts.Tokens = func(context.Context) ([]yarnrpc.Token, error) {
				if tc.tokErr != nil {
					return nil, tc.tokErr
				}
				return []yarnrpc.Token{hdfsTok, rmTok}, nil
			}
			_, err := f.desc.Deploy(context.Background(), DeploySpec{Mode: contract.ModePerJob, JobBinary: f.job, JobGraph: []byte(`{"name":"wc"}`)})
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("Deploy err = %v, want %q", err, tc.wantError)
				}
				if dirs := f.appDirs(t); len(dirs) != 0 {
					t.Errorf("staging folders left: %v", dirs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sc := f.rm.submitted[0]
			creds, err := yarnrpc.ReadCredentials(bytes.NewReader(sc.AM.Tokens))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []yarnrpc.Token{hdfsTok, rmTok} {
				if got, ok := creds.Token(want.Service); !ok || !bytes.Equal(got.Password, want.Password) {
					t.Errorf("credentials lack the %s under %s", want.Kind, want.Service)
				}
			}
			if got := strings.Contains(out.String(), "loses HDFS access at"); got != tc.wantNote {
				t.Errorf("end-of-access note printed = %v, want %v:\n%s", got, tc.wantNote, out.String())
			}
			lr, ok := sc.AM.LocalResources[contract.LinkKeytab]
			if ok != tc.wantKT {
				t.Fatalf("keytab resource present = %v, want %v", ok, tc.wantKT)
			}
			if !tc.wantKT {
				return
			}
			if lr.Visibility != yarnrpc.VisibilityApplication {
				t.Errorf("keytab visibility %v", lr.Visibility)
			}
			fi, err := os.Stat(strings.TrimPrefix(lr.URL, "file://"))
			if err != nil || fi.Mode().Perm() != 0o400 {
				t.Errorf("staged keytab mode %v (%v), want 0400", fi.Mode().Perm(), err)
			}
			if _, ok := sc.AM.LocalResources[contract.LinkKrb5Conf]; !ok {
				t.Error("no krb5.conf resource")
			}
			env := sc.AM.Env
			if env[contract.EnvKerberosPrincipal] != "floe@FLOE.TEST" || env[contract.EnvKerberosKeytab] != contract.LinkKeytab || env[contract.EnvKrb5Config] != contract.LinkKrb5Conf {
				t.Errorf("env = %v", env)
			}
			for k, v := range env {
				if strings.Contains(v, "KEYTAB-BYTES") {
					t.Errorf("keytab bytes in env %s", k)
				}
			}
		})
	}
}
