package yarnrpc

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SASL DIGEST-MD5 client (RFC 2831) as Hadoop uses it for TOKEN auth.
//
// The server's challenge (also carried pre-computed in the NEGOTIATE reply):
//
//	realm="default",nonce="…",qop="auth,auth-int,auth-conf",charset=utf-8,
//	cipher="rc4-40,rc4-56,rc4,des,3des",algorithm=md5-sess
//
// Our response:
//
//	charset=utf-8,username="<b64 id>",realm="default",nonce="…",nc=00000001,
//	cnonce="…",digest-uri="/default",maxbuf=65536,response=<32 hex>,qop=auth[,cipher=3des]
//
// with username = Base64(token identifier), password = Base64(token
// password), digest-uri = <protocol>/<serverId> from the advertised SaslAuth.

const (
	digestNC         = "00000001"
	digestMaxBuf     = 65536
	digestMaxChalLen = 2048 // RFC 2831: a challenge is at most 2048 bytes
)

// digestChallenge is a parsed digest-challenge.
type digestChallenge struct {
	Realms    []string
	Nonce     string
	QOP       []string
	MaxBuf    int
	Charset   string
	Algorithm string
	Ciphers   []string
	Stale     bool
}

// parseDigestKV splits a DIGEST-MD5 directive list ("k=v" or `k="v"`,
// comma separated, with optional white space and empty elements).
func parseDigestKV(b []byte) ([][2]string, error) {
	s := string(b)
	var out [][2]string
	i := 0
	skipWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
			i++
		}
	}
	for {
		skipWS()
		for i < len(s) && s[i] == ',' { // empty list elements
			i++
			skipWS()
		}
		if i >= len(s) {
			return out, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		key := strings.ToLower(s[start:i])
		if key == "" {
			return nil, fmt.Errorf("digest: empty directive name at byte %d", start)
		}
		skipWS()
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("digest: directive %q has no value", key)
		}
		i++
		skipWS()
		var val strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				val.WriteByte(c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("digest: unterminated quoted value for %q", key)
			}
		} else {
			start := i
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			val.WriteString(s[start:i])
		}
		out = append(out, [2]string{key, val.String()})
		skipWS()
		if i < len(s) && s[i] != ',' {
			return nil, fmt.Errorf("digest: expected ',' after %q", key)
		}
	}
}

