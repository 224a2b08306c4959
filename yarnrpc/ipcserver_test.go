package yarnrpc

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"google.golang.org/protobuf/proto"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// ipcServer is an in-process Hadoop IPC server speaking the v9 framing,
// SIMPLE, SASL DIGEST-MD5 (with auth-int / auth-conf layers) and SASL
// GSSAPI. Behaviour is injected through function fields.
type ipcServer struct {
	t  *testing.T
	ln net.Listener

	// allowSimple accepts auth byte 0x00; tokens enables DIGEST-MD5 with
	// these identifier → password pairs; krb enables GSSAPI.
	allowSimple bool
	tokens      map[string][]byte
	qops        []string // offered QOP, default [auth]
	ciphers     []string // offered ciphers for auth-conf
	nonce       string
	krb         *ipcKerberos
	// stall makes the server stop reading after the connection context,
	// so client writes eventually block.
	stall bool

	// handle answers a call. It runs in its own goroutine, so responses
	// may go out in any order.
	handle func(sc *ipcServerConn, call *ipcServerCall)

	mu       sync.Mutex
	conns    []*ipcServerConn
	accepted atomic.Int32
	pings    atomic.Int32
	wg       sync.WaitGroup
	closed   chan struct{}
}

// ipcKerberos is the service side of GSSAPI.
type ipcKerberos struct {
	kt       *keytab.Keytab
	protocol string // e.g. "rm"
	host     string
	layers   byte // offered security layers
}

type ipcServerCall struct {
	id       int32
	method   string
	protocol string
	version  uint64
	header   *pb.RpcRequestHeaderProto
	body     []byte
}

type ipcServerConn struct {
	s      *ipcServer
	nc     net.Conn
	wmu    sync.Mutex
	layer  securityLayer
	user   string // authenticated or claimed user
	qop    string
	cipher string

	mu      sync.Mutex
	context *pb.IpcConnectionContextProto
	calls   []*ipcServerCall
	closed  chan struct{}
}

func newIPCServer(t *testing.T, configure func(s *ipcServer)) *ipcServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ipcServer{t: t, ln: ln, allowSimple: true, nonce: "s3rv3rN0nce+/=", closed: make(chan struct{})}
	s.handle = func(sc *ipcServerConn, call *ipcServerCall) {
		sc.reply(call.id, &pb.TokenProto{Identifier: call.body, Password: []byte{}, Kind: proto.String(call.method), Service: proto.String("")})
	}
	if configure != nil {
		configure(s)
	}
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.close)
	return s
}

func (s *ipcServer) addr() string { return s.ln.Addr().String() }

func (s *ipcServer) close() {
	select {
	case <-s.closed:
		return
	default:
	}
	close(s.closed)
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		_ = c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *ipcServer) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		sc := &ipcServerConn{s: s, nc: nc, closed: make(chan struct{})}
		s.mu.Lock()
		s.conns = append(s.conns, sc)
		s.mu.Unlock()
		s.accepted.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(sc.closed)
			defer nc.Close()
			if err := sc.serve(); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.t.Logf("fake server conn: %v", err)
			}
		}()
	}
}

// conn returns the i-th accepted connection.
func (s *ipcServer) conn(i int) *ipcServerConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.conns) {
		return nil
	}
	return s.conns[i]
}

