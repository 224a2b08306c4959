package yarnrpc

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

var goldenClientID = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// hexDump renders bytes for golden files: 16 bytes a line.
func hexDump(b []byte) []byte {
	var out bytes.Buffer
	for i := 0; i < len(b); i += 16 {
		out.WriteString(hex.EncodeToString(b[i:min(i+16, len(b))]))
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func TestGoldenPreamble(t *testing.T) {
	// Spelled out by hand from RpcConstants: "hrpc", version 9, service
	// class 0, auth protocol NONE (0) / SASL (-33).
	if got := preamble(authProtocolNone); !bytes.Equal(got, []byte{0x68, 0x72, 0x70, 0x63, 0x09, 0x00, 0x00}) {
		t.Fatalf("simple preamble = %x", got)
	}
	if got := preamble(authProtocolSASL); !bytes.Equal(got, []byte{0x68, 0x72, 0x70, 0x63, 0x09, 0x00, 0xDF}) {
		t.Fatalf("sasl preamble = %x", got)
	}
	ipcGolden(t, "preamble-sasl.hex", hexDump(preamble(authProtocolSASL)))
}

func TestGoldenConnectionContext(t *testing.T) {
	f, err := contextFrame(nil, goldenClientID, "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB", "alice")
	if err != nil {
		t.Fatal(err)
	}
	ipcGolden(t, "connection-context.hex", hexDump(f))
	// Independent spot checks of the header: rpcKind=2 (08 02), rpcOp=0
	// (10 00), callId=-3 zig-zag 5 (18 05), clientId 16 bytes (22 10 …),
	// retryCount=-1 zig-zag 1 (28 01).
	hdr := "0802" + "1000" + "1805" + "2210" + hex.EncodeToString(goldenClientID) + "2801"
	if !strings.HasPrefix(hex.EncodeToString(f[4:]), "1a"+hdr) {
		t.Fatalf("context header = %x", f[4:])
	}
	if int(f[3]) != len(f)-4 || f[0] != 0 || f[1] != 0 || f[2] != 0 {
		t.Fatalf("length prefix = %x for %d bytes", f[:4], len(f)-4)
	}
	// Body: userInfo{effectiveUser "alice"} and protocol.
	if !bytes.Contains(f, append([]byte{0x12, 0x07, 0x0a, 0x05}, "alice"...)) {
		t.Fatal("context lacks userInfo.effectiveUser")
	}
}

func TestGoldenRequestFrame(t *testing.T) {
	req := &pb.TokenProto{Identifier: []byte{0xAA}, Password: []byte{}, Kind: proto.String("K"), Service: proto.String("")}
	f, err := callFrame(nil, 5, goldenClientID, "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB", 1, "getClusterMetrics", req)
	if err != nil {
		t.Fatal(err)
	}
	ipcGolden(t, "request-getClusterMetrics.hex", hexDump(f))
	// callId 5 zig-zag = 10 (18 0a); retryCount 0 (28 00).
	want := "1a" + "0802" + "1000" + "180a" + "2210" + hex.EncodeToString(goldenClientID) + "2800"
	if !strings.HasPrefix(hex.EncodeToString(f[4:]), want) {
		t.Fatalf("request header = %x", f[4:])
	}
	// RequestHeaderProto: methodName, protocol, version 1 (18 01).
	rh := append([]byte{0x0a, byte(len("getClusterMetrics"))}, "getClusterMetrics"...)
	if !bytes.Contains(f, rh) || !bytes.Contains(f, []byte{0x18, 0x01, 0x0a}) {
		t.Fatalf("request header proto missing: %x", f)
	}
	// The frame parses back (server view) to the same call.
	hb, rest, err := splitDelimited(f[4:])
	if err != nil {
		t.Fatal(err)
	}
	h := &pb.RpcRequestHeaderProto{}
	if err := proto.Unmarshal(hb, h); err != nil || h.GetCallId() != 5 {
		t.Fatalf("header %v, %v", h, err)
	}
	if _, rest, err = splitDelimited(rest); err != nil {
		t.Fatal(err)
	}
	body, rest, err := splitDelimited(rest)
	if err != nil || len(rest) != 0 {
		t.Fatalf("body: %v, %d trailing", err, len(rest))
	}
	got := &pb.TokenProto{}
	if err := proto.Unmarshal(body, got); err != nil || !proto.Equal(got, req) {
		t.Fatalf("body = %v, %v", got, err)
	}
}

func TestGoldenPingAndSASLHeaders(t *testing.T) {
	p, _ := pingFrame(nil, goldenClientID)
	// callId -4 zig-zag 7.
	if !strings.HasPrefix(hex.EncodeToString(p[4:]), "1a08021000180722") {
		t.Fatalf("ping = %x", p)
	}
	s, _ := saslFrame(nil, &pb.RpcSaslProto{State: pb.RpcSaslProto_NEGOTIATE.Enum()})
	// callId -33 zig-zag 65 (18 41), empty but present clientId (22 00),
	// retry -1 (28 01); body state=NEGOTIATE (10 01).
	if got := hex.EncodeToString(s); got != "0000000e"+"0a"+"08021000184122002801"+"02"+"1001" {
		t.Fatalf("sasl negotiate = %s", got)
	}
}

func TestParseResponse(t *testing.T) {
	ok := func(id uint32) *pb.RpcResponseHeaderProto {
		return &pb.RpcResponseHeaderProto{CallId: proto.Uint32(id), Status: pb.RpcResponseHeaderProto_SUCCESS.Enum()}
	}
	frame := func(msgs ...proto.Message) []byte {
		f, err := appendFrame(nil, msgs...)
		if err != nil {
			t.Fatal(err)
		}
		return f[4:]
	}
	empty := &pb.RpcSaslProto{State: pb.RpcSaslProto_SUCCESS.Enum()}
	cases := []struct {
		name   string
		in     []byte
		ok     bool
		id     int32
		body   bool
		remote bool
	}{
		{"success with body", frame(ok(7), empty), true, 7, true, false},
		{"negative id", frame(ok(0xFFFFFFDF)), true, -33, false, false},
		{"empty body delimiter", append(frame(ok(1)), 0x00), true, 1, true, false},
		{"error header only", frame(&pb.RpcResponseHeaderProto{CallId: proto.Uint32(3), Status: pb.RpcResponseHeaderProto_ERROR.Enum(), ExceptionClassName: proto.String("X")}), true, 3, false, true},
		{"trailing bytes", append(frame(ok(1), empty), 0x01), false, 0, false, false},
		{"truncated body", append(frame(ok(1)), 0x05, 0x01), false, 0, false, false},
		{"bad varint", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, false, 0, false, false},
		{"missing required status", frame(&pb.RpcSaslProto{State: pb.RpcSaslProto_SUCCESS.Enum()}), false, 0, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseResponse(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if !tc.ok {
				return
			}
			if r.callID() != tc.id || (r.body != nil) != tc.body || (r.remoteError() != nil) != tc.remote {
				t.Fatalf("parsed id %d body %v remote %v", r.callID(), r.body, r.remoteError())
			}
		})
	}
}

func TestReadFrameLimits(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
	}{
		{"zero length", []byte{0, 0, 0, 0}},
		{"negative", []byte{0x80, 0, 0, 1}},
		{"pre-v9 fatal", []byte{0xFF, 0xFF, 0xFF, 0xFF}},
		{"too large", []byte{0x7F, 0, 0, 0}},
		{"short", []byte{0, 0, 0, 5, 1, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := readFrame(bytes.NewReader(tc.in), maxResponseLength); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestReadFrameLarge(t *testing.T) {
	payload := bytes.Repeat([]byte{9}, 3<<20)
	in := append([]byte{0, 0x30, 0, 0}, payload...)
	got, err := readFrame(bytes.NewReader(in), maxResponseLength)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("large frame: %v", err)
	}
	if _, err := readFrame(bytes.NewReader(in[:1<<21]), maxResponseLength); err == nil {
		t.Fatal("truncated large frame accepted")
	}
}
