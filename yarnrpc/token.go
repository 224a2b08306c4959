package yarnrpc

import (
	"fmt"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// Token is a Hadoop security token: an opaque identifier, the password the
// issuing secret manager derived from it, and the kind and service that
// select which server it authenticates to. It mirrors Hadoop's
// org.apache.hadoop.security.token.Token and TokenProto.
type Token struct {
	Identifier []byte
	Password   []byte
	Kind       string
	Service    string
}

// Well-known token kinds.
const (
	KindAMRMToken    = "YARN_AM_RM_TOKEN"
	KindNMToken      = "NMToken"
	KindRMDelegation = "RM_DELEGATION_TOKEN"
	KindHDFSDelegate = "HDFS_DELEGATION_TOKEN"
)

// String names the token without revealing its password.
func (t Token) String() string {
	return fmt.Sprintf("token{kind=%q service=%q id=%dB}", t.Kind, t.Service, len(t.Identifier))
}

// Clone returns a deep copy of t.
func (t Token) Clone() Token {
	return Token{
		Identifier: append([]byte(nil), t.Identifier...),
		Password:   append([]byte(nil), t.Password...),
		Kind:       t.Kind,
		Service:    t.Service,
	}
}

// TokenFromProto converts a TokenProto received in a YARN message.
func TokenFromProto(p *pb.TokenProto) Token {
	if p == nil {
		return Token{}
	}
	return Token{
		Identifier: append([]byte(nil), p.GetIdentifier()...),
		Password:   append([]byte(nil), p.GetPassword()...),
		Kind:       p.GetKind(),
		Service:    p.GetService(),
	}
}

// Proto converts t into the wire message (all four fields are required).
func (t Token) Proto() *pb.TokenProto {
	id, pw := t.Identifier, t.Password
	if id == nil {
		id = []byte{}
	}
	if pw == nil {
		pw = []byte{}
	}
	kind, svc := t.Kind, t.Service
	return &pb.TokenProto{Identifier: id, Password: pw, Kind: &kind, Service: &svc}
}