func (sc *ipcServerConn) serve() error {
	br := bufio.NewReader(sc.nc)
	pre := make([]byte, 7)
	if _, err := io.ReadFull(br, pre); err != nil {
		return err
	}
	if string(pre[:4]) != "hrpc" || pre[4] != 9 {
		return sc.fatal(callIDAuthFailed, "org.apache.hadoop.ipc.RPC$VersionMismatch", "bad preamble")
	}
	switch pre[6] {
	case authProtocolNone:
		if !sc.s.allowSimple {
			return sc.fatal(callIDAuthFailed, "org.apache.hadoop.security.AccessControlException", "SIMPLE authentication is not enabled.  Available:[TOKEN]")
		}
	case authProtocolSASL:
		if err := sc.saslServer(br); err != nil {
			return err
		}
	default:
		return sc.fatal(callIDAuthFailed, "org.apache.hadoop.ipc.IpcException", "Unknown auth protocol")
	}
	var src frameSource = plainReader{br}
	if sc.layer != nil {
		src = &ipcServerUnwrapper{r: br, layer: sc.layer}
	}
	for {
		f, err := src.next()
		if err != nil {
			return err
		}
		hb, rest, err := splitDelimited(f)
		if err != nil {
			return err
		}
		h := &pb.RpcRequestHeaderProto{}
		if err := proto.Unmarshal(hb, h); err != nil {
			return err
		}
		if h.GetRpcKind() != pb.RpcKindProto_RPC_PROTOCOL_BUFFER || h.RpcOp == nil || h.ClientId == nil {
			return sc.fatal(h.GetCallId(), "org.apache.hadoop.ipc.IpcException", "invalid rpc header")
		}
		switch id := h.GetCallId(); {
		case id == callIDContext:
			b, _, err := splitDelimited(rest)
			if err != nil {
				return err
			}
			ctx := &pb.IpcConnectionContextProto{}
			if err := proto.Unmarshal(b, ctx); err != nil {
				return err
			}
			sc.mu.Lock()
			sc.context = ctx
			sc.mu.Unlock()
			if sc.s.stall {
				<-sc.s.closed
				return nil
			}
		case id == callIDPing:
			sc.s.pings.Add(1)
		case id >= 0:
			sc.mu.Lock()
			hasCtx := sc.context != nil
			sc.mu.Unlock()
			if !hasCtx {
				return sc.fatal(id, "org.apache.hadoop.ipc.IpcException", "Connection context not established")
			}
			rhb, rest, err := splitDelimited(rest)
			if err != nil {
				return err
			}
			rh := &pb.RequestHeaderProto{}
			if err := proto.Unmarshal(rhb, rh); err != nil {
				return err
			}
			body, _, err := splitDelimited(rest)
			if err != nil {
				return err
			}
			call := &ipcServerCall{id: id, method: rh.GetMethodName(), protocol: rh.GetDeclaringClassProtocolName(), version: rh.GetClientProtocolVersion(), header: h, body: body}
			sc.mu.Lock()
			sc.calls = append(sc.calls, call)
			sc.mu.Unlock()
			go sc.s.handle(sc, call)
		default:
			return sc.fatal(id, "org.apache.hadoop.ipc.IpcException", fmt.Sprintf("Unknown out of band call #%d", id))
		}
	}
}

func (sc *ipcServerConn) connContext() *pb.IpcConnectionContextProto {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.context
}

// send writes a response frame, wrapped when a layer is active.
func (sc *ipcServerConn) send(h *pb.RpcResponseHeaderProto, body proto.Message) error {
	f, err := appendFrame(nil, h, body)
	if err != nil {
		return err
	}
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	if sc.layer != nil {
		tok, err := sc.layer.wrap(f)
		if err != nil {
			return err
		}
		if f, err = appendFrame(nil, &pb.RpcResponseHeaderProto{CallId: proto.Uint32(uint32(0xFFFFFFDF)), Status: pb.RpcResponseHeaderProto_SUCCESS.Enum()},
			&pb.RpcSaslProto{State: pb.RpcSaslProto_WRAP.Enum(), Token: tok}); err != nil {
			return err
		}
	}
	_, err = sc.nc.Write(f)
	return err
}

func ipcOKHeader(id int32) *pb.RpcResponseHeaderProto {
	return &pb.RpcResponseHeaderProto{CallId: proto.Uint32(uint32(id)), Status: pb.RpcResponseHeaderProto_SUCCESS.Enum(), ServerIpcVersionNum: proto.Uint32(9)}
}

