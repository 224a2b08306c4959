package yarnrpc

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func tokenServer(t *testing.T, qops, ciphers []string, tokens ...Token) *ipcServer {
	return newIPCServer(t, func(s *ipcServer) {
		s.allowSimple = false
		s.qops, s.ciphers = qops, ciphers
		s.tokens = map[string][]byte{}
		for _, tok := range tokens {
			s.tokens[string(tok.Identifier)] = tok.Password
		}
	})
}

var testToken = Token{Identifier: []byte("appattempt_1_0001_000001\x00id"), Password: []byte("s3cr3t-password"), Kind: KindAMRMToken}

func TestSASLTokenQOP(t *testing.T) {
	all := []string{"rc4-40", "rc4-56", "rc4", "des", "3des"}
	cases := []struct {
		name            string
		offered, client []string
		ciphers         []string
		wantQOP         string
		wantCipher      string
	}{
		{"auth", []string{"auth"}, nil, nil, "auth", ""},
		{"auth-int", []string{"auth-int"}, nil, nil, "auth-int", ""},
		{"auth-conf default ciphers", []string{"auth-conf"}, nil, all, "auth-conf", "3des"},
		{"auth-conf rc4", []string{"auth-conf"}, nil, []string{"rc4-40", "rc4"}, "auth-conf", "rc4"},
		{"auth-conf rc4-56", []string{"auth-conf"}, nil, []string{"rc4-56", "rc4-40"}, "auth-conf", "rc4-56"},
		{"auth-conf rc4-40", []string{"auth-conf"}, nil, []string{"rc4-40"}, "auth-conf", "rc4-40"},
		{"auth-conf des", []string{"auth-conf"}, nil, []string{"des", "rc4-40"}, "auth-conf", "des"},
		{"client prefers auth", []string{"auth", "auth-int", "auth-conf"}, []string{"auth"}, all, "auth", ""},
		{"strongest offered", []string{"auth", "auth-int", "auth-conf"}, nil, all, "auth-conf", "3des"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ipcLeakCheck(t)
			srv := tokenServer(t, tc.offered, tc.ciphers, testToken)
			c := newTestConn(t, ConnOptions{Addr: srv.addr(), Auth: AuthToken, Token: &testToken, QOP: tc.client, PingInterval: 5e6})
			// Small, then larger than the 64 KiB SASL buffer so requests
			// are split over several WRAP packets; concurrent to mix them.
			payloads := [][]byte{[]byte("x"), bytes.Repeat([]byte("0123456789"), 30000), bytes.Repeat([]byte{7}, 65536)}
			errs := make(chan error, len(payloads))
			for _, p := range payloads {
				go func() {
					got, err := echo(context.Background(), c, "allocate", p)
					if err == nil && !bytes.Equal(got, p) {
						err = errors.New("payload corrupted")
					}
					errs <- err
				}()
			}
			for range payloads {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			sc := srv.conn(0)
			if sc.qop != tc.wantQOP || sc.cipher != tc.wantCipher {
				t.Fatalf("negotiated %s/%s, want %s/%s", sc.qop, sc.cipher, tc.wantQOP, tc.wantCipher)
			}
			if sc.user != string(testToken.Identifier) {
				t.Fatalf("server user = %q", sc.user)
			}
			ctx := sc.connContext()
			if ctx.GetUserInfo() == nil || ctx.GetUserInfo().EffectiveUser != nil || ctx.GetProtocol() != testProtocol {
				t.Fatalf("TOKEN context = %v, want empty user info", ctx)
			}
		})
	}
}

func TestSASLInvalidToken(t *testing.T) {
	ipcLeakCheck(t)
	srv := tokenServer(t, nil, nil, testToken)
	bad := testToken.Clone()
	bad.Password = []byte("wrong")
	c := newTestConn(t, ConnOptions{Addr: srv.addr(), Auth: AuthToken, Token: &bad})
	_, err := echo(context.Background(), c, "allocate", nil)
	var re *RemoteError
	if !errors.Is(err, ErrInvalidToken) || !errors.As(err, &re) || !re.Fatal || IsConnectionError(err) {
		t.Fatalf("err = %v, want fatal InvalidToken", err)
	}
	if !strings.Contains(err.Error(), "Invalid AMRMToken") {
		t.Fatalf("message lost: %v", err)
	}
}

func TestSASLSetTokenUsedForNewConnections(t *testing.T) {
	ipcLeakCheck(t)
	rolled := Token{Identifier: []byte("rolled-id"), Password: []byte("rolled-pw"), Kind: KindAMRMToken}
	srv := tokenServer(t, nil, nil, testToken, rolled)
	c := newTestConn(t, ConnOptions{Addr: srv.addr(), Auth: AuthToken, Token: &testToken, IdleTimeout: 20e6})
	if _, err := echo(context.Background(), c, "allocate", nil); err != nil {
		t.Fatal(err)
	}
	c.SetToken(&rolled)
	delete(srv.tokens, string(testToken.Identifier)) // the old key is retired
	first := srv.conn(0)
	ipcWaitFor(t, "idle close", func() bool {
		select {
		case <-first.closed:
			return true
		default:
			return false
		}
	})
	if _, err := echo(context.Background(), c, "allocate", nil); err != nil {
		t.Fatal(err)
	}
	if got := srv.conn(1).user; got != "rolled-id" {
		t.Fatalf("second connection authenticated as %q", got)
	}
}

func TestSASLClientWithoutMatchingMethod(t *testing.T) {
	k := testKerberos(t)
	ipcLeakCheck(t)
	srv := newIPCServer(t, func(s *ipcServer) { s.tokens = map[string][]byte{} })
	c := newTestConn(t, ConnOptions{Addr: srv.addr(), Auth: AuthKerberos, Kerberos: k})
	_, err := echo(context.Background(), c, "x", nil)
	if err == nil || !strings.Contains(err.Error(), "cannot authenticate via KERBEROS") {
		t.Fatalf("err = %v", err)
	}
}
