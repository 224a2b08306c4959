package yarnrpc

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// tokenIdentifier builds a delegation token identifier as Hadoop writes
// it: version, owner, renewer, real user, issue date, max date, sequence
// number, master key id.
func tokenIdentifier(owner string, maxDate time.Time) []byte {
	var b bytes.Buffer
	b.WriteByte(0)
	w := writableWriter{&b}
	w.text(owner)
	w.text("rm")
	w.text("")
	w.vlong(time.Now().UnixMilli())
	w.vlong(maxDate.UnixMilli())
	w.vlong(7)
	w.vlong(2)
	return b.Bytes()
}

func TestTokenOwnerAndMaxDate(t *testing.T) {
	maxDate := time.UnixMilli(1_800_000_000_123)
	tok := Token{Identifier: tokenIdentifier("floe@FLOE.TEST", maxDate), Kind: KindHDFSDelegate}
	if got, err := TokenOwner(tok); err != nil || got != "floe@FLOE.TEST" {
		t.Errorf("TokenOwner = %q, %v", got, err)
	}
	if got, err := TokenMaxDate(tok); err != nil || !got.Equal(maxDate) {
		t.Errorf("TokenMaxDate = %v, %v; want %v", got, err, maxDate)
	}
	for _, bad := range [][]byte{nil, {0}, {0, 5, 'a'}} {
		if _, err := TokenMaxDate(Token{Identifier: bad}); err == nil {
			t.Errorf("TokenMaxDate(%x) succeeded", bad)
		}
	}
}

func TestTokenFromResponse(t *testing.T) {
	tp, _ := proto.Marshal(&pb.TokenProto{Identifier: []byte("id"), Password: []byte("pw"), Kind: proto.String(KindRMDelegation), Service: proto.String("")})
	withField := func(num int, b []byte) *emptypb.Empty {
		m := &emptypb.Empty{}
		raw := append([]byte{byte(num<<3 | 2), byte(len(b))}, b...)
		m.ProtoReflect().SetUnknown(raw)
		return m
	}
	cases := []struct {
		name    string
		resp    *emptypb.Empty
		wantErr string
	}{
		{"token in field 1", withField(1, tp), ""},
		{"no token", &emptypb.Empty{}, "no delegation token"},
		{"other field only", withField(2, tp), "no delegation token"},
		{"truncated", func() *emptypb.Empty {
			m := &emptypb.Empty{}
			m.ProtoReflect().SetUnknown([]byte{0x0a, 0x40, 1})
			return m
		}(), "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tokenFromResponse(tc.resp)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got.Password) != "pw" || got.Kind != KindRMDelegation {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
	req := renewerRequest("rm/localhost@FLOE.TEST")
	b, _ := proto.Marshal(req)
	var back pb.TokenProto // field 1 is bytes there too: the renewer
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, &back); err != nil || string(back.GetIdentifier()) != "rm/localhost@FLOE.TEST" {
		t.Errorf("renewer request encodes %x", b)
	}
}

// TestTokenConn: a foreign IPC client that speaks SIMPLE (preamble, context,
// call) talks through TokenConn to a server that wants DIGEST-MD5, with
// each QOP; integrity and privacy wrap its frames both ways.
func TestTokenConn(t *testing.T) {
	id, pw := []byte("token-id-floe"), []byte("token-password")
	for _, qop := range []string{QOPAuth, QOPAuthInt, QOPAuthConf} {
		t.Run(qop, func(t *testing.T) {
			s := newIPCServer(t, func(s *ipcServer) {
				s.allowSimple = false
				s.tokens = map[string][]byte{string(id): pw}
				s.qops = []string{qop}
				s.ciphers = []string{"3des", "rc4"}
			})
			nc, err := net.Dial("tcp", s.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			tc, err := TokenConn(nc, Token{Identifier: id, Password: pw, Kind: KindHDFSDelegate}, []string{qop}, 5*time.Second)
			if err != nil {
				t.Fatalf("TokenConn: %v", err)
			}
			clientID := []byte("0123456789abcdef")
			out := preamble(authProtocolNone)
			if out, err = contextFrame(out, clientID, ProtocolClientNamenode, "floe@FLOE.TEST"); err != nil {
				t.Fatal(err)
			}
			if out, err = callFrame(out, 1, clientID, ProtocolClientNamenode, 1, "getFileInfo", renewerRequest("x")); err != nil {
				t.Fatal(err)
			}
			// Written in two pieces that split a frame, as a client may.
			if _, err := tc.Write(out[:11]); err != nil {
				t.Fatal(err)
			}
			if _, err := tc.Write(out[11:]); err != nil {
				t.Fatal(err)
			}
			f, err := readFrame(bufio.NewReader(tc), maxResponseLength)
			if err != nil {
				t.Fatalf("read response: %v", err)
			}
			r, err := parseResponse(f)
			if err != nil || r.callID() != 1 || r.remoteError() != nil {
				t.Fatalf("response %+v, %v", r, err)
			}
			if got := s.conn(0).qop; got != qop {
				t.Errorf("server negotiated %q, want %q", got, qop)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		s := newIPCServer(t, func(s *ipcServer) { s.allowSimple = false; s.tokens = map[string][]byte{string(id): pw} })
		nc, err := net.Dial("tcp", s.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := TokenConn(nc, Token{Identifier: id, Password: []byte("wrong"), Kind: KindHDFSDelegate}, nil, 5*time.Second); err == nil {
			t.Fatal("TokenConn with a wrong password succeeded")
		}
	})
}

func TestLoginFromConfigErrors(t *testing.T) {
	dir := t.TempDir()
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n  default_realm = FLOE.TEST\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name string
		kv   map[string]string
		env  map[string]string
		want string
	}{
		{"no krb5.conf", nil, map[string]string{"KRB5_CONFIG": filepath.Join(dir, "missing.conf")}, "set security.kerberos.krb5-conf.path"},
		{"keytab without principal", map[string]string{conf.KerberosKeytab: krb5}, map[string]string{"KRB5_CONFIG": krb5}, "security.kerberos.login.principal is not"},
		{"missing keytab", map[string]string{conf.KerberosKeytab: filepath.Join(dir, "none.keytab"), conf.KerberosPrincipal: "floe"}, map[string]string{"KRB5_CONFIG": krb5}, "none.keytab"},
		{"no ticket cache", nil, map[string]string{"KRB5_CONFIG": krb5, "KRB5CCNAME": "FILE:" + filepath.Join(dir, "cc")}, "run kinit"},
		{"ticket cache off", map[string]string{conf.KerberosUseTicketCache: "false"}, map[string]string{"KRB5_CONFIG": krb5}, "set a keytab and principal"},
		{"krb5 conf option wins", map[string]string{conf.KerberosKrb5Conf: filepath.Join(dir, "opt.conf")}, map[string]string{"KRB5_CONFIG": krb5}, "opt.conf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			for k, v := range tc.kv {
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoginFromConfig(cfg, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "no Kerberos login") {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
