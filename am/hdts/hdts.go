package hdts

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Layout (org.apache.hadoop.security.Credentials):
//
//	+--------+--------+------------------------------------------------+
//	| "HDTS" | format | body                                           |
//	+--------+--------+------------------------------------------------+
//	format 0 (WRITABLE):
//	  vint nTokens  { Text alias | vint len, identifier | vint len, password | Text kind | Text service }
//	  vint nSecrets { Text alias | vint len, secret }
//	format 1 (PROTOBUF):
//	  varint len | CredentialsProto { repeated CredentialsKVProto tokens = 1;
//	                                  repeated CredentialsKVProto secrets = 2; }
//	  CredentialsKVProto { string alias = 1; TokenProto token = 2; bytes secret = 3; }

// ErrNoSecret is returned when the file holds no secret under the alias.
var ErrNoSecret = errors.New("no such secret in the token file")

// maxSize bounds the files ReadSecretFile accepts.
const maxSize = 64 << 20

// ReadSecretFile returns the secret stored under alias in the token file
// at path.
func ReadSecretFile(path, alias string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	if len(b) > maxSize {
		return nil, fmt.Errorf("token file %s: larger than %d bytes", path, maxSize)
	}
	s, err := Secret(b, alias)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return s, nil
}

// Secret returns the secret stored under alias in a token-storage blob.
func Secret(b []byte, alias string) ([]byte, error) {
	if len(b) < 5 || string(b[:4]) != "HDTS" {
		return nil, errors.New("not a Hadoop token storage file (no HDTS header)")
	}
	var secrets map[string][]byte
	var err error
	switch b[4] {
	case 0:
		secrets, err = writableSecrets(b[5:])
	case 1:
		secrets, err = protoSecrets(b[5:])
	default:
		return nil, fmt.Errorf("unknown token storage format %d", b[4])
	}
	if err != nil {
		return nil, err
	}
	s, ok := secrets[alias]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoSecret, alias)
	}
	return s, nil
}

var errShort = errors.New("truncated token file")

type reader struct{ b []byte }

// vlong decodes Hadoop's WritableUtils variable-length integer.
func (r *reader) vlong() (int64, error) {
	if len(r.b) == 0 {
		return 0, errShort
	}
	first := int8(r.b[0])
	r.b = r.b[1:]
	if first >= -112 {
		return int64(first), nil
	}
	neg := first < -120
	n := -112 - int(first)
	if neg {
		n = -120 - int(first)
	}
	if len(r.b) < n {
		return 0, errShort
	}
	var v int64
	for _, c := range r.b[:n] {
		v = v<<8 | int64(c)
	}
	r.b = r.b[n:]
	if neg {
		v = ^v
	}
	return v, nil
}

func (r *reader) bytes() ([]byte, error) {
	n, err := r.vlong()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(r.b)) {
		return nil, errShort
	}
	out := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return out, nil
}

func writableSecrets(b []byte) (map[string][]byte, error) {
	r := &reader{b: b}
	n, err := r.vlong()
	if err != nil || n < 0 {
		return nil, fmt.Errorf("token count: %v", err)
	}
	for i := int64(0); i < n; i++ {
		for f := 0; f < 5; f++ { // alias, identifier, password, kind, service
			if _, err := r.bytes(); err != nil {
				return nil, fmt.Errorf("token %d: %w", i, err)
			}
		}
	}
	if n, err = r.vlong(); err != nil || n < 0 {
		return nil, fmt.Errorf("secret count: %v", err)
	}
	out := map[string][]byte{}
	for i := int64(0); i < n; i++ {
		alias, err := r.bytes()
		if err != nil {
			return nil, fmt.Errorf("secret %d alias: %w", i, err)
		}
		v, err := r.bytes()
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", alias, err)
		}
		out[string(alias)] = v
	}
	return out, nil
}

// varint decodes a protobuf base-128 varint.
func varint(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errShort
}

// fields walks a protobuf message, calling f for each length-delimited
// field and skipping varint and fixed-width ones.
func fields(b []byte, f func(num uint64, v []byte) error) error {
	for len(b) > 0 {
		key, n, err := varint(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch key & 7 {
		case 0:
			if _, n, err = varint(b); err != nil {
				return err
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return errShort
			}
			b = b[8:]
		case 5:
			if len(b) < 4 {
				return errShort
			}
			b = b[4:]
		case 2:
			l, n, err := varint(b)
			if err != nil {
				return err
			}
			if l > uint64(len(b)-n) {
				return errShort
			}
			if err := f(key>>3, b[n:n+int(l)]); err != nil {
				return err
			}
			b = b[n+int(l):]
		default:
			return fmt.Errorf("unsupported protobuf wire type %d", key&7)
		}
	}
	return nil
}

func protoSecrets(b []byte) (map[string][]byte, error) {
	l, n, err := varint(b)
	if err != nil || l > uint64(len(b)-n) {
		return nil, errors.New("bad CredentialsProto length")
	}
	out := map[string][]byte{}
	err = fields(b[n:n+int(l)], func(num uint64, kv []byte) error {
		if num != 2 { // tokens
			return nil
		}
		var alias string
		secret := []byte{}
		if err := fields(kv, func(num uint64, v []byte) error {
			switch num {
			case 1:
				alias = string(v)
			case 3:
				secret = append([]byte(nil), v...)
			}
			return nil
		}); err != nil {
			return err
		}
		out[alias] = secret
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("CredentialsProto: %w", err)
	}
	return out, nil
}
