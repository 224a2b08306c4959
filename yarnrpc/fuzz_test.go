package yarnrpc

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// Fuzz targets: response framing, SASL messages, the DIGEST-MD5 challenge
// parser (with the security-layer unwrap) and the token-file reader. The
// committed seed corpus lives in testdata/fuzz/<target>/; run them with
// scripts/fuzz.sh.

func fuzzSeedFrames() [][]byte {
	var seeds [][]byte
	ok, _ := appendFrame(nil, ipcOKHeader(1), &pb.TokenProto{Identifier: []byte{1}, Password: []byte{}, Kind: proto.String("k"), Service: proto.String("")})
	seeds = append(seeds, ok)
	errf, _ := appendFrame(nil, &pb.RpcResponseHeaderProto{CallId: proto.Uint32(2), Status: pb.RpcResponseHeaderProto_ERROR.Enum(),
		ExceptionClassName: proto.String("org.apache.hadoop.ipc.StandbyException"), ErrorMsg: proto.String("standby")})
	seeds = append(seeds, errf)
	fatal, _ := appendFrame(nil, &pb.RpcResponseHeaderProto{CallId: proto.Uint32(0xFFFFFFFF), Status: pb.RpcResponseHeaderProto_FATAL.Enum(),
		ErrorDetail: pb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED.Enum()})
	seeds = append(seeds, fatal, append(append([]byte{}, ok...), errf...), []byte{0, 0, 0, 1, 0}, []byte{0xFF, 0xFF, 0xFF, 0xFF})
	return seeds
}

func FuzzResponseFrame(f *testing.F) {
	for _, s := range fuzzSeedFrames() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := plainReader{r: bytes.NewReader(data)}
		for i := 0; i < 64; i++ {
			fr, err := src.next()
			if err != nil {
				return
			}
			r, err := parseResponse(fr)
			if err != nil {
				continue
			}
			_ = r.callID()
			if re := r.remoteError(); re != nil {
				_ = re.Error()
			}
		}
	})
}

func fuzzSeedSASL() [][]byte {
	neg, _ := appendFrame(nil, ipcOKHeader(callIDSASL), &pb.RpcSaslProto{State: pb.RpcSaslProto_NEGOTIATE.Enum(), Auths: []*pb.RpcSaslProto_SaslAuth{{
		Method: proto.String("TOKEN"), Mechanism: proto.String("DIGEST-MD5"), Protocol: proto.String(""), ServerId: proto.String("default"),
		Challenge: []byte(`realm="default",nonce="abc",qop="auth,auth-int,auth-conf",cipher="3des,rc4",charset=utf-8,algorithm=md5-sess`)}}})
	succ, _ := appendFrame(nil, ipcOKHeader(callIDSASL), &pb.RpcSaslProto{State: pb.RpcSaslProto_SUCCESS.Enum(), Token: []byte("rspauth=00")})
	chal, _ := appendFrame(nil, ipcOKHeader(callIDSASL), &pb.RpcSaslProto{State: pb.RpcSaslProto_CHALLENGE.Enum(), Token: []byte(`nonce="x",algorithm=md5-sess`)})
	wrap, _ := appendFrame(nil, ipcOKHeader(callIDSASL), &pb.RpcSaslProto{State: pb.RpcSaslProto_WRAP.Enum(), Token: []byte{1, 2, 3}})
	return [][]byte{append(append([]byte{}, neg...), succ...), succ, append(append([]byte{}, neg...), chal...), wrap}
}

func FuzzSASLMessage(f *testing.F) {
	for _, s := range fuzzSeedSASL() {
		f.Add(s)
	}
	tok := Token{Identifier: []byte("id"), Password: []byte("pw")}
	f.Fuzz(func(t *testing.T, data []byte) {
		if fr, err := readFrame(bytes.NewReader(data), maxResponseLength); err == nil {
			_, _ = parseSASLResponse(fr)
		}
		newMech := func(a *pb.RpcSaslProto_SaslAuth) (saslMech, error) {
			return newDigestClient(tok, a.GetProtocol(), a.GetServerId(), nil), nil
		}
		res, err := saslConnect(io.Discard, bufio.NewReader(bytes.NewReader(data)), AuthToken, newMech)
		if err == nil && res.layer != nil {
			w := &wrappedReader{r: bytes.NewReader(data), layer: res.layer}
			_, _ = w.next()
		}
	})
}

