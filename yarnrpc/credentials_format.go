package yarnrpc

import (
	"bytes"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// Token-storage file layout (Credentials.writeTokenStorageToStream):
//
//	+--------+--------+------------------------------------------------+
//	| "HDTS" | format | body                                           |
//	+--------+--------+------------------------------------------------+
//	format 0 (WRITABLE):
//	  vint nTokens  { Text alias | vint len, identifier | vint len, password | Text kind | Text service }
//	  vint nSecrets { Text alias | vint len, secret }
//	format 1 (PROTOBUF):
//	  varint len | CredentialsProto
//
// Text is a vint byte length followed by UTF-8. vint/vlong is Hadoop's
// WritableUtils encoding: values in [-112, 127] take one byte; otherwise a
// first byte -113..-120 (positive) or -121..-128 (negative, one's
// complement) gives the count of big-endian bytes that follow.

const (
	credMagic          = "HDTS"
	credFormatWritable = 0
	credFormatProtobuf = 1
)

func parseCredentials(b []byte) (*Credentials, error) {
	if len(b) < 5 || string(b[:4]) != credMagic {
		return nil, errBadCredHeader
	}
	switch b[4] {
	case credFormatWritable:
		return parseCredentialsWritable(b[5:])
	case credFormatProtobuf:
		return parseCredentialsProto(b[5:])
	}
	return nil, fmt.Errorf("unknown token storage format %d", b[4])
}

func parseCredentialsWritable(b []byte) (*Credentials, error) {
	r := writableReader{b: b}
	c := &Credentials{}
	n, err := r.count()
	if err != nil {
		return nil, fmt.Errorf("token count: %w", err)
	}
	for i := 0; i < n; i++ {
		alias, err := r.text()
		if err != nil {
			return nil, fmt.Errorf("token %d alias: %w", i, err)
		}
		var t Token
		if t.Identifier, err = r.bytes(); err != nil {
			return nil, fmt.Errorf("token %q identifier: %w", alias, err)
		}
		if t.Password, err = r.bytes(); err != nil {
			return nil, fmt.Errorf("token %q password: %w", alias, err)
		}
		if t.Kind, err = r.text(); err != nil {
			return nil, fmt.Errorf("token %q kind: %w", alias, err)
		}
		if t.Service, err = r.text(); err != nil {
			return nil, fmt.Errorf("token %q service: %w", alias, err)
		}
		c.AddToken(alias, t)
	}
	if n, err = r.count(); err != nil {
		return nil, fmt.Errorf("secret count: %w", err)
	}
	for i := 0; i < n; i++ {
		alias, err := r.text()
		if err != nil {
			return nil, fmt.Errorf("secret %d alias: %w", i, err)
		}
		v, err := r.bytes()
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", alias, err)
		}
		c.SetSecret(alias, v)
	}
	return c, nil
}

func parseCredentialsProto(b []byte) (*Credentials, error) {
	n, k := protowire.ConsumeVarint(b)
	if k < 0 || n > uint64(len(b)-k) {
		return nil, errors.New("bad CredentialsProto length")
	}
	m := &pb.CredentialsProto{}
	if err := proto.Unmarshal(b[k:k+int(n)], m); err != nil {
		return nil, fmt.Errorf("CredentialsProto: %w", err)
	}
	c := &Credentials{}
	for _, kv := range m.GetTokens() {
		if kv.GetToken() == nil {
			return nil, fmt.Errorf("token entry %q has no token", kv.GetAlias())
		}
		c.AddToken(kv.GetAlias(), TokenFromProto(kv.GetToken()))
	}
	for _, kv := range m.GetSecrets() {
		c.SetSecret(kv.GetAlias(), kv.GetSecret())
	}
	return c, nil
}

// MarshalProtobuf encodes c as a format-1 (PROTOBUF) file, the format
// Hadoop 3.0.0-alpha1…beta1 wrote by default.
func (c *Credentials) MarshalProtobuf() ([]byte, error) {
	m := &pb.CredentialsProto{}
	for _, at := range c.tokens {
		m.Tokens = append(m.Tokens, &pb.CredentialsKVProto{Alias: proto.String(at.alias), Token: at.tok.Proto()})
	}
	for _, s := range c.secrets {
		v := s.v
		if v == nil {
			v = []byte{}
		}
		m.Secrets = append(m.Secrets, &pb.CredentialsKVProto{Alias: proto.String(s.alias), Secret: v})
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	out := append([]byte(credMagic), credFormatProtobuf)
	out = protowire.AppendVarint(out, uint64(len(body)))
	return append(out, body...), nil
}

// writableReader decodes Hadoop Writable primitives from a byte slice.
type writableReader struct {
	b   []byte
	off int
}

var errShort = errors.New("unexpected end of data")

func (r *writableReader) vlong() (int64, error) {
	if r.off >= len(r.b) {
		return 0, errShort
	}
	first := int8(r.b[r.off])
	r.off++
	if first >= -112 {
		return int64(first), nil
	}
	neg := first < -120
	n := -111 - int(first) // total size including the first byte
	if neg {
		n = -119 - int(first)
	}
	n-- // bytes that follow
	if r.off+n > len(r.b) {
		return 0, errShort
	}
	var v int64
	for _, c := range r.b[r.off : r.off+n] {
		v = v<<8 | int64(c)
	}
	r.off += n
	if neg {
		v = ^v
	}
	return v, nil
}

// length reads a vint byte count and checks it against what is left.
func (r *writableReader) length() (int, error) {
	v, err := r.vlong()
	if err != nil {
		return 0, err
	}
	if v < 0 || v > int64(len(r.b)-r.off) {
		return 0, fmt.Errorf("length %d exceeds the %d bytes left", v, len(r.b)-r.off)
	}
	return int(v), nil
}

// count reads an entry count; each entry takes at least 2 bytes.
func (r *writableReader) count() (int, error) {
	v, err := r.vlong()
	if err != nil {
		return 0, err
	}
	if v < 0 || v > int64(len(r.b)-r.off) {
		return 0, fmt.Errorf("implausible entry count %d", v)
	}
	return int(v), nil
}

func (r *writableReader) bytes() ([]byte, error) {
	n, err := r.length()
	if err != nil {
		return nil, err
	}
	v := append([]byte{}, r.b[r.off:r.off+n]...)
	r.off += n
	return v, nil
}

func (r *writableReader) text() (string, error) {
	b, err := r.bytes()
	if err != nil {
		return "", err
	}
	// Like Hadoop's Text, the bytes are kept as they are (Java does not
	// reject malformed UTF-8 in aliases, kinds or services either).
	return string(b), nil
}

// writableWriter encodes Hadoop Writable primitives.
type writableWriter struct{ b *bytes.Buffer }

func (w writableWriter) vlong(i int64) {
	w.b.Write(appendVLong(nil, i))
}

func (w writableWriter) bytes(v []byte) {
	w.vlong(int64(len(v)))
	w.b.Write(v)
}

func (w writableWriter) text(s string) { w.bytes([]byte(s)) }

// appendVLong appends WritableUtils.writeVLong(i).
func appendVLong(dst []byte, i int64) []byte {
	if i >= -112 && i <= 127 {
		return append(dst, byte(int8(i)))
	}
	first := -112
	if i < 0 {
		i = ^i
		first = -120
	}
	for tmp := i; tmp != 0; tmp >>= 8 {
		first--
	}
	dst = append(dst, byte(int8(first)))
	n := -(first + 112)
	if first < -120 {
		n = -(first + 120)
	}
	for idx := n; idx > 0; idx-- {
		dst = append(dst, byte(i>>(uint(idx-1)*8)))
	}
	return dst
}
