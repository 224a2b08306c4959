package yarnrpc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVLong(t *testing.T) {
	cases := []struct {
		v   int64
		hex string
	}{
		{0, "00"}, {127, "7f"}, {-1, "ff"}, {-112, "90"}, {-113, "8770"}, {128, "8f80"}, {200, "8fc8"},
		{65536, "8d010000"}, {-129, "8780"}, {1<<63 - 1, "887fffffffffffffff"}, {-1 << 63, "807fffffffffffffff"},
	}
	for _, tc := range cases {
		got := hex.EncodeToString(appendVLong(nil, tc.v))
		if got != tc.hex {
			t.Errorf("appendVLong(%d) = %s, want %s", tc.v, got, tc.hex)
		}
		b, _ := hex.DecodeString(tc.hex)
		r := writableReader{b: b}
		if v, err := r.vlong(); err != nil || v != tc.v || r.off != len(b) {
			t.Errorf("vlong(%s) = %d, %v", tc.hex, v, err)
		}
	}
}

// handMadeHDTS is a format-0 file written out byte by byte from the
// layout of Credentials.writeWritable: one AMRMToken under the empty alias
// and one secret.
func handMadeHDTS() []byte {
	var b bytes.Buffer
	b.WriteString("HDTS\x00")
	b.WriteByte(1)                           // one token
	b.WriteByte(0)                           // alias ""
	b.Write([]byte{3, 0x0a, 0x0b, 0x0c})     // identifier
	b.Write([]byte{2, 0xaa, 0xbb})           // password
	b.WriteByte(16)                          // kind
	b.WriteString("YARN_AM_RM_TOKEN")        //
	b.WriteByte(0)                           // service ""
	b.WriteByte(1)                           // one secret
	b.WriteByte(23)                          // alias
	b.WriteString("floe.application.secret") //
	b.Write([]byte{4, 's', 'e', 'c', '!'})   // value
	return b.Bytes()
}

func TestReadCredentialsHandMade(t *testing.T) {
	c, err := ReadCredentials(bytes.NewReader(handMadeHDTS()))
	if err != nil {
		t.Fatal(err)
	}
	tok, ok := c.TokenByKind(KindAMRMToken)
	if !ok || !bytes.Equal(tok.Identifier, []byte{0x0a, 0x0b, 0x0c}) || !bytes.Equal(tok.Password, []byte{0xaa, 0xbb}) || tok.Service != "" {
		t.Fatalf("token = %v %x %x", tok, tok.Identifier, tok.Password)
	}
	if s, ok := c.Secret("floe.application.secret"); !ok || string(s) != "sec!" {
		t.Fatalf("secret = %q", s)
	}
	if !bytes.Equal(c.Marshal(), handMadeHDTS()) {
		t.Fatalf("Marshal = %x\nwant      %x", c.Marshal(), handMadeHDTS())
	}
	ipcGolden(t, "credentials-format0.hex", hexDump(c.Marshal()))
}

func TestCredentialsRoundTrip(t *testing.T) {
	c := &Credentials{}
	big := bytes.Repeat([]byte{0x42}, 300) // length needs a multi-byte vint
	c.AddToken("", Token{Identifier: []byte("amrm"), Password: []byte("pw"), Kind: KindAMRMToken})
	c.AddToken("10.0.0.1:8041", Token{Identifier: big, Password: big, Kind: KindNMToken, Service: "10.0.0.1:8041"})
	c.AddToken("", Token{Identifier: []byte("amrm2"), Password: []byte("pw2"), Kind: KindAMRMToken}) // replaces
	c.SetSecret("floe.application.secret", []byte{0, 1, 2})
	c.SetSecret("empty", nil)
	c.SetSecret("long", big) // a secret whose length needs a multi-byte vint
	pbuf, err := c.MarshalProtobuf()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"writable": c.Marshal(), "protobuf": pbuf} {
		t.Run(name, func(t *testing.T) {
			got, err := ReadCredentials(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if a := got.TokenAliases(); len(a) != 2 {
				t.Fatalf("aliases %q", a)
			}
			amrm, _ := got.TokenByKind(KindAMRMToken)
			if string(amrm.Identifier) != "amrm2" {
				t.Fatalf("AMRM = %q", amrm.Identifier)
			}
			nm, ok := got.Token("10.0.0.1:8041")
			if !ok || !bytes.Equal(nm.Password, big) || nm.Service != "10.0.0.1:8041" {
				t.Fatal("NM token lost")
			}
			if s, ok := got.Secret("floe.application.secret"); !ok || !bytes.Equal(s, []byte{0, 1, 2}) {
				t.Fatal("secret lost")
			}
			if s, ok := got.Secret("empty"); !ok || len(s) != 0 {
				t.Fatal("empty secret lost")
			}
			if s, ok := got.Secret("long"); !ok || !bytes.Equal(s, big) {
				t.Fatal("long secret lost")
			}
			if s, ok := got.Secret("nope"); ok || s != nil {
				t.Fatalf("missing alias = %q, %v", s, ok)
			}
			if !bytes.Equal(got.Marshal(), c.Marshal()) {
				t.Fatal("re-marshal differs")
			}
		})
	}
}

func TestReadCredentialsErrors(t *testing.T) {
	good := handMadeHDTS()
	cases := []struct {
		name, want string
		in         []byte
	}{
		{"empty", "bad header", nil},
		{"bad magic", "bad header", []byte("HDTX\x00\x00\x00")},
		{"unknown format", "format 7", []byte("HDTS\x07")},
		{"truncated value", "exceeds", good[:len(good)-3]},
		{"truncated count", "unexpected end", good[:5]},
		{"huge count", "implausible", []byte("HDTS\x00\x8c\x7f\xff\xff\xff")},
		{"length past end", "exceeds", []byte("HDTS\x00\x01\x00\x7f")},
		{"bad protobuf length", "length", []byte("HDTS\x01\x7f")},
		{"protobuf token without token", "no token", []byte("HDTS\x01\x04\x0a\x02\x0a\x00")},
		{"protobuf length past end", "length", []byte("HDTS\x01\x10\x12")},
		{"protobuf field past end", "CredentialsProto", []byte("HDTS\x01\x02\x12\x05")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCredentials(bytes.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "container_tokens")
	c := &Credentials{}
	c.SetSecret("floe.application.secret", []byte("s"))
	if err := c.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("stat = %v, %v", st, err)
	}
	got, err := ReadCredentialsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := got.Secret("floe.application.secret"); string(s) != "s" {
		t.Fatal("secret lost")
	}
	if _, err := ReadCredentialsFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file err = %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temp files left: %v", ents)
	}
}