func (sc *ipcServerConn) reply(id int32, m proto.Message) {
	_ = sc.send(ipcOKHeader(id), m)
}

func (sc *ipcServerConn) replyError(id int32, class, msg string) {
	_ = sc.send(&pb.RpcResponseHeaderProto{CallId: proto.Uint32(uint32(id)), Status: pb.RpcResponseHeaderProto_ERROR.Enum(),
		ExceptionClassName: proto.String(class), ErrorMsg: proto.String(msg), ErrorDetail: pb.RpcResponseHeaderProto_ERROR_APPLICATION.Enum()}, nil)
}

// fatal sends a FATAL response and reports that the connection must close.
func (sc *ipcServerConn) fatal(id int32, class, msg string) error {
	_ = sc.send(&pb.RpcResponseHeaderProto{CallId: proto.Uint32(uint32(id)), Status: pb.RpcResponseHeaderProto_FATAL.Enum(),
		ExceptionClassName: proto.String(class), ErrorMsg: proto.String(msg), ErrorDetail: pb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED.Enum()}, nil)
	return fmt.Errorf("fatal: %s: %s", class, msg)
}

func (sc *ipcServerConn) sendSASL(m *pb.RpcSaslProto) error {
	return sc.send(ipcOKHeader(callIDSASL), m)
}

func ipcReadClientSASL(r io.Reader) (*pb.RpcSaslProto, error) {
	f, err := readFrame(r, maxResponseLength)
	if err != nil {
		return nil, err
	}
	hb, rest, err := splitDelimited(f)
	if err != nil {
		return nil, err
	}
	h := &pb.RpcRequestHeaderProto{}
	if err := proto.Unmarshal(hb, h); err != nil {
		return nil, err
	}
	if h.GetCallId() != callIDSASL || h.ClientId == nil || len(h.ClientId) != 0 {
		return nil, fmt.Errorf("sasl packet with call id %d, client id %x", h.GetCallId(), h.ClientId)
	}
	b, _, err := splitDelimited(rest)
	if err != nil {
		return nil, err
	}
	m := &pb.RpcSaslProto{}
	return m, proto.Unmarshal(b, m)
}

func (s *ipcServer) advertised() []*pb.RpcSaslProto_SaslAuth {
	var auths []*pb.RpcSaslProto_SaslAuth
	if s.tokens != nil {
		auths = append(auths, &pb.RpcSaslProto_SaslAuth{Method: proto.String("TOKEN"), Mechanism: proto.String("DIGEST-MD5"), Protocol: proto.String(""), ServerId: proto.String("default")})
	}
	if s.krb != nil {
		auths = append(auths, &pb.RpcSaslProto_SaslAuth{Method: proto.String("KERBEROS"), Mechanism: proto.String("GSSAPI"), Protocol: proto.String(s.krb.protocol), ServerId: proto.String(s.krb.host)})
	}
	if s.allowSimple {
		auths = append(auths, &pb.RpcSaslProto_SaslAuth{Method: proto.String("SIMPLE"), Mechanism: proto.String("")})
	}
	return auths
}

func (s *ipcServer) challenge() string {
	qops := s.qops
	if len(qops) == 0 {
		qops = []string{QOPAuth}
	}
	c := fmt.Sprintf(`realm="default",nonce="%s",qop="%s",charset=utf-8`, s.nonce, strings.Join(qops, ","))
	if len(s.ciphers) > 0 {
		c += fmt.Sprintf(`,cipher="%s"`, strings.Join(s.ciphers, ","))
	}
	return c + ",algorithm=md5-sess"
}

const ipcClassInvalidToken = "org.apache.hadoop.security.token.SecretManager$InvalidToken"

