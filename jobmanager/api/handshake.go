package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// The control channel is opened on the JobManager's HTTP port (the one
// host:port a YARN AM registers) by a signed HTTP/1.1 upgrade:
//
//	TM → JM  GET /v1/control HTTP/1.1
//	         Connection: Upgrade
//	         Upgrade: floe-control/1
//	         Floe-Content-SHA256: <digest of the empty body>
//	         Authorization: Floe-HMAC-SHA256 ts=…,nonce=…,sig=…
//
//	JM → TM  HTTP/1.1 101 Switching Protocols
//	         Connection: Upgrade
//	         Upgrade: floe-control/1
//	         Floe-Server-Proof: HMAC(secret, "floe-control/2 server\n" + nonce)
//
//	TM → JM  frame MsgRegister (Registration)
//	JM → TM  frame MsgRegistered (RegistrationReply, with the Timing)
//	         or MsgRefused (Error), then close
//
// then frames both ways until either end closes. The nonce makes a replayed
// upgrade fail; the proof shows the TaskManager that its peer holds the
// secret too. Every step is bounded by HandshakeTimeout.

// ControlPath is the HTTP path of the control-channel upgrade.
const ControlPath = "/v1/control"

// UpgradeProtocol names the framed protocol in the Upgrade header.
const UpgradeProtocol = "floe-control/1"

// ProofHeader carries the JobManager's Proof in the 101 reply.
const ProofHeader = "Floe-Server-Proof"

// Dial opens a control channel to the JobManager at addr and registers reg;
// it returns the channel, with the JobManager's Timing, and its reply. A
// refusal (HTTP or MsgRefused) is a *RemoteError (errors.Is ErrRemote).
func Dial(ctx context.Context, addr string, secret []byte, reg Registration) (*Channel, RegistrationReply, error) {
	ctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, RegistrationReply{}, fmt.Errorf("JobManager at %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	ch, reply, err := handshake(conn, addr, secret, reg)
	if err != nil {
		_ = conn.Close()
		return nil, RegistrationReply{}, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ch, reply, nil
}

func handshake(conn net.Conn, addr string, secret []byte, reg Registration) (*Channel, RegistrationReply, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+ControlPath, nil)
	if err != nil {
		return nil, RegistrationReply{}, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", UpgradeProtocol)
	if err := Sign(req, secret, nil, time.Now()); err != nil {
		return nil, RegistrationReply{}, err
	}
	if err := req.Write(conn); err != nil {
		return nil, RegistrationReply{}, fmt.Errorf("control upgrade to %s: %w", addr, err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, RegistrationReply{}, fmt.Errorf("control upgrade to %s: %w", addr, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		_ = resp.Body.Close()
		return nil, RegistrationReply{}, fmt.Errorf("control upgrade to %s: %w", addr, &RemoteError{Status: resp.StatusCode, Message: strings.TrimSpace(string(b))})
	}
	if resp.Header.Get(ProofHeader) != Proof(secret, nonceOf(req)) {
		return nil, RegistrationReply{}, fmt.Errorf("control upgrade to %s: %w: the JobManager did not prove it holds the secret", addr, ErrUnauthenticated)
	}
	reg.Version = Version
	b, err := EncodeFrame(MsgRegister, reg)
	if err != nil {
		return nil, RegistrationReply{}, err
	}
	if _, err := conn.Write(b); err != nil {
		return nil, RegistrationReply{}, fmt.Errorf("register with %s: %w", addr, err)
	}
	f, err := ReadFrame(br)
	if err != nil {
		return nil, RegistrationReply{}, fmt.Errorf("register with %s: %w", addr, err)
	}
	switch f.Type {
	case MsgRegistered:
		var reply RegistrationReply
		if err := f.Decode(&reply); err != nil {
			return nil, RegistrationReply{}, err
		}
		if reply.Version != Version {
			return nil, RegistrationReply{}, fmt.Errorf("register with %s: protocol version %d, this TaskManager speaks %d", addr, reply.Version, Version)
		}
		return NewChannel(conn, br, reply.Timing()), reply, nil
	case MsgRefused:
		var e Error
		_ = f.Decode(&e)
		return nil, RegistrationReply{}, fmt.Errorf("register with %s: %w", addr, &RemoteError{Status: http.StatusForbidden, Message: e.Error})
	default:
		return nil, RegistrationReply{}, fmt.Errorf("register with %s: %w: unexpected %s", addr, ErrFrame, f.Type)
	}
}

// Upgrade is the JobManager's half of the handshake up to the registration:
// it checks r's signature from its headers (so a replayed upgrade fails),
// switches the connection to the framed protocol and returns it, with a
// deadline of HandshakeTimeout for reading the registration (ReadRegistration).
// On an error nothing was hijacked and the caller answers r.
func Upgrade(w http.ResponseWriter, r *http.Request, v *Verifier) (net.Conn, *bufio.Reader, error) {
	digest, err := v.VerifyHeader(r, time.Now())
	if err != nil {
		return nil, nil, err
	}
	if err := CheckBody(digest, nil); err != nil || r.ContentLength != 0 {
		return nil, nil, fmt.Errorf("%w: a control upgrade has no body", ErrUnauthenticated)
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), UpgradeProtocol) {
		return nil, nil, fmt.Errorf("%w: Upgrade %q, want %q", ErrUpgrade, r.Header.Get("Upgrade"), UpgradeProtocol)
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("control upgrade: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(HandshakeTimeout))
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n%s: %s\r\n\r\n",
		UpgradeProtocol, ProofHeader, Proof(v.secret, nonceOf(r)))
	if err := brw.Flush(); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("control upgrade: %w", err)
	}
	return conn, brw.Reader, nil
}

// ErrUpgrade marks an upgrade request for another protocol (a 426 answer).
var ErrUpgrade = errors.New("not a control-channel upgrade")

// ReadRegistration reads the first frame of an upgraded connection.
func ReadRegistration(br *bufio.Reader) (Registration, error) {
	var reg Registration
	f, err := ReadFrame(br)
	if err != nil {
		return reg, fmt.Errorf("read registration: %w", err)
	}
	if f.Type != MsgRegister {
		return reg, fmt.Errorf("%w: first frame is %s, want %s", ErrFrame, f.Type, MsgRegister)
	}
	return reg, f.Decode(&reg)
}
