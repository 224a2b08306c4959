package yarnrpc

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// SASL over Hadoop IPC (org.apache.hadoop.security.SaslRpcClient).
//
//	client                                   server
//	preamble (auth 0xDF)            ─►
//	SASL{NEGOTIATE}                 ─►
//	                                ◄─  SASL{NEGOTIATE, auths=[{TOKEN,DIGEST-MD5,"","default",challenge}, …]}
//	SASL{INITIATE, token, auths=[chosen auth, challenge dropped]} ─►
//	                                ◄─  SASL{CHALLENGE, token}      (0..n rounds)
//	SASL{RESPONSE, token}           ─►
//	                                ◄─  SASL{SUCCESS, token}
//
// Every SASL packet is a normal frame with call id -33 and an empty client
// id. A server that allows SIMPLE only answers NEGOTIATE with SUCCESS.
// After SUCCESS with QOP auth-int or auth-conf, every later packet in both
// directions travels inside SASL{WRAP, token=wrap(frames)} packets.

// saslMech is one client SASL mechanism.
type saslMech interface {
	name() string
	// step answers a challenge; the first call gets the challenge from the
	// NEGOTIATE reply (possibly empty) and returns the INITIATE token.
	step(challenge []byte) ([]byte, error)
	// finish checks the token of the SUCCESS message.
	finish(final []byte) error
	// layer is the negotiated security layer, nil when none.
	layer() (securityLayer, error)
}

// newMechFunc builds the mechanism for the advertised auth it chose.
type newMechFunc func(auth *pb.RpcSaslProto_SaslAuth) (saslMech, error)

// saslResult is the outcome of a negotiation.
type saslResult struct {
	// simple is set when the server switched the connection to SIMPLE.
	simple bool
	layer  securityLayer
}

// maxSASLRounds bounds CHALLENGE/RESPONSE rounds against a misbehaving server.
const maxSASLRounds = 16

// saslConnect runs the client side of the negotiation on a connection that
// has just sent the SASL preamble.
func saslConnect(w io.Writer, r *bufio.Reader, method AuthMethod, newMech newMechFunc) (saslResult, error) {
	if err := writeSASL(w, &pb.RpcSaslProto{State: pb.RpcSaslProto_NEGOTIATE.Enum()}); err != nil {
		return saslResult{}, err
	}
	var mech saslMech
	for round := 0; round < maxSASLRounds; round++ {
		msg, err := readSASL(r)
		if err != nil {
			return saslResult{}, err
		}
		var reply *pb.RpcSaslProto
		switch msg.GetState() {
		case pb.RpcSaslProto_NEGOTIATE:
			if mech != nil {
				return saslResult{}, errors.New("sasl: server sent NEGOTIATE twice")
			}
			auth, err := selectAuth(msg.GetAuths(), method)
			if err != nil {
				return saslResult{}, err
			}
			if mech, err = newMech(auth); err != nil {
				return saslResult{}, err
			}
			tok, err := mech.step(auth.GetChallenge())
			if err != nil {
				return saslResult{}, fmt.Errorf("sasl %s: %w", mech.name(), err)
			}
			echo := proto.Clone(auth).(*pb.RpcSaslProto_SaslAuth)
			echo.Challenge = nil
			if echo.Protocol == nil {
				echo.Protocol = proto.String("")
			}
			reply = &pb.RpcSaslProto{State: pb.RpcSaslProto_INITIATE.Enum(), Token: tok, Auths: []*pb.RpcSaslProto_SaslAuth{echo}}
		case pb.RpcSaslProto_CHALLENGE:
			if mech == nil {
				return saslResult{}, errors.New("sasl: server sent CHALLENGE before NEGOTIATE")
			}
			tok, err := mech.step(msg.GetToken())
			if err != nil {
				return saslResult{}, fmt.Errorf("sasl %s: %w", mech.name(), err)
			}
			reply = &pb.RpcSaslProto{State: pb.RpcSaslProto_RESPONSE.Enum(), Token: tok}
		case pb.RpcSaslProto_SUCCESS:
			if mech == nil {
				if method != AuthSimple {
					return saslResult{}, fmt.Errorf("sasl: server allows only SIMPLE authentication, client wants %s", method)
				}
				return saslResult{simple: true}, nil
			}
			if err := mech.finish(msg.GetToken()); err != nil {
				return saslResult{}, fmt.Errorf("sasl %s: %w", mech.name(), err)
			}
			l, err := mech.layer()
			if err != nil {
				return saslResult{}, fmt.Errorf("sasl %s: %w", mech.name(), err)
			}
			return saslResult{layer: l}, nil
		default:
			return saslResult{}, fmt.Errorf("sasl: unexpected state %s", msg.GetState())
		}
		if err := writeSASL(w, reply); err != nil {
			return saslResult{}, err
		}
	}
	return saslResult{}, fmt.Errorf("sasl: no result after %d rounds", maxSASLRounds)
}