// saslServer runs the server side of the negotiation (Server.saslProcess).
func (sc *ipcServerConn) saslServer(br *bufio.Reader) error {
	s := sc.s
	m, err := ipcReadClientSASL(br)
	if err != nil {
		return err
	}
	if m.GetState() != pb.RpcSaslProto_NEGOTIATE {
		return sc.fatal(callIDSASL, "org.apache.hadoop.security.AccessControlException", "expected NEGOTIATE")
	}
	auths := s.advertised()
	withChallenge := make([]*pb.RpcSaslProto_SaslAuth, len(auths))
	for i, a := range auths {
		withChallenge[i] = proto.Clone(a).(*pb.RpcSaslProto_SaslAuth)
		if a.GetMethod() == "TOKEN" {
			withChallenge[i].Challenge = []byte(s.challenge())
		}
	}
	if err := sc.sendSASL(&pb.RpcSaslProto{State: pb.RpcSaslProto_NEGOTIATE.Enum(), Auths: withChallenge}); err != nil {
		return err
	}
	m, err = ipcReadClientSASL(br)
	if err != nil {
		return err
	}
	if m.GetState() != pb.RpcSaslProto_INITIATE || len(m.GetAuths()) != 1 {
		return sc.fatal(callIDSASL, "org.apache.hadoop.security.AccessControlException", "bad INITIATE")
	}
	chosen := m.GetAuths()[0]
	match := false
	for _, a := range auths { // protobuf equality, as the Java server checks
		if proto.Equal(a, chosen) {
			match = true
		}
	}
	if !match {
		return sc.fatal(callIDSASL, "org.apache.hadoop.security.AccessControlException", chosen.GetMethod()+" authentication is not enabled.  Available:[TOKEN]")
	}
	switch chosen.GetMethod() {
	case "SIMPLE":
		return nil
	case "TOKEN":
		return sc.digestServer(br, m.GetToken())
	case "KERBEROS":
		return sc.gssapiServer(br, m.GetToken())
	}
	return sc.fatal(callIDSASL, "javax.security.sasl.SaslException", "unsupported")
}

func (sc *ipcServerConn) digestServer(br *bufio.Reader, resp []byte) error {
	s := sc.s
	if len(resp) == 0 { // the client ignored the pre-computed challenge
		if err := sc.sendSASL(&pb.RpcSaslProto{State: pb.RpcSaslProto_CHALLENGE.Enum(), Token: []byte(s.challenge())}); err != nil {
			return err
		}
		m, err := ipcReadClientSASL(br)
		if err != nil {
			return err
		}
		resp = m.GetToken()
	}
	kvs, err := parseDigestKV(resp)
	if err != nil {
		return sc.fatal(callIDSASL, "javax.security.sasl.SaslException", err.Error())
	}
	v := map[string]string{}
	for _, kv := range kvs {
		v[kv[0]] = kv[1]
	}
	id, err := base64.StdEncoding.DecodeString(v["username"])
	if err != nil {
		return sc.fatal(callIDSASL, ipcClassInvalidToken, "bad username")
	}
	pw, ok := s.tokens[string(id)]
	if !ok {
		return sc.fatal(callIDSASL, ipcClassInvalidToken, "token not found in secret manager.")
	}
	if v["nonce"] != s.nonce || v["digest-uri"] != "/default" || v["nc"] != digestNC || v["realm"] != "default" {
		return sc.fatal(callIDSASL, "javax.security.sasl.SaslException", "bad digest-response "+string(resp))
	}
	offered := s.qops
	if len(offered) == 0 {
		offered = []string{QOPAuth}
	}
	if !slices.Contains(offered, v["qop"]) {
		return sc.fatal(callIDSASL, "javax.security.sasl.SaslException", "qop not offered")
	}
	sess := &digestSession{username: v["username"], password: base64.StdEncoding.EncodeToString(pw), realm: v["realm"],
		nonce: v["nonce"], cnonce: v["cnonce"], digestURI: v["digest-uri"], qop: v["qop"], cipher: v["cipher"], maxBuf: digestMaxBuf}
	if sess.digest("AUTHENTICATE") != v["response"] {
		return sc.fatal(callIDSASL, ipcClassInvalidToken, "Invalid AMRMToken from appattempt_1_0001_000001")
	}
	sc.user, sc.qop, sc.cipher = string(id), sess.qop, sess.cipher
	if err := sc.sendSASL(&pb.RpcSaslProto{State: pb.RpcSaslProto_SUCCESS.Enum(), Token: []byte("rspauth=" + sess.digest(""))}); err != nil {
		return err
	}
	if sess.qop != QOPAuth { // wrapping starts after the (plain) SUCCESS
		if sc.layer, err = newDigestLayer(sess, false); err != nil {
			return err
		}
	}
	return nil
}

