package yarnrpc

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ipcGolden compares got with testdata/golden/name; FLOE_UPDATE_GOLDEN=1
// rewrites the file instead.
func ipcGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if os.Getenv("FLOE_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (FLOE_UPDATE_GOLDEN=1 creates it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from golden:\n got %q\nwant %q", name, got, want)
	}
}

// TestDigestRFC2831Example checks the worked example of RFC 2831 §4.
func TestDigestRFC2831Example(t *testing.T) {
	s := &digestSession{username: "chris", realm: "elwood.innosoft.com", password: "secret",
		nonce: "OA6MG9tEQGm2hh", cnonce: "OA6MHXh6VqTrRk", digestURI: "imap/elwood.innosoft.com", qop: QOPAuth}
	if got := s.digest("AUTHENTICATE"); got != "d388dad90d4bbd760a152321f2143af7" {
		t.Fatalf("response = %s", got)
	}
	if got := s.digest(""); got != "ea40f60335c427b5527b84dbabcdfffd" {
		t.Fatalf("rspauth = %s", got)
	}
}

// Known answers below were computed with an independent Python script
// (hashlib/hmac, a textbook RC4 and openssl's DES-CBC / DES-EDE3-CBC).
var (
	katIdentifier = []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	katPassword   = []byte("defghijklmnopqrstuvw")
	katNonce      = "Yp8+Y2xT/3Z6sUq0nLcAbQ=="
	katCnonce     = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="
	katMessage    = []byte("hello hadoop ipc")
)

func katClient(qop string) *digestClient {
	d := newDigestClient(Token{Identifier: katIdentifier, Password: katPassword, Kind: KindAMRMToken}, "", "default", []string{qop})
	d.newCnonce = func() string { return katCnonce }
	return d
}

