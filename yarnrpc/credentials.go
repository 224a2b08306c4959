package yarnrpc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Credentials is the content of a Hadoop token-storage file
// (org.apache.hadoop.security.Credentials): tokens and secret keys, each
// under an alias. The NodeManager writes one per container and points
// HADOOP_TOKEN_FILE_LOCATION at it. The zero value is empty and usable.
type Credentials struct {
	tokens  []aliasedToken
	secrets []aliasedSecret
}

type aliasedToken struct {
	alias string
	tok   Token
}

type aliasedSecret struct {
	alias string
	v     []byte
}

// maxCredentialsSize bounds what ReadCredentials accepts.
const maxCredentialsSize = 64 << 20

// ReadCredentials parses a token-storage stream in format 0 (WRITABLE) or
// 1 (PROTOBUF).
func ReadCredentials(r io.Reader) (*Credentials, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCredentialsSize+1))
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	if len(b) > maxCredentialsSize {
		return nil, fmt.Errorf("read credentials: larger than %d bytes", maxCredentialsSize)
	}
	c, err := parseCredentials(b)
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	return c, nil
}

// ReadCredentialsFile reads a token-storage file.
func ReadCredentialsFile(path string) (*Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	defer f.Close() //nolint:errcheck // read-only: a failed close loses nothing
	c, err := ReadCredentials(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// WriteFile writes c in format 0 to path with mode 0600, atomically (temp
// file + rename).
func (c *Credentials) WriteFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tokens-*")
	if err != nil {
		return fmt.Errorf("write credentials %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after a successful rename
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(c.Marshal())
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write credentials %s: %w", path, err)
	}
	return nil
}

// AddToken stores t under alias, replacing a token with the same alias.
func (c *Credentials) AddToken(alias string, t Token) {
	t = t.Clone()
	for i := range c.tokens {
		if c.tokens[i].alias == alias {
			c.tokens[i].tok = t
			return
		}
	}
	c.tokens = append(c.tokens, aliasedToken{alias, t})
}

// Token returns the token stored under alias.
func (c *Credentials) Token(alias string) (Token, bool) {
	for _, at := range c.tokens {
		if at.alias == alias {
			return at.tok.Clone(), true
		}
	}
	return Token{}, false
}

// TokenByKind returns the first token of kind (e.g. KindAMRMToken, whose
// alias and service are empty in the file the NodeManager writes).
func (c *Credentials) TokenByKind(kind string) (Token, bool) {
	for _, at := range c.tokens {
		if at.tok.Kind == kind {
			return at.tok.Clone(), true
		}
	}
	return Token{}, false
}

// TokenAliases lists the token aliases in file order.
func (c *Credentials) TokenAliases() []string {
	out := make([]string, len(c.tokens))
	for i, at := range c.tokens {
		out[i] = at.alias
	}
	return out
}

// SetSecret stores a secret key under alias, replacing any previous one.
func (c *Credentials) SetSecret(alias string, v []byte) {
	v = append([]byte(nil), v...)
	for i := range c.secrets {
		if c.secrets[i].alias == alias {
			c.secrets[i].v = v
			return
		}
	}
	c.secrets = append(c.secrets, aliasedSecret{alias, v})
}

// Secret returns the secret key stored under alias.
func (c *Credentials) Secret(alias string) ([]byte, bool) {
	for _, s := range c.secrets {
		if s.alias == alias {
			return append([]byte(nil), s.v...), true
		}
	}
	return nil, false
}

// SecretAliases lists the secret aliases in file order.
func (c *Credentials) SecretAliases() []string {
	out := make([]string, len(c.secrets))
	for i, s := range c.secrets {
		out[i] = s.alias
	}
	return out
}

// Marshal encodes c as a format-0 (WRITABLE) token-storage file, the
// format Hadoop 2.x and 3.x GA write.
func (c *Credentials) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(credMagic)
	b.WriteByte(credFormatWritable)
	w := writableWriter{&b}
	w.vlong(int64(len(c.tokens)))
	for _, at := range c.tokens {
		w.text(at.alias)
		w.bytes(at.tok.Identifier)
		w.bytes(at.tok.Password)
		w.text(at.tok.Kind)
		w.text(at.tok.Service)
	}
	w.vlong(int64(len(c.secrets)))
	for _, s := range c.secrets {
		w.text(s.alias)
		w.bytes(s.v)
	}
	return b.Bytes()
}

var errBadCredHeader = errors.New("bad header found in token storage")