func (sc *ipcServerConn) gssapiServer(br *bufio.Reader, initial []byte) error {
	k := sc.s.krb
	var tok spnego.KRB5Token
	if err := tok.Unmarshal(initial); err != nil || !tok.IsAPReq() {
		return sc.fatal(callIDSASL, "javax.security.sasl.SaslException", fmt.Sprintf("not an AP-REQ: %v", err))
	}
	ok, creds, err := service.VerifyAPREQ(&tok.APReq, service.NewSettings(k.kt, service.MaxClockSkew(time.Minute)))
	if !ok || err != nil {
		return sc.fatal(callIDSASL, "javax.security.sasl.SaslException", fmt.Sprintf("AP-REQ rejected: %v", err))
	}
	seq := uint64(tok.APReq.Authenticator.SeqNumber)
	l := &gssLayer{key: tok.APReq.Ticket.DecryptedEncPart.Key, sendSeq: seq, recvSeq: seq}
	offerTok, err := l.wrapToken([]byte{k.layers, 0x01, 0x00, 0x00}, false)
	if err != nil {
		return err
	}
	if err := sc.sendSASL(&pb.RpcSaslProto{State: pb.RpcSaslProto_CHALLENGE.Enum(), Token: offerTok}); err != nil {
		return err
	}
	m, err := ipcReadClientSASL(br)
	if err != nil {
		return err
	}
	choice, err := l.unwrap(m.GetToken())
	if err != nil || len(choice) < 4 || choice[0]&k.layers == 0 {
		return sc.fatal(callIDSASL, "javax.security.sasl.SaslException", fmt.Sprintf("bad layer choice %x: %v", choice, err))
	}
	sc.user = creds.CName().PrincipalNameString() + "@" + creds.Realm()
	switch choice[0] {
	case gssLayerIntegrity:
		sc.qop = QOPAuthInt
	case gssLayerPrivacy:
		sc.qop = QOPAuthConf
	default:
		sc.qop = QOPAuth
	}
	if err := sc.sendSASL(&pb.RpcSaslProto{State: pb.RpcSaslProto_SUCCESS.Enum()}); err != nil {
		return err
	}
	if sc.qop != QOPAuth {
		l.conf = sc.qop == QOPAuthConf
		l.peerMax = 1 << 16
		sc.layer = l
	}
	return nil
}

// ipcServerUnwrapper reassembles client frames from SASL WRAP packets.
type ipcServerUnwrapper struct {
	r     io.Reader
	layer securityLayer
	buf   []byte
}

func (u *ipcServerUnwrapper) next() ([]byte, error) {
	for {
		if len(u.buf) >= 4 {
			n := int(binary.BigEndian.Uint32(u.buf))
			if len(u.buf) >= 4+n {
				f := u.buf[4 : 4+n]
				u.buf = u.buf[4+n:]
				return f, nil
			}
		}
		m, err := ipcReadClientSASL(u.r)
		if err != nil {
			return nil, err
		}
		if m.GetState() != pb.RpcSaslProto_WRAP {
			return nil, fmt.Errorf("client sent non-wrapped packet %s", m.GetState())
		}
		p, err := u.layer.unwrap(m.GetToken())
		if err != nil {
			return nil, err
		}
		u.buf = append(u.buf, p...)
	}
}