func TestDigestHadoopChallenge(t *testing.T) {
	cases := []struct {
		name, challenge, qop, response, rspauth, golden string
	}{
		{"auth", `realm="default",nonce="` + katNonce + `",qop="auth",charset=utf-8,algorithm=md5-sess`,
			QOPAuth, "3270c29580b93882a7827f949376cf59", "78936bc1aa81c9d15889eed973925156", "digest-md5-response-auth.txt"},
		{"auth-int", `realm="default",nonce="` + katNonce + `",qop="auth,auth-int,auth-conf",charset=utf-8,cipher="rc4-40,rc4-56,rc4,des,3des",algorithm=md5-sess`,
			QOPAuthInt, "10fef147470197aec9eecc1ef6976763", "912ad73d6b37413a76e51419a5aa9c1f", "digest-md5-response-auth-int.txt"},
		{"auth-conf", `realm="default",nonce="` + katNonce + `",qop="auth,auth-int,auth-conf",charset=utf-8,cipher="rc4-40,rc4-56,rc4,des,3des",algorithm=md5-sess`,
			QOPAuthConf, "57098659d78d8b04e6ab2151152f76f1", "f02b97b7d302e053e6c00d3209894c98", "digest-md5-response-auth-conf.txt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := katClient(tc.qop)
			resp, err := d.step([]byte(tc.challenge))
			if err != nil {
				t.Fatal(err)
			}
			ipcGolden(t, tc.golden, resp)
			if !strings.Contains(string(resp), ",response="+tc.response+",") ||
				!strings.Contains(string(resp), `username="AQIDBAUGBwgJCgsMDQ4PEBESExQ="`) ||
				!strings.Contains(string(resp), `digest-uri="/default"`) {
				t.Fatalf("response %s lacks expected values", resp)
			}
			if tc.qop == QOPAuthConf && !strings.HasSuffix(string(resp), ",cipher=3des") {
				t.Fatalf("cipher not 3des: %s", resp)
			}
			if err := d.finish([]byte("rspauth=" + strings.Repeat("0", 32))); err == nil {
				t.Fatal("wrong rspauth accepted")
			}
			if err := d.finish([]byte("rspauth=" + tc.rspauth)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDigestLayerKnownAnswers(t *testing.T) {
	cases := []struct {
		name, qop, cipher string
		seq0, seq1        string
	}{
		{"integrity", QOPAuthInt, "", "68656c6c6f206861646f6f7020697063c58a42d3e9e5f158f5b9000100000000", "68656c6c6f206861646f6f7020697063fc54348430ddb9f7a963000100000001"},
		{"rc4", QOPAuthConf, "rc4", "32b084439d3259745794b86587782aa893f16242e13405022b3f000100000000", "d2198f93fd1e36df63fd91a6309f358afccb3403c0666eb324bb000100000001"},
		{"rc4-56", QOPAuthConf, "rc4-56", "b270e39e9bea3ff261a16871b9285ada71867df6920401c8b027000100000000", "e5a11313c51f1266df6a36e575ad5410b1c6c40f13e3da7dee80000100000001"},
		{"rc4-40", QOPAuthConf, "rc4-40", "e9ecbd84d194d44da1d7bf2f114d58c59c1c40a7b76c9425ee3f000100000000", "11eeedbc057fa5ab5521b42684128e1789a25bb6cea7fb5513b6000100000001"},
		{"3des", QOPAuthConf, "3des", "e331f318e171a7671513dd1640331df918f49785d25896bd09279f00a30a9b76000100000000", "8ffbb4f2e5703fc2dcae3c5f65d63b0b68bdbea8986eab89f63c00737f25e5fe000100000001"},
		{"des", QOPAuthConf, "des", "217e022221938d4c406f2b26351fd23adf111d500c48458139fe18a952256e86000100000000", "c861a1e689a4090b21d72bde315c30013b55b7933c41dd073b23908a0e170727000100000001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := func() *digestSession {
				// The layer keys derive from the auth-conf H(A1) of the
				// known-answer session (qop does not enter H(A1)).
				d := katClient(QOPAuthConf)
				if _, err := d.step([]byte(`realm="default",nonce="` + katNonce + `",qop="auth-conf",cipher="3des",charset=utf-8,algorithm=md5-sess`)); err != nil {
					t.Fatal(err)
				}
				s := *d.sess
				s.qop, s.cipher = tc.qop, tc.cipher
				return &s
			}
			client, err := newDigestLayer(sess(), true)
			if err != nil {
				t.Fatal(err)
			}
			server, err := newDigestLayer(sess(), false)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []string{tc.seq0, tc.seq1} {
				w, err := client.wrap(katMessage)
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(w) != want {
					t.Fatalf("wrap #%d = %x, want %s", i, w, want)
				}
				got, err := server.unwrap(w)
				if err != nil || !bytes.Equal(got, katMessage) {
					t.Fatalf("server unwrap #%d = %q, %v", i, got, err)
				}
			}
			// Server to client, then tampering and replays are rejected.
			for i := 0; i < 3; i++ {
				msg := bytes.Repeat([]byte{byte(i)}, 37*i+1)
				w, _ := server.wrap(msg)
				got, err := client.unwrap(w)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("client unwrap %d: %v", i, err)
				}
			}
			w, _ := client.wrap(katMessage)
			bad := append([]byte{}, w...)
			bad[0] ^= 0x40
			if _, err := server.unwrap(bad); err == nil {
				t.Fatal("tampered buffer accepted")
			}
		})
	}
}

func TestParseDigestChallenge(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
		check    func(*digestChallenge) bool
	}{
		{"hadoop", `realm="default",nonce="abc",qop="auth",charset=utf-8,algorithm=md5-sess`, true,
			func(c *digestChallenge) bool {
				return c.Realms[0] == "default" && c.Nonce == "abc" && c.QOP[0] == "auth"
			}},
		{"spaces and empty elements", ` realm = "r" ,, nonce="n\"q" , qop="auth, auth-int",maxbuf=1024, algorithm=md5-sess ,`, true,
			func(c *digestChallenge) bool {
				return c.Nonce == `n"q` && len(c.QOP) == 2 && c.QOP[1] == "auth-int" && c.MaxBuf == 1024
			}},
		{"no qop means auth", `nonce="n",algorithm=md5-sess`, true, func(c *digestChallenge) bool { return c.QOP[0] == "auth" }},
		{"ciphers", `nonce="n",qop="auth-conf",cipher="rc4-40,3des",algorithm=md5-sess`, true, func(c *digestChallenge) bool { return len(c.Ciphers) == 2 }},
		{"no nonce", `realm="r",algorithm=md5-sess`, false, nil},
		{"md5 algorithm", `nonce="n",algorithm=md5`, false, nil},
		{"unterminated", `nonce="n,algorithm=md5-sess`, false, nil},
		{"duplicate nonce", `nonce="a",nonce="b",algorithm=md5-sess`, false, nil},
		{"bad maxbuf", `nonce="a",maxbuf=-1,algorithm=md5-sess`, false, nil},
		{"no value", `nonce`, false, nil},
		{"latin1 charset", `nonce="n",charset=iso-8859-1,algorithm=md5-sess`, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseDigestChallenge([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !tc.check(c) {
				t.Fatalf("parsed %+v", c)
			}
		})
	}
}

func TestChooseQOPAndCipher(t *testing.T) {
	cases := []struct {
		name           string
		offered, prefs []string
		want           string
		ok             bool
	}{
		{"strongest by default", []string{"auth", "auth-int", "auth-conf"}, nil, "auth-conf", true},
		{"client preference", []string{"auth", "auth-conf"}, []string{"auth", "auth-conf"}, "auth", true},
		{"none common", []string{"auth-conf"}, []string{"auth"}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseQOP(tc.offered, tc.prefs)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("chooseQOP = %q, %v", got, err)
			}
		})
	}
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{[]string{"rc4-40", "rc4-56", "rc4", "des", "3des"}, "3des"},
		{[]string{"rc4-40", "rc4", "des"}, "rc4"},
		{[]string{"rc4-40", "des"}, "des"},
		{[]string{"RC4-40"}, "rc4-40"},
	} {
		if got, err := chooseCipher(tc.offered); err != nil || got != tc.want {
			t.Fatalf("chooseCipher(%v) = %q, %v", tc.offered, got, err)
		}
	}
	if _, err := chooseCipher([]string{"aes"}); err == nil {
		t.Fatal("unknown cipher accepted")
	}
}
