package hdts

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/floe-yarn/floe/yarnrpc"
)

func TestSecretAgreesWithYarnrpc(t *testing.T) {
	long := bytes.Repeat([]byte{0xfe}, 300) // needs a multi-byte vint
	var c yarnrpc.Credentials
	c.AddToken("", yarnrpc.Token{Identifier: []byte("id"), Password: bytes.Repeat([]byte{1}, 200), Kind: yarnrpc.KindAMRMToken})
	c.AddToken("hdfs", yarnrpc.Token{Identifier: long, Password: []byte("pw"), Kind: yarnrpc.KindHDFSDelegate, Service: "nn:8020"})
	c.SetSecret("other", []byte("x"))
	c.SetSecret("floe.application.secret", long)
	c.SetSecret("empty", nil)
	pbBlob, err := c.MarshalProtobuf()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		blob  []byte
		alias string
		want  []byte
		err   error
	}{
		{"writable", c.Marshal(), "floe.application.secret", long, nil},
		{"writable short", c.Marshal(), "other", []byte("x"), nil},
		{"writable empty", c.Marshal(), "empty", []byte{}, nil},
		{"writable missing", c.Marshal(), "nope", nil, ErrNoSecret},
		{"protobuf", pbBlob, "floe.application.secret", long, nil},
		{"protobuf empty", pbBlob, "empty", []byte{}, nil},
		{"protobuf missing", pbBlob, "nope", nil, ErrNoSecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Secret(tc.blob, tc.alias)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("got %x, %v; want %x", got, err, tc.want)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	var c yarnrpc.Credentials
	c.SetSecret("a", []byte("0123456789"))
	good := c.Marshal()
	cases := []struct {
		name string
		blob []byte
	}{
		{"empty", nil},
		{"bad magic", []byte("XDTS\x00\x00\x00")},
		{"bad format", []byte("HDTS\x07")},
		{"truncated", good[:len(good)-3]},
		{"protobuf truncated", []byte("HDTS\x01\x10\x12")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Secret(tc.blob, "a"); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestReadSecretFile(t *testing.T) {
	var c yarnrpc.Credentials
	c.SetSecret("s", []byte("0123456789abcdef"))
	p := filepath.Join(t.TempDir(), "container_tokens")
	if err := c.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSecretFile(p, "s")
	if err != nil || string(got) != "0123456789abcdef" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := ReadSecretFile(filepath.Join(t.TempDir(), "missing"), "s"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzSecret(f *testing.F) {
	var c yarnrpc.Credentials
	c.SetSecret("a", []byte("v"))
	f.Add(c.Marshal())
	pb, _ := c.MarshalProtobuf()
	f.Add(pb)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Secret(b, "a") // must not panic
	})
}