// parseDigestChallenge parses and validates a server challenge.
func parseDigestChallenge(b []byte) (*digestChallenge, error) {
	if len(b) > digestMaxChalLen {
		return nil, fmt.Errorf("digest: challenge of %d bytes exceeds %d", len(b), digestMaxChalLen)
	}
	kvs, err := parseDigestKV(b)
	if err != nil {
		return nil, err
	}
	c := &digestChallenge{MaxBuf: digestMaxBuf}
	seen := map[string]bool{}
	for _, kv := range kvs {
		k, v := kv[0], kv[1]
		if k != "realm" && seen[k] {
			return nil, fmt.Errorf("digest: directive %q repeated", k)
		}
		seen[k] = true
		switch k {
		case "realm":
			c.Realms = append(c.Realms, v)
		case "nonce":
			c.Nonce = v
		case "qop":
			c.QOP = splitList(v)
		case "maxbuf":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > 1<<24 {
				return nil, fmt.Errorf("digest: bad maxbuf %q", v)
			}
			c.MaxBuf = n
		case "charset":
			if !strings.EqualFold(v, "utf-8") {
				return nil, fmt.Errorf("digest: unsupported charset %q", v)
			}
			c.Charset = "utf-8"
		case "algorithm":
			c.Algorithm = v
		case "cipher":
			c.Ciphers = splitList(v)
		case "stale":
			c.Stale = strings.EqualFold(v, "true")
		}
	}
	if c.Nonce == "" {
		return nil, errors.New("digest: challenge has no nonce")
	}
	if !strings.EqualFold(c.Algorithm, "md5-sess") {
		return nil, fmt.Errorf("digest: algorithm %q, want md5-sess", c.Algorithm)
	}
	if len(c.QOP) == 0 {
		c.QOP = []string{QOPAuth}
	}
	return c, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// digestSession holds the values of one DIGEST-MD5 authentication.
type digestSession struct {
	username, password, realm, nonce, cnonce, digestURI, qop, cipher string
	authzid                                                          string
	charsetUTF8                                                      bool
	maxBuf                                                           int // peer's receive limit
}

// ha1 is H(A1) = MD5({ MD5(user:realm:pass), ":", nonce, ":", cnonce [":" authzid] }).
func (d *digestSession) ha1() [16]byte {
	inner := md5.Sum([]byte(d.username + ":" + d.realm + ":" + d.password))
	a1 := append([]byte{}, inner[:]...)
	a1 = append(a1, ":"+d.nonce+":"+d.cnonce...)
	if d.authzid != "" {
		a1 = append(a1, ":"+d.authzid...)
	}
	return md5.Sum(a1)
}

// digest computes the response value; prefix is "AUTHENTICATE" for the
// client's response and "" for the server's rspauth.
func (d *digestSession) digest(prefix string) string {
	a2 := prefix + ":" + d.digestURI
	if d.qop == QOPAuthInt || d.qop == QOPAuthConf {
		a2 += ":00000000000000000000000000000000"
	}
	ha1 := d.ha1()
	ha2 := md5.Sum([]byte(a2))
	kd := hex.EncodeToString(ha1[:]) + ":" + d.nonce + ":" + digestNC + ":" + d.cnonce + ":" + d.qop + ":" + hex.EncodeToString(ha2[:])
	sum := md5.Sum([]byte(kd))
	return hex.EncodeToString(sum[:])
}

// responseBytes renders the digest-response the client sends.
func (d *digestSession) responseBytes() []byte {
	var b strings.Builder
	if d.charsetUTF8 {
		b.WriteString("charset=utf-8,")
	}
	fmt.Fprintf(&b, "username=%s,", quoteDigest(d.username))
	if d.realm != "" {
		fmt.Fprintf(&b, "realm=%s,", quoteDigest(d.realm))
	}
	fmt.Fprintf(&b, "nonce=%s,nc=%s,cnonce=%s,digest-uri=%s,maxbuf=%d,response=%s,qop=%s",
		quoteDigest(d.nonce), digestNC, quoteDigest(d.cnonce), quoteDigest(d.digestURI), digestMaxBuf, d.digest("AUTHENTICATE"), d.qop)
	if d.cipher != "" {
		fmt.Fprintf(&b, ",cipher=%s", d.cipher)
	}
	if d.authzid != "" {
		fmt.Fprintf(&b, ",authzid=%s", quoteDigest(d.authzid))
	}
	return []byte(b.String())
}

func quoteDigest(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// digestClient is the SASL DIGEST-MD5 mechanism for a Hadoop token.
type digestClient struct {
	token     Token
	protocol  string
	serverID  string
	qopPrefs  []string      // acceptable QOPs in preference order; empty = strongest offered
	newCnonce func() string // fixed in tests
	sess      *digestSession
	done      bool
}

func newDigestClient(t Token, protocol, serverID string, qop []string) *digestClient {
	return &digestClient{token: t, protocol: protocol, serverID: serverID, qopPrefs: qop, newCnonce: randomCnonce}
}

func randomCnonce() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.StdEncoding.EncodeToString(b[:])
}

func (d *digestClient) name() string { return "DIGEST-MD5" }

// chooseQOP picks the first preferred QOP the server offers.
func chooseQOP(offered, prefs []string) (string, error) {
	if len(prefs) == 0 {
		prefs = []string{QOPAuthConf, QOPAuthInt, QOPAuth}
	}
	for _, p := range prefs {
		for _, o := range offered {
			if o == p {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("digest: no common QOP (server offers %v, client accepts %v)", offered, prefs)
}

// chooseCipher picks in the order the JDK client does: strongest first,
// 3des before rc4 at "high", des before rc4-56 at "medium".
func chooseCipher(offered []string) (string, error) {
	for _, p := range [...]string{"3des", "rc4", "des", "rc4-56", "rc4-40"} {
		for _, o := range offered {
			if strings.EqualFold(o, p) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("digest: no supported cipher among %v", offered)
}

// step answers a challenge with a digest-response. An empty challenge (the
// NEGOTIATE reply carried none) yields an empty initial response.
func (d *digestClient) step(challenge []byte) ([]byte, error) {
	if d.sess != nil {
		return nil, errors.New("digest: unexpected second challenge")
	}
	if len(challenge) == 0 {
		return nil, nil
	}
	c, err := parseDigestChallenge(challenge)
	if err != nil {
		return nil, err
	}
	qop, err := chooseQOP(c.QOP, d.qopPrefs)
	if err != nil {
		return nil, err
	}
	s := &digestSession{
		username:    base64.StdEncoding.EncodeToString(d.token.Identifier),
		password:    base64.StdEncoding.EncodeToString(d.token.Password),
		nonce:       c.Nonce,
		cnonce:      d.newCnonce(),
		digestURI:   d.protocol + "/" + d.serverID,
		qop:         qop,
		charsetUTF8: c.Charset == "utf-8",
		maxBuf:      c.MaxBuf,
	}
	if len(c.Realms) > 0 {
		s.realm = c.Realms[0]
	}
	if qop == QOPAuthConf {
		if s.cipher, err = chooseCipher(c.Ciphers); err != nil {
			return nil, err
		}
	}
	d.sess = s
	return s.responseBytes(), nil
}

// finish checks the server's rspauth in the SUCCESS message.
func (d *digestClient) finish(final []byte) error {
	if d.sess == nil {
		return errors.New("digest: server reported success before any challenge")
	}
	kvs, err := parseDigestKV(final)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if kv[0] == "rspauth" {
			want := d.sess.digest("")
			if subtle.ConstantTimeCompare([]byte(kv[1]), []byte(want)) != 1 {
				return errors.New("digest: server rspauth does not match (server does not know the token password)")
			}
			d.done = true
			return nil
		}
	}
	return errors.New("digest: server success message has no rspauth")
}

// layer returns the negotiated security layer, nil for QOP auth.
func (d *digestClient) layer() (securityLayer, error) {
	if !d.done || d.sess.qop == QOPAuth {
		return nil, nil
	}
	return newDigestLayer(d.sess, true)
}
