package yarnrpc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// TokenConn authenticates nc, a fresh TCP connection to a Hadoop IPC
// server, with SASL DIGEST-MD5 and a delegation token, and returns a
// connection on which another IPC client (colinmarc's NameNode client,
// which knows only SIMPLE and Kerberos) carries on as if it were SIMPLE:
//
//   - the 7-byte preamble that client writes is dropped (the SASL one was
//     sent here);
//   - when the server chose integrity or privacy (qop, see
//     QOPFromProtection), every frame it writes is wrapped in SASL WRAP
//     packets and every frame it reads is unwrapped.
//
// The handshake is bounded by timeout. The caller's connection context
// names the token's owner (TokenOwner) or no user.
func TokenConn(nc net.Conn, tok Token, qop []string, timeout time.Duration) (net.Conn, error) {
	_ = nc.SetDeadline(time.Now().Add(timeout))
	defer func() { _ = nc.SetDeadline(time.Time{}) }()
	if _, err := nc.Write(preamble(authProtocolSASL)); err != nil {
		return nil, fmt.Errorf("token auth: write preamble: %w", err)
	}
	br := bufio.NewReader(nc)
	res, err := saslConnect(nc, br, AuthToken, func(auth *pb.RpcSaslProto_SaslAuth) (saslMech, error) {
		return newDigestClient(tok, auth.GetProtocol(), auth.GetServerId(), qop), nil
	})
	if err != nil {
		if strings.Contains(err.Error(), "InvalidToken") && strings.Contains(err.Error(), "expired") {
			return nil, fmt.Errorf("token auth (%s): %w (the delegation token reached the end of its lifetime; "+
				"with a keytab shipped by security.kerberos.login.keytab, Floe logs in itself and outlives the tokens)", tok.Kind, err)
		}
		return nil, fmt.Errorf("token auth (%s): %w", tok.Kind, err)
	}
	tc := &tokenConn{Conn: nc, br: br, layer: res.layer, skip: len(preamble(authProtocolNone))}
	if res.layer != nil {
		tc.src = &wrappedReader{r: br, layer: res.layer}
	}
	return tc, nil
}

type tokenConn struct {
	net.Conn
	br    *bufio.Reader
	layer securityLayer
	src   *wrappedReader // nil without a layer

	wmu  sync.Mutex
	skip int    // preamble bytes still to drop
	wbuf []byte // a partly written frame (layer only)

	rmu  sync.Mutex
	rbuf []byte // unwrapped bytes not yet read
}

func (c *tokenConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n := len(p)
	if c.skip > 0 {
		k := min(c.skip, len(p))
		c.skip -= k
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if c.layer == nil {
		if _, err := c.Conn.Write(p); err != nil {
			return 0, err
		}
		return n, nil
	}
	c.wbuf = append(c.wbuf, p...)
	for len(c.wbuf) >= 4 {
		size := int(binary.BigEndian.Uint32(c.wbuf))
		if size < 0 || size > maxResponseLength {
			return 0, fmt.Errorf("token conn: implausible frame length %d", size)
		}
		if len(c.wbuf) < 4+size {
			break
		}
		w, err := wrapFrames(c.layer, c.wbuf[:4+size])
		if err != nil {
			return 0, err
		}
		if _, err := c.Conn.Write(w); err != nil {
			return 0, err
		}
		c.wbuf = append(c.wbuf[:0], c.wbuf[4+size:]...)
	}
	return n, nil
}

func (c *tokenConn) Read(p []byte) (int, error) {
	if c.src == nil {
		return c.br.Read(p)
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(c.rbuf) == 0 {
		f, err := c.src.next()
		if err != nil {
			return 0, err
		}
		c.rbuf = binary.BigEndian.AppendUint32(c.rbuf[:0], uint32(len(f)))
		c.rbuf = append(c.rbuf, f...)
	}
	n := copy(p, c.rbuf)
	c.rbuf = c.rbuf[n:]
	return n, nil
}

// TokenOwner returns the owner in a delegation token's identifier (HDFS and
// RM delegation tokens: byte version, Text owner, Text renewer, Text real
// user, ...), e.g. "floe@EXAMPLE.COM".
func TokenOwner(t Token) (string, error) {
	if len(t.Identifier) < 2 {
		return "", errors.New("token identifier too short")
	}
	r := &writableReader{b: bytes.Clone(t.Identifier), off: 1}
	return r.text()
}