func FuzzDigestChallenge(f *testing.F) {
	for _, s := range []string{
		`realm="default",nonce="OA6MG9tEQGm2hh",qop="auth",charset=utf-8,algorithm=md5-sess`,
		`realm="default",nonce="n",qop="auth,auth-int,auth-conf",cipher="rc4-40,rc4-56,rc4,des,3des",maxbuf=1024,charset=utf-8,algorithm=md5-sess`,
		` realm = "a\"b" ,, nonce="n",stale=true,algorithm=md5-sess,`,
		`rspauth=ea40f60335c427b5527b84dbabcdfffd`,
		`nonce="unterminated`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := parseDigestChallenge(data); err == nil && c.Nonce == "" {
			t.Fatal("accepted a challenge without nonce")
		}
		d := newDigestClient(Token{Identifier: []byte("id"), Password: []byte("pw")}, "", "default", nil)
		if _, err := d.step(data); err == nil {
			_ = d.finish(data)
		}
		// The security layers must reject, never panic on, arbitrary input.
		for _, c := range []struct{ qop, cipher string }{{QOPAuthInt, ""}, {QOPAuthConf, "3des"}, {QOPAuthConf, "des"}, {QOPAuthConf, "rc4"}} {
			l, err := newDigestLayer(&digestSession{username: "u", nonce: "n", cnonce: "c", qop: c.qop, cipher: c.cipher}, true)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = l.unwrap(data)
		}
	})
}

func FuzzCredentials(f *testing.F) {
	f.Add(handMadeHDTS())
	c := &Credentials{}
	c.AddToken("a", Token{Identifier: bytes.Repeat([]byte{1}, 200), Password: []byte{2}, Kind: KindNMToken, Service: "h:1"})
	c.SetSecret("s", []byte("v"))
	f.Add(c.Marshal())
	if p, err := c.MarshalProtobuf(); err == nil {
		f.Add(p)
	}
	f.Add([]byte("HDTS\x00\x8c\x7f\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadCredentials(bytes.NewReader(data))
		if err != nil {
			return
		}
		m := got.Marshal()
		again, err := ReadCredentials(bytes.NewReader(m))
		if err != nil {
			t.Fatalf("re-read of our own output: %v", err)
		}
		if !bytes.Equal(again.Marshal(), m) {
			t.Fatal("marshal is not stable")
		}
	})
}

// TestWriteFuzzSeeds refreshes the committed seed corpus
// (FLOE_UPDATE_GOLDEN=1); otherwise it checks the corpus exists.
func TestWriteFuzzSeeds(t *testing.T) {
	cred := &Credentials{}
	cred.AddToken("", Token{Identifier: []byte{1}, Password: []byte{2}, Kind: KindAMRMToken})
	cred.SetSecret("floe.application.secret", []byte("x"))
	credPB, _ := cred.MarshalProtobuf()
	seeds := map[string][][]byte{
		"FuzzResponseFrame": fuzzSeedFrames(),
		"FuzzSASLMessage":   fuzzSeedSASL(),
		"FuzzDigestChallenge": {
			[]byte(`realm="default",nonce="abc",qop="auth",charset=utf-8,algorithm=md5-sess`),
			[]byte(`realm="default",nonce="abc",qop="auth-conf",cipher="3des,rc4",charset=utf-8,algorithm=md5-sess`),
		},
		"FuzzCredentials": {handMadeHDTS(), cred.Marshal(), credPB},
	}
	for target, list := range seeds {
		dir := filepath.Join("testdata", "fuzz", target)
		if os.Getenv("FLOE_UPDATE_GOLDEN") == "1" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, s := range list {
				body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) == 0 {
			t.Fatalf("seed corpus %s missing (FLOE_UPDATE_GOLDEN=1 writes it): %v", dir, err)
		}
	}
}
