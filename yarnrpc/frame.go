package yarnrpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// Hadoop IPC version 9 framing (org.apache.hadoop.ipc.Client / Server).
//
// Connection preamble, once per TCP connection, client to server:
//
//	+------+------+------+------+---------+---------------+---------------+
//	| 'h'  | 'r'  | 'p'  | 'c'  | version | service class | auth protocol |
//	+------+------+------+------+---------+---------------+---------------+
//	  68     72     70     63      0x09        0x00        0x00 none / 0xDF SASL
//
// Every later packet, both directions:
//
//	+----------------+--------------------------+-------------------------+
//	| uint32 BE len  | varint len | header msg  | varint len | body msg   |
//	+----------------+--------------------------+-------------------------+
//
// A request carries RpcRequestHeaderProto, then (for calls) a
// RequestHeaderProto and the request message, each varint-delimited. A
// response carries RpcResponseHeaderProto and, on SUCCESS only, the
// response message (a zero-length message is still delimited by 0x00).

const (
	ipcVersion        = 9
	authProtocolNone  = 0x00
	authProtocolSASL  = 0xDF // AuthProtocol.SASL = -33 as a signed byte
	serviceClassDflt  = 0
	maxResponseLength = 128 << 20 // ipc.maximum.response.length
	smallFrame        = 1 << 20   // read in one allocation up to this size

	callIDAuthFailed = -1
	callIDContext    = -3
	callIDPing       = -4
	callIDSASL       = -33
)

// preamble returns the 7 connection-header bytes.
func preamble(authProtocol byte) []byte {
	return []byte{'h', 'r', 'p', 'c', ipcVersion, serviceClassDflt, authProtocol}
}

// requestHeader builds the RpcRequestHeaderProto every client packet starts with.
func requestHeader(callID int32, clientID []byte, retry int32) *pb.RpcRequestHeaderProto {
	if clientID == nil {
		clientID = []byte{}
	}
	return &pb.RpcRequestHeaderProto{
		RpcKind:    pb.RpcKindProto_RPC_PROTOCOL_BUFFER.Enum(),
		RpcOp:      pb.RpcRequestHeaderProto_RPC_FINAL_PACKET.Enum(),
		CallId:     proto.Int32(callID),
		ClientId:   clientID,
		RetryCount: proto.Int32(retry),
	}
}

// appendFrame appends one packet: the 4-byte length, then each message
// varint-delimited. A nil message is skipped.
func appendFrame(dst []byte, msgs ...proto.Message) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	opts := proto.MarshalOptions{Deterministic: true}
	for _, m := range msgs {
		if m == nil {
			continue
		}
		n := opts.Size(m)
		dst = protowire.AppendVarint(dst, uint64(n))
		var err error
		if dst, err = opts.MarshalAppend(dst, m); err != nil {
			return nil, fmt.Errorf("marshal %s: %w", m.ProtoReflect().Descriptor().Name(), err)
		}
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst, nil
}

// readFrame reads one packet and returns its content (without the length).
func readFrame(r io.Reader, limit int) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lb[:]))
	if n == -1 {
		return nil, errors.New("server replied with a pre-v9 fatal response (IPC version mismatch)")
	}
	if n <= 0 || int(n) > limit {
		return nil, fmt.Errorf("invalid response length %d", n)
	}
	if n <= smallFrame {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return buf, nil
	}
	// Large frames grow with the data actually received, so a bogus
	// length cannot make us allocate 128 MiB up front.
	var b bytes.Buffer
	if _, err := io.CopyN(&b, r, int64(n)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b.Bytes(), nil
}

// splitDelimited reads one varint-delimited message from b and returns it
// and the rest.
func splitDelimited(b []byte) (msg, rest []byte, err error) {
	n, k := protowire.ConsumeVarint(b)
	if k < 0 {
		return nil, nil, errors.New("bad message length varint")
	}
	if n > uint64(len(b)-k) {
		return nil, nil, fmt.Errorf("message length %d exceeds packet (%d bytes left)", n, len(b)-k)
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// response is one parsed server packet.
type response struct {
	header *pb.RpcResponseHeaderProto
	// body is the payload message bytes; nil when the packet had none.
	body []byte
}

// callID is the header's call id read as uint32 and reinterpreted as int32
// (negative ids such as -33 arrive as large unsigned numbers).
func (r *response) callID() int32 { return int32(r.header.GetCallId()) }

// parseResponse splits a packet into header and optional payload and
// checks that nothing is left over ("RPC response length mismatch").
func parseResponse(frame []byte) (*response, error) {
	hb, rest, err := splitDelimited(frame)
	if err != nil {
		return nil, fmt.Errorf("response header: %w", err)
	}
	h := &pb.RpcResponseHeaderProto{}
	if err := proto.Unmarshal(hb, h); err != nil {
		return nil, fmt.Errorf("response header: %w", err)
	}
	r := &response{header: h}
	if len(rest) == 0 {
		return r, nil
	}
	body, rest, err := splitDelimited(rest)
	if err != nil {
		return nil, fmt.Errorf("response body: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("RPC response length mismatch: %d trailing bytes", len(rest))
	}
	r.body = body
	return r, nil
}

// remoteError returns the RemoteError for an ERROR or FATAL header, or nil
// on SUCCESS.
func (r *response) remoteError() *RemoteError {
	st := r.header.GetStatus()
	if st == pb.RpcResponseHeaderProto_SUCCESS {
		return nil
	}
	return &RemoteError{
		Class:   r.header.GetExceptionClassName(),
		Message: r.header.GetErrorMsg(),
		Code:    int32(r.header.GetErrorDetail()),
		Fatal:   st == pb.RpcResponseHeaderProto_FATAL,
	}
}

// callFrame encodes a method call: RpcRequestHeaderProto,
// RequestHeaderProto{method, protocol, version}, request.
func callFrame(dst []byte, callID int32, clientID []byte, protocol string, version uint64, method string, req proto.Message) ([]byte, error) {
	rh := &pb.RequestHeaderProto{
		MethodName:                 proto.String(method),
		DeclaringClassProtocolName: proto.String(protocol),
		ClientProtocolVersion:      proto.Uint64(version),
	}
	return appendFrame(dst, requestHeader(callID, clientID, 0), rh, req)
}

// contextFrame encodes the connection context (call id -3).
func contextFrame(dst []byte, clientID []byte, protocol, effectiveUser string) ([]byte, error) {
	ui := &pb.UserInformationProto{}
	if effectiveUser != "" {
		ui.EffectiveUser = proto.String(effectiveUser)
	}
	ctx := &pb.IpcConnectionContextProto{UserInfo: ui, Protocol: proto.String(protocol)}
	return appendFrame(dst, requestHeader(callIDContext, clientID, -1), ctx)
}

// pingFrame encodes a ping (call id -4, no body).
func pingFrame(dst []byte, clientID []byte) ([]byte, error) {
	return appendFrame(dst, requestHeader(callIDPing, clientID, -1))
}

// saslFrame encodes a SASL packet (call id -33, empty client id).
func saslFrame(dst []byte, m *pb.RpcSaslProto) ([]byte, error) {
	return appendFrame(dst, requestHeader(callIDSASL, nil, -1), m)
}
