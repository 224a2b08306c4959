package hdfsstore

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc"
)

func TestNamenodeSPN(t *testing.T) {
	cases := []struct {
		name, principal string
		addrs           []string
		want, wantErr   string
	}{
		{"host placeholder, IP address", "nn/_HOST@FLOE.TEST", []string{"127.0.0.1:8020"}, "nn/localhost", ""},
		{"host placeholder, name", "nn/_HOST@FLOE.TEST", []string{"NN1.Example.COM:8020"}, "nn/nn1.example.com", ""},
		{"fixed principal", "hdfs/nn.example.com@EXAMPLE.COM", []string{"10.0.0.1:8020"}, "hdfs/nn.example.com", ""},
		{"unset", "", []string{"127.0.0.1:8020"}, "", "dfs.namenode.kerberos.principal is not set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := conf.HadoopDefaults()
			if tc.principal != "" {
				h.Set(keyNameNodePrincipal, tc.principal)
			}
			got, err := namenodeSPN(h, tc.addrs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("namenodeSPN = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestHDFSTokenChoice(t *testing.T) {
	var c yarnrpc.Credentials
	c.AddToken("127.0.0.1:9000", yarnrpc.Token{Kind: yarnrpc.KindHDFSDelegate, Service: "127.0.0.1:9000", Password: []byte("a")})
	c.AddToken("127.0.0.1:8020", yarnrpc.Token{Kind: yarnrpc.KindHDFSDelegate, Service: "127.0.0.1:8020", Password: []byte("b")})
	c.AddToken("127.0.0.1:8032", yarnrpc.Token{Kind: yarnrpc.KindRMDelegation, Service: "127.0.0.1:8032", Password: []byte("c")})
	if got := hdfsToken(&c, []string{"127.0.0.1:8020"}); got == nil || string(got.Password) != "b" {
		t.Errorf("by service: %+v, want the 8020 token", got)
	}
	if got := hdfsToken(&c, []string{"127.0.0.1:7777"}); got == nil || string(got.Password) != "a" {
		t.Errorf("fallback: %+v, want the first HDFS token", got)
	}
	var none yarnrpc.Credentials
	if got := hdfsToken(&none, []string{"127.0.0.1:8020"}); got != nil {
		t.Errorf("no tokens: %+v", got)
	}
	for in, want := range map[string]string{"floe@R": "floe", "nn/host@R": "nn", "plain": "plain"} {
		if got := shortName(in); got != want {
			t.Errorf("shortName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestKerberosWithoutLogin: a Kerberos cluster and neither a login nor
// tokens is a permission error that says how to log in, before any dial.
func TestKerberosWithoutLogin(t *testing.T) {
	t.Setenv(yarnrpc.EnvTokenFile, "")
	h := conf.HadoopDefaults()
	h.Set(conf.KeyDefaultFS, "hdfs://127.0.0.1:1")
	h.Set(conf.KeyAuthentication, "kerberos")
	s, err := New(context.Background(), Options{Hadoop: h, User: "floe"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Stat(context.Background(), "/x")
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "kinit") {
		t.Fatalf("err = %v, want a permission error naming kinit", err)
	}
}
