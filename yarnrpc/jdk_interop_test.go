package yarnrpc

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestJDKDigestMD5Interop runs the JDK's own DIGEST-MD5 SaslServer (the
// one Hadoop's RPC server uses) against our client and security layers,
// for every QOP and cipher: the JDK checks our response, we check its
// rspauth, then buffers are wrapped by us and unwrapped by the JDK and
// back. Skipped when no JDK is installed.
func TestJDKDigestMD5Interop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM per case")
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac not found")
	}
	dir := t.TempDir()
	if out, err := exec.Command(javac, "-d", dir, "testdata/jdk/SaslPeer.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	cases := []struct{ qop, cipher string }{
		{QOPAuth, ""}, {QOPAuthInt, ""},
		{QOPAuthConf, "3des"}, {QOPAuthConf, "rc4"}, {QOPAuthConf, "des"}, {QOPAuthConf, "rc4-56"}, {QOPAuthConf, "rc4-40"},
	}
	for _, tc := range cases {
		t.Run(tc.qop+"/"+tc.cipher, func(t *testing.T) {
			jdkDigestSession(t, dir, tc.qop, tc.cipher)
		})
	}
}

var cipherDirective = regexp.MustCompile(`cipher="[^"]*"`)

func jdkDigestSession(t *testing.T, classDir, qop, cipher string) {
	tok := Token{Identifier: []byte("appattempt_1700000000000_0001_000001"), Password: []byte{0, 1, 2, 250, 251, 252, 99}}
	cmd := exec.Command("java", "-cp", classDir, "SaslPeer", qop, base64.StdEncoding.EncodeToString(tok.Password))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close() // EOF for the JVM; Wait reports how it ended
		if err := cmd.Wait(); err != nil {
			t.Errorf("java: %v\n%s", err, stderr.String())
		}
	}()
	r := bufio.NewReader(stdout)
	readHex := func() []byte {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read from java: %v\n%s", err, stderr.String())
		}
		b, err := hex.DecodeString(strings.TrimSpace(line))
		if err != nil {
			t.Fatalf("bad hex %q", line)
		}
		return b
	}
	readLine := func() string {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read from java: %v", err)
		}
		return strings.TrimSpace(line)
	}
	challenge := readHex()
	t.Logf("JDK challenge: %s", challenge)
	if cipher != "" { // steer the choice to the cipher under test
		if !strings.Contains(string(challenge), cipher) {
			t.Skipf("JDK does not offer %s: %s", cipher, challenge)
		}
		challenge = cipherDirective.ReplaceAll(challenge, []byte(`cipher="`+cipher+`"`))
	}
	d := newDigestClient(tok, "", "default", []string{qop})
	resp, err := d.step(challenge)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(stdin, "%x\n", resp)
	final := readHex()
	if err := d.finish(final); err != nil {
		t.Fatalf("rspauth from JDK: %v (%s)", err, final)
	}
	if got := readLine(); got != qop {
		t.Fatalf("JDK negotiated qop %s", got)
	}
	_ = readLine() // the JDK does not expose the negotiated cipher

	layer, err := d.layer()
	if err != nil {
		t.Fatal(err)
	}
	if qop == QOPAuth {
		if layer != nil {
			t.Fatal("layer for auth")
		}
		return
	}
	// (The JDK wraps an empty buffer into an empty buffer; Hadoop never
	// wraps empty buffers, so they are not exercised.)
	for i, msg := range [][]byte{[]byte("hello"), bytes.Repeat([]byte("frame"), 999), {0}, []byte("1234567")} {
		w, err := layer.wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(stdin, "%x\n", w)
		back, err := layer.unwrap(readHex())
		if err != nil {
			t.Fatalf("message %d: unwrap JDK's buffer: %v", i, err)
		}
		if !bytes.Equal(back, msg) {
			t.Fatalf("message %d: JDK round trip changed the payload", i)
		}
	}
	_, _ = io.WriteString(stdin, "\n")
}

// TestJDKGSSAPIInterop runs the JDK's GSSAPI SaslServer, logged in from a
// keytab as Hadoop's RPC server is, against our Kerberos client: the JDK
// accepts our AP-REQ, negotiates the security layer and exchanges wrap
// tokens (integrity and privacy) with us. Service tickets are minted
// locally from the same keytab (no KDC).
func TestJDKGSSAPIInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM per case")
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac not found")
	}
	dir := t.TempDir()
	if out, err := exec.Command(javac, "-d", dir, "testdata/jdk/GssPeer.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	ktPath := filepath.Join(dir, "rm.keytab")
	ktBytes, err := testServiceKeytab(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ktPath, ktBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, qop := range []string{QOPAuth, QOPAuthInt, QOPAuthConf} {
		t.Run(qop, func(t *testing.T) {
			jdkGSSSession(t, dir, ktPath, qop)
		})
	}
}

func jdkGSSSession(t *testing.T, classDir, ktPath, qop string) {
	cmd := exec.Command("java", "-cp", classDir, "GssPeer", ktPath, "rm/"+testSvcHost+"@"+testRealm, qop)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close() // EOF for the JVM; Wait reports how it ended
		if err := cmd.Wait(); err != nil {
			t.Errorf("java: %v\n%s", err, stderr.String())
		}
	}()
	r := bufio.NewReader(stdout)
	readLine := func() string {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read from java: %v\n%s", err, stderr.String())
		}
		return strings.TrimSpace(line)
	}
	k := testKerberos(t)
	k.HostName = testSvcHost
	g, err := newGSSAPIClient(k, gssAdvertised{"rm", testSvcHost}, "127.0.0.1:1", []string{qop})
	if err != nil {
		t.Fatal(err)
	}
	var challenge []byte
	for round := 0; ; round++ {
		if round > 5 {
			t.Fatal("no completion after 5 rounds")
		}
		tok, err := g.step(challenge)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		fmt.Fprintf(stdin, "%x\n", tok)
		kind, hx, _ := strings.Cut(readLine(), " ")
		if challenge, err = hex.DecodeString(hx); err != nil {
			t.Fatalf("bad hex %q", hx)
		}
		if kind == "S" {
			break
		}
	}
	if err := g.finish(challenge); err != nil {
		t.Fatal(err)
	}
	if id := readLine(); id != "alice@"+testRealm {
		t.Fatalf("JDK authenticated %q", id)
	}
	if got := readLine(); got != qop {
		t.Fatalf("JDK negotiated %s", got)
	}
	layer, err := g.layer()
	if err != nil {
		t.Fatal(err)
	}
	if qop == QOPAuth {
		if layer != nil {
			t.Fatal("layer for auth")
		}
		return
	}
	for i, msg := range [][]byte{[]byte("hello"), bytes.Repeat([]byte("frame"), 999), {0}} {
		w, err := layer.wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(stdin, "%x\n", w)
		back, err := hex.DecodeString(readLine())
		if err != nil {
			t.Fatal(err)
		}
		got, err := layer.unwrap(back)
		if err != nil {
			t.Fatalf("message %d: unwrap JDK's token: %v", i, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("message %d: JDK round trip changed the payload", i)
		}
	}
	_, _ = io.WriteString(stdin, "\n")
}

// gssAdvertised stands in for the KERBEROS SaslAuth a server advertises.
type gssAdvertised struct{ protocol, serverID string }

func (a gssAdvertised) GetProtocol() string { return a.protocol }

// GetServerId keeps protoc's spelling: it satisfies the interface the
// generated SaslAuth getter does.
func (a gssAdvertised) GetServerId() string { return a.serverID } //nolint:revive // protoc's getter name
