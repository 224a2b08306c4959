package yarnrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// ProtocolClientNamenode is HDFS's ClientProtocol (ClientNamenodeProtocol).
const ProtocolClientNamenode = "org.apache.hadoop.hdfs.protocol.ClientProtocol"

// Delegation tokens are asked for with hadoop.common's
// GetDelegationTokenRequestProto { 1: string renewer } and come back in a
// response whose field 1 is a TokenProto (HDFS's GetDelegationTokenResponseProto
// and YARN's, whose field is named RMDelegationToken). Neither message is in
// the generated set, so both travel as the unknown fields of an Empty.

func renewerRequest(renewer string) *emptypb.Empty {
	req := &emptypb.Empty{}
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	req.ProtoReflect().SetUnknown(protowire.AppendString(b, renewer))
	return req
}

func tokenFromResponse(resp *emptypb.Empty) (Token, error) {
	b := resp.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Token{}, errors.New("malformed delegation token response")
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return Token{}, errors.New("malformed delegation token response")
			}
			var tp pb.TokenProto
			if err := proto.Unmarshal(v, &tp); err != nil {
				return Token{}, fmt.Errorf("delegation token: %w", err)
			}
			return Token{Identifier: tp.GetIdentifier(), Password: tp.GetPassword(), Kind: tp.GetKind(), Service: tp.GetService()}, nil
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return Token{}, errors.New("malformed delegation token response")
		}
		b = b[n:]
	}
	return Token{}, errors.New("the server returned no delegation token (is security enabled on it?)")
}

// DelegationToken asks the RM for an RM delegation token that renewer (a
// principal, e.g. the RM's own, so that YARN renews it) may renew. Its
// service is the RM address, as Java's ClientRMProxy sets it.
func (c *RMClient) DelegationToken(ctx context.Context, renewer string) (Token, error) {
	resp := &emptypb.Empty{}
	if err := c.call(ctx, "getDelegationToken", renewerRequest(renewer), resp); err != nil {
		return Token{}, fmt.Errorf("get RM delegation token: %w", err)
	}
	t, err := tokenFromResponse(resp)
	if err != nil {
		return Token{}, fmt.Errorf("get RM delegation token: %w", err)
	}
	return t, nil
}

// HDFSTokenOptions says which NameNode to ask for a delegation token.
type HDFSTokenOptions struct {
	// Addr is the NameNode's RPC address (host:port).
	Addr string
	// Kerberos is the caller's login; ServerPrincipal should be
	// dfs.namenode.kerberos.principal.
	Kerberos *KerberosAuth
	// QOP is the SASL quality of protection (QOPFromProtection).
	QOP []string
	// Renewer is who may renew the token: the RM principal
	// (yarn.resourcemanager.principal), so that YARN renews it for the
	// application and the NodeManagers can localize with it.
	Renewer     string
	DialTimeout time.Duration
}

// HDFSDelegationToken asks a NameNode (ClientProtocol.getDelegationToken,
// over Kerberos) for an HDFS delegation token. Its service is the
// NameNode's ip:port (hadoop.security.token.service.use_ip), the alias
// Hadoop's clients look it up by.
func HDFSDelegationToken(ctx context.Context, o HDFSTokenOptions) (Token, error) {
	c, err := NewConn(ConnOptions{Addr: o.Addr, Protocol: ProtocolClientNamenode, ProtocolVersion: 1,
		Auth: AuthKerberos, Kerberos: o.Kerberos, QOP: o.QOP, DialTimeout: o.DialTimeout})
	if err != nil {
		return Token{}, err
	}
	defer func() { _ = c.Close() }() // one call; the token is the result
	resp := &emptypb.Empty{}
	if err := c.Call(ctx, "getDelegationToken", renewerRequest(o.Renewer), resp); err != nil {
		return Token{}, fmt.Errorf("get HDFS delegation token from %s: %w", o.Addr, err)
	}
	t, err := tokenFromResponse(resp)
	if err != nil {
		return Token{}, fmt.Errorf("get HDFS delegation token from %s: %w", o.Addr, err)
	}
	t.Service = TokenService(o.Addr)
	return t, nil
}

// DefaultFSDelegationToken asks the NameNode of h's fs.defaultFS (each of
// its addresses in turn, for HA) for an HDFS delegation token renewable by
// the RM (yarn.resourcemanager.principal), logged in as auth. ok is false
// when fs.defaultFS is not HDFS.
func DefaultFSDelegationToken(ctx context.Context, h *conf.Hadoop, auth *KerberosAuth) (t Token, ok bool, err error) {
	fs := h.DefaultFS()
	if !strings.HasPrefix(fs, "hdfs://") {
		return Token{}, false, nil
	}
	renewer := h.Get("yarn.resourcemanager.principal")
	if renewer == "" {
		return Token{}, true, errors.New("hadoop.security.authentication is kerberos but yarn.resourcemanager.principal is not set in yarn-site.xml")
	}
	qop, err := QOPFromProtection([]string{h.RPCProtection()})
	if err != nil {
		return Token{}, true, err
	}
	k := *auth
	k.ServerPrincipal = h.Get("dfs.namenode.kerberos.principal")
	addrs := h.NameNodeAddresses(strings.TrimSuffix(strings.TrimPrefix(fs, "hdfs://"), "/"))
	if len(addrs) == 0 {
		return Token{}, true, fmt.Errorf("no NameNode address for %s", fs)
	}
	for _, addr := range addrs {
		if t, err = HDFSDelegationToken(ctx, HDFSTokenOptions{Addr: conf.ConnectAddress(addr),
			Kerberos: &k, QOP: qop, Renewer: renewer, DialTimeout: 10 * time.Second}); err == nil {
			return t, true, nil
		}
	}
	return Token{}, true, err
}

// TokenService is the service string of a token for a server at addr:
// ip:port, the host resolved as Hadoop does with use_ip=true.
func TokenService(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if net.ParseIP(host) == nil {
		if ips, err := net.LookupIP(host); err == nil && len(ips) > 0 {
			host = ips[0].String()
		}
	}
	return net.JoinHostPort(host, port)
}

// TokenMaxDate returns the maximum lifetime end of a delegation token (its
// identifier: version, owner, renewer, real user, issue date, max date, ...):
// no renewal extends it past this instant.
func TokenMaxDate(t Token) (time.Time, error) {
	if len(t.Identifier) < 2 {
		return time.Time{}, errors.New("token identifier too short")
	}
	r := &writableReader{b: bytes.Clone(t.Identifier), off: 1}
	for i := 0; i < 3; i++ {
		if _, err := r.text(); err != nil {
			return time.Time{}, err
		}
	}
	if _, err := r.vlong(); err != nil { // issue date
		return time.Time{}, err
	}
	ms, err := r.vlong()
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms), nil
}
