package am

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// TestFreshTokens: with a shipped keytab the AM gives each TaskManager a
// fresh HDFS delegation token under the alias of the submission's (the
// NodeManager localizes with it), obtains one per minute of launches, and
// keeps the submission's token when the NameNode or the KDC fails.
func TestFreshTokens(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	calls := 0
	var fail error
	f := &freshTokens{log: zerolog.Nop(), reuse: time.Minute, now: func() time.Time { return now },
		get: func(context.Context) (yarnrpc.Token, error) {
			if fail != nil {
				return yarnrpc.Token{}, fail
			}
			calls++
			return yarnrpc.Token{Kind: yarnrpc.KindHDFSDelegate, Service: "127.0.0.1:9000", Password: []byte{byte(calls)}}, nil
		}}
	launch := func() []byte {
		var c yarnrpc.Credentials
		c.AddToken("127.0.0.1:9000", yarnrpc.Token{Kind: yarnrpc.KindHDFSDelegate, Service: "127.0.0.1:9000", Password: []byte("submission")})
		f.add(context.Background(), &c)
		if len(c.TokenAliases()) != 1 {
			t.Fatalf("aliases %v, want the one HDFS token", c.TokenAliases())
		}
		tok, _ := c.Token("127.0.0.1:9000")
		return tok.Password
	}
	if p := launch(); string(p) != "\x01" || calls != 1 {
		t.Fatalf("first launch: token %q after %d calls, want a fresh one", p, calls)
	}
	now = now.Add(30 * time.Second)
	if p := launch(); string(p) != "\x01" || calls != 1 {
		t.Fatalf("within the minute: token %q after %d calls, want the same one", p, calls)
	}
	now = now.Add(31 * time.Second)
	if p := launch(); string(p) != "\x02" || calls != 2 {
		t.Fatalf("after the minute: token %q after %d calls, want a new one", p, calls)
	}
	now = now.Add(2 * time.Minute)
	fail = errors.New("KDC unreachable")
	if p := launch(); string(p) != "\x02" {
		t.Fatalf("the NameNode failing: token %q, want the last fresh one kept", p)
	}
	var none *freshTokens // no keytab: the submission's token stays
	var c yarnrpc.Credentials
	c.AddToken("a", yarnrpc.Token{Password: []byte("submission")})
	none.add(context.Background(), &c)
	if tok, _ := c.Token("a"); string(tok.Password) != "submission" {
		t.Fatal("without a keytab the token changed")
	}
}
