package netio

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// Every frame on a data connection (diagram in doc.go) starts with this
// 10-byte header, big endian:
//
//	+---------+------+------------+----------------+
//	| version | type | channel ID | payload length |
//	|   1 B   | 1 B  |    4 B     |      4 B       |
//	+---------+------+------------+----------------+
const (
	protocolVersion = 1
	headerLen       = 10
	// maxControlPayload bounds every frame but buffer frames, whose bound
	// is the receiver's buffer size.
	maxControlPayload = 64 << 10
	nonceLen          = 32
	macLen            = sha256.Size
)

type frameType byte

const (
	frameHello   frameType = 0x01 // server → client: server nonce
	frameAuth    frameType = 0x02 // client → server: client nonce, client MAC
	frameAuthOK  frameType = 0x03 // server → client: server MAC
	frameRequest frameType = 0x10 // client → server: open channel on a subpartition
	frameCredit  frameType = 0x11 // client → server: more credit for a channel
	frameCancel  frameType = 0x12 // client → server: consumer closed the channel
	frameBuffer  frameType = 0x20 // server → client: one buffer of records
	frameEvent   frameType = 0x21 // server → client: one in-band event
	frameError   frameType = 0x22 // either way: the channel (0: connection) failed
)

func (t frameType) String() string {
	switch t {
	case frameHello:
		return "hello"
	case frameAuth:
		return "auth"
	case frameAuthOK:
		return "auth-ok"
	case frameRequest:
		return "request"
	case frameCredit:
		return "credit"
	case frameCancel:
		return "cancel"
	case frameBuffer:
		return "buffer"
	case frameEvent:
		return "event"
	case frameError:
		return "error"
	}
	return fmt.Sprintf("frame(0x%02x)", byte(t))
}

type frameHeader struct {
	typ     frameType
	channel uint32
	length  uint32
}

func putHeader(b []byte, h frameHeader) {
	b[0] = protocolVersion
	b[1] = byte(h.typ)
	binary.BigEndian.PutUint32(b[2:], h.channel)
	binary.BigEndian.PutUint32(b[6:], h.length)
}

func appendFrame(dst []byte, typ frameType, channel uint32, payload []byte) []byte {
	var h [headerLen]byte
	putHeader(h[:], frameHeader{typ: typ, channel: channel, length: uint32(len(payload))})
	return append(append(dst, h[:]...), payload...)
}

// readHeader reads and checks one frame header. maxPayload applies to all
// frames but buffer frames, which the caller bounds.
func readHeader(r io.Reader, b *[headerLen]byte) (frameHeader, error) {
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return frameHeader{}, err
	}
	if b[0] != protocolVersion {
		return frameHeader{}, fmt.Errorf("%w: protocol version %d, want %d", ErrProtocol, b[0], protocolVersion)
	}
	h := frameHeader{
		typ:     frameType(b[1]),
		channel: binary.BigEndian.Uint32(b[2:]),
		length:  binary.BigEndian.Uint32(b[6:]),
	}
	if h.typ != frameBuffer && h.length > maxControlPayload {
		return frameHeader{}, fmt.Errorf("%w: %s frame of %d bytes", ErrProtocol, h.typ, h.length)
	}
	return h, nil
}

// readPayload reads a control frame's payload into a fresh slice.
func readPayload(r io.Reader, h frameHeader) ([]byte, error) {
	b := make([]byte, h.length)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Request payload: the partition and subpartition to read, and the
// consumer's initial credit.
//
//	+------------------+--------------+----------------+-----------------+----------------+------------------+
//	| uvarint credit   | uvarint sub- | varint attempt | varint edge     | varint producer| uvarint len, job |
//	|                  | partition    |                |                 |                | (UTF-8 bytes)    |
//	+------------------+--------------+----------------+-----------------+----------------+------------------+
type request struct {
	credit       int
	subpartition int
	partition    PartitionID
}

func appendRequest(dst []byte, r request) []byte {
	dst = binary.AppendUvarint(dst, uint64(r.credit))
	dst = binary.AppendUvarint(dst, uint64(r.subpartition))
	dst = binary.AppendVarint(dst, int64(r.partition.Attempt))
	dst = binary.AppendVarint(dst, int64(r.partition.Edge))
	dst = binary.AppendVarint(dst, int64(r.partition.Producer))
	dst = binary.AppendUvarint(dst, uint64(len(r.partition.Job)))
	return append(dst, r.partition.Job...)
}

func parseRequest(b []byte) (request, error) {
	bad := func(what string) (request, error) {
		return request{}, fmt.Errorf("%w: bad %s in request", ErrProtocol, what)
	}
	var r request
	for _, f := range []struct {
		name string
		dst  *int
	}{{"credit", &r.credit}, {"subpartition", &r.subpartition}} {
		x, n := binary.Uvarint(b)
		if n <= 0 || x > 1<<20 {
			return bad(f.name)
		}
		*f.dst, b = int(x), b[n:]
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"attempt", &r.partition.Attempt}, {"edge", &r.partition.Edge}, {"producer", &r.partition.Producer}} {
		x, n := binary.Varint(b)
		if n <= 0 || x < -1<<31 || x > 1<<31 {
			return bad(f.name)
		}
		*f.dst, b = int(x), b[n:]
	}
	l, n := binary.Uvarint(b)
	if n <= 0 || l != uint64(len(b)-n) {
		return bad("job id")
	}
	r.partition.Job = string(b[n:])
	return r, nil
}

// Credit payload: uvarint number of buffers the consumer can take more.
// Error payload: 1-byte code, then the message (UTF-8, to the end).

func appendError(dst []byte, err error) []byte {
	return append(append(dst, byte(codeOf(err))), err.Error()...)
}

func parseError(addr string, b []byte) *RemoteError {
	if len(b) == 0 {
		return &RemoteError{Addr: addr, Message: "empty error frame", code: codeProtocol}
	}
	return &RemoteError{Addr: addr, Message: string(b[1:]), code: errorCode(b[0])}
}

// Handshake: the server speaks first with a random nonce; the client
// answers with its own nonce and a MAC over both; the server checks it and
// proves the secret in turn, so each side knows the other holds the
// per-application secret. The secret itself never crosses the wire.
//
//	client                                   server
//	  |  <── hello   [server nonce 32 B] ────  |
//	  |  ─── auth    [client nonce 32 B |      |
//	  |               HMAC-SHA256(secret, "floe-netio/1 client" | sn | cn)] ─> |
//	  |  <── auth-ok [HMAC-SHA256(secret, "floe-netio/1 server" | sn | cn)] ── |
//	  |      or error [auth failed], then close                              |
func handshakeMAC(secret []byte, role string, serverNonce, clientNonce []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("floe-netio/1 " + role))
	m.Write(serverNonce)
	m.Write(clientNonce)
	return m.Sum(nil)
}
