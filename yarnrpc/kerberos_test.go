package yarnrpc

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/types"
)

const (
	testRealm   = "FLOE.TEST"
	testSvcHost = "rm1.floe.test"
)

// testServiceKeytab is the RM's keytab: rm/rm1.floe.test@FLOE.TEST, AES256.
func testServiceKeytab(t *testing.T) *keytab.Keytab {
	kt := keytab.New()
	if err := kt.AddEntry("rm/"+testSvcHost, testRealm, "service-password", time.Now(), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	return kt
}

// testKerberos is a client for alice@FLOE.TEST whose service tickets are
// minted locally with the service keytab (standing in for the KDC).
func testKerberos(t *testing.T) *KerberosAuth {
	// gokrb5 starts its process-wide replay-cache janitor on first use;
	// start it before any goroutine-leak baseline is taken.
	service.GetReplayCache(time.Minute)
	kt := testServiceKeytab(t)
	cl := client.NewWithPassword("alice", testRealm, "alice-password", config.New())
	return &KerberosAuth{
		Client:          cl,
		ServerPrincipal: "rm/_HOST@" + testRealm,
		ServiceTicket: func(spn string) (messages.Ticket, types.EncryptionKey, error) {
			now := time.Now().UTC()
			return messages.NewTicket(cl.Credentials.CName(), testRealm,
				types.NewPrincipalName(nametype.KRB_NT_SRV_HST, spn), testRealm,
				types.NewKrbFlags(), kt, etypeID.AES256_CTS_HMAC_SHA1_96, 1, now, now, now.Add(time.Hour), now.Add(time.Hour))
		},
	}
}

func TestKerberosGSSAPI(t *testing.T) {
	cases := []struct {
		name    string
		layers  byte
		qop     []string
		wantQOP string
	}{
		{"no layer", gssLayerNone, nil, QOPAuth},
		{"integrity", gssLayerNone | gssLayerIntegrity, []string{QOPAuthInt}, QOPAuthInt},
		{"privacy", gssLayerNone | gssLayerIntegrity | gssLayerPrivacy, nil, QOPAuthConf},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := testKerberos(t)
			ipcLeakCheck(t)
			srv := newIPCServer(t, func(s *ipcServer) {
				s.allowSimple = false
				s.krb = &ipcKerberos{kt: testServiceKeytab(t), protocol: "rm", host: testSvcHost, layers: tc.layers}
			})
			// Address by IP, principal host from the advertised serverId;
			// the configured principal is checked with _HOST = that host.
			k.ServerPrincipal = "rm/_HOST@" + testRealm
			k.HostName = "RM1.floe.test" // _HOST is lower-cased
			c := newTestConn(t, ConnOptions{Addr: srv.addr(), Auth: AuthKerberos, Kerberos: k, QOP: tc.qop})
			big := bytes.Repeat([]byte("kerberos"), 20000)
			for _, p := range [][]byte{[]byte("hi"), big} {
				got, err := echo(context.Background(), c, "getClusterMetrics", p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, p) {
					t.Fatal("payload corrupted")
				}
			}
			sc := srv.conn(0)
			if sc.user != "alice@"+testRealm || sc.qop != tc.wantQOP {
				t.Fatalf("server saw user %q qop %q", sc.user, sc.qop)
			}
			if u := sc.connContext().GetUserInfo().GetEffectiveUser(); u != "alice@"+testRealm {
				t.Fatalf("context effective user = %q", u)
			}
		})
	}
}

func TestKerberosPrincipalMismatch(t *testing.T) {
	k := testKerberos(t)
	ipcLeakCheck(t)
	srv := newIPCServer(t, func(s *ipcServer) {
		s.krb = &ipcKerberos{kt: testServiceKeytab(t), protocol: "rm", host: "evil.floe.test", layers: gssLayerNone}
	})
	k.ServerPrincipal = "rm/" + testSvcHost + "@" + testRealm
	c := newTestConn(t, ConnOptions{Addr: srv.addr(), Auth: AuthKerberos, Kerberos: k})
	if _, err := echo(context.Background(), c, "x", nil); err == nil {
		t.Fatal("connected to a server with an unexpected principal")
	}
}

func TestGSSWrapRoundTrip(t *testing.T) {
	kt := testServiceKeytab(t)
	key, _, err := kt.GetEncryptionKey(types.NewPrincipalName(nametype.KRB_NT_SRV_HST, "rm/"+testSvcHost), testRealm, 1, etypeID.AES256_CTS_HMAC_SHA1_96)
	if err != nil {
		t.Fatal(err)
	}
	for _, conf := range []bool{false, true} {
		cli := &gssLayer{key: key, initiator: true, conf: conf, sendSeq: 77, recvSeq: 77}
		srv := &gssLayer{key: key, conf: conf, sendSeq: 77, recvSeq: 77}
		for i := 0; i < 3; i++ {
			msg := bytes.Repeat([]byte{byte(i)}, 100*i+1)
			w, err := cli.wrap(msg)
			if err != nil {
				t.Fatal(err)
			}
			if conf && bytes.Contains(w, msg) && len(msg) > 8 {
				t.Fatal("privacy wrap leaks plaintext")
			}
			got, err := srv.unwrap(w)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("conf=%v unwrap: %v", conf, err)
			}
			back, _ := srv.wrap(msg)
			if got, err := cli.unwrap(back); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("conf=%v reverse unwrap: %v", conf, err)
			}
			// A token from the wrong direction or tampered is refused.
			if _, err := cli.unwrap(w); err == nil {
				t.Fatal("accepted own token back")
			}
			back[len(back)-1] ^= 1
			if _, err := cli.unwrap(back); err == nil {
				t.Fatal("accepted tampered token")
			}
		}
	}
}

func TestExpandHostPrincipal(t *testing.T) {
	if got := ExpandHostPrincipal("rm/_HOST@R", "Host.Example"); got != "rm/host.example@R" {
		t.Fatalf("got %q", got)
	}
	if got := ExpandHostPrincipal("rm/fixed@R", "h"); got != "rm/fixed@R" {
		t.Fatalf("got %q", got)
	}
}