// selectAuth picks the advertised entry for method.
func selectAuth(auths []*pb.RpcSaslProto_SaslAuth, method AuthMethod) (*pb.RpcSaslProto_SaslAuth, error) {
	var offered []string
	for _, a := range auths {
		offered = append(offered, a.GetMethod())
		if a.GetMethod() == method.String() && a.GetMechanism() == method.mechanism() {
			return a, nil
		}
	}
	return nil, fmt.Errorf("sasl: client cannot authenticate via %s: server offers %v", method, offered)
}

func writeSASL(w io.Writer, m *pb.RpcSaslProto) error {
	b, err := saslFrame(nil, m)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// readSASL reads one SASL reply; ERROR/FATAL become a *RemoteError.
func readSASL(r io.Reader) (*pb.RpcSaslProto, error) {
	f, err := readFrame(r, maxResponseLength)
	if err != nil {
		return nil, err
	}
	return parseSASLResponse(f)
}

// parseSASLResponse decodes a SASL reply packet.
func parseSASLResponse(f []byte) (*pb.RpcSaslProto, error) {
	resp, err := parseResponse(f)
	if err != nil {
		return nil, err
	}
	if re := resp.remoteError(); re != nil {
		return nil, re
	}
	if id := resp.callID(); id != callIDSASL {
		return nil, fmt.Errorf("sasl: reply has call id %d, want %d", id, callIDSASL)
	}
	m := &pb.RpcSaslProto{}
	if err := proto.Unmarshal(resp.body, m); err != nil {
		return nil, fmt.Errorf("sasl: %w", err)
	}
	return m, nil
}

// wrapFrames wraps already-framed plain bytes into SASL WRAP packets,
// splitting so that no wrapped buffer exceeds what the peer accepts.
func wrapFrames(l securityLayer, plain []byte) ([]byte, error) {
	var out []byte
	limit := l.maxPlain()
	for len(plain) > 0 {
		n := min(len(plain), limit)
		tok, err := l.wrap(plain[:n])
		if err != nil {
			return nil, err
		}
		plain = plain[n:]
		if out, err = saslFrame(out, &pb.RpcSaslProto{State: pb.RpcSaslProto_WRAP.Enum(), Token: tok}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// wrappedReader returns plain frames from a connection whose server wraps
// every response in SASL WRAP packets. It reassembles frames that span
// several WRAP packets.
type wrappedReader struct {
	r     io.Reader
	layer securityLayer
	buf   []byte
}

func (w *wrappedReader) next() ([]byte, error) {
	for {
		if len(w.buf) >= 4 {
			n := int(int32(uint32(w.buf[0])<<24 | uint32(w.buf[1])<<16 | uint32(w.buf[2])<<8 | uint32(w.buf[3])))
			if n <= 0 || n > maxResponseLength {
				return nil, fmt.Errorf("invalid wrapped response length %d", n)
			}
			if len(w.buf) >= 4+n {
				f := append([]byte(nil), w.buf[4:4+n]...)
				w.buf = w.buf[4+n:]
				return f, nil
			}
		}
		f, err := readFrame(w.r, maxResponseLength)
		if err != nil {
			return nil, err
		}
		m, err := parseSASLResponse(f)
		if err != nil {
			return nil, err
		}
		if m.GetState() != pb.RpcSaslProto_WRAP {
			return nil, fmt.Errorf("server sent non-wrapped response (SASL state %s)", m.GetState())
		}
		plain, err := w.layer.unwrap(m.GetToken())
		if err != nil {
			return nil, err
		}
		w.buf = append(w.buf, plain...)
	}
}

// plainReader returns frames from an unwrapped connection.
type plainReader struct{ r io.Reader }

func (p plainReader) next() ([]byte, error) { return readFrame(p.r, maxResponseLength) }

// frameSource yields response frames (content after the length prefix).
type frameSource interface{ next() ([]byte, error) }
