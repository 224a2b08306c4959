package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Every control request carries
//
//	Floe-Content-SHA256: <64 hex: SHA-256 of the body>
//	Authorization: Floe-HMAC-SHA256 ts=<unix ms>,nonce=<32 hex>,sig=<64 hex>
//
// with sig = HMAC-SHA256(secret, "floe-control/2\n" + method + "\n" + path +
// "\n" + ts + "\n" + nonce + "\n" + body digest). The signature covers the
// digest header, not the body, so the JobManager authenticates a request
// from its headers alone (VerifyHeader) before it reads a byte of the body,
// and then checks the body against the signed digest (CheckBody). The
// secret never travels; a request is accepted once (nonce) and only near
// its timestamp.

// ContentDigestHeader carries the hex SHA-256 of a signed request's body.
const ContentDigestHeader = "Floe-Content-SHA256"

// AuthScheme is the Authorization scheme of control requests.
const AuthScheme = "Floe-HMAC-SHA256"

// MaxClockSkew bounds how old (or early) a signed request may be.
const MaxClockSkew = 5 * time.Minute

// ErrUnauthenticated is returned for a request without a valid signature.
var ErrUnauthenticated = errors.New("unauthenticated control request")

// ReadSecretFile reads the per-application secret from a file that only
// its owner may read.
func ReadSecretFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s: mode %v lets others read it; chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	s := []byte(strings.TrimSpace(string(b)))
	if len(s) < 16 {
		return nil, fmt.Errorf("secret file %s: secret shorter than 16 bytes", path)
	}
	return s, nil
}

// NewSecret returns a random secret (hex text, safe to store in a file).
func NewSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return []byte(hex.EncodeToString(b)), nil
}

// BodyDigest is the hex SHA-256 of body, as ContentDigestHeader carries it.
func BodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func signature(secret []byte, method, path, ts, nonce, digest string) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "floe-control/2\n%s\n%s\n%s\n%s\n%s", method, path, ts, nonce, digest)
	return hex.EncodeToString(m.Sum(nil))
}

// Sign adds the Authorization header to r for body.
func Sign(r *http.Request, secret []byte, body []byte, now time.Time) error {
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		return err
	}
	ts, nonce := strconv.FormatInt(now.UnixMilli(), 10), hex.EncodeToString(n)
	digest := BodyDigest(body)
	sig := signature(secret, r.Method, r.URL.Path, ts, nonce, digest)
	r.Header.Set(ContentDigestHeader, digest)
	r.Header.Set("Authorization", fmt.Sprintf("%s ts=%s,nonce=%s,sig=%s", AuthScheme, ts, nonce, sig))
	return nil
}

// Verifier checks signed requests and remembers nonces to refuse replays.
type Verifier struct {
	secret []byte
	mu     sync.Mutex
	seen   map[string]time.Time
}

// NewVerifier returns a verifier for secret.
func NewVerifier(secret []byte) *Verifier {
	return &Verifier{secret: secret, seen: map[string]time.Time{}}
}

// Verify checks r's signature over body at time now.
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time) error {
	digest, err := v.VerifyHeader(r, now)
	if err != nil {
		return err
	}
	return CheckBody(digest, body)
}

// CheckBody checks body against the digest VerifyHeader returned.
func CheckBody(digest string, body []byte) error {
	if !hmac.Equal([]byte(BodyDigest(body)), []byte(digest)) {
		return fmt.Errorf("%w: body does not match its signed digest", ErrUnauthenticated)
	}
	return nil
}

// VerifyHeader checks r's signature from its headers alone, at time now,
// and returns the signed body digest for CheckBody. It consumes the nonce:
// a second request with the same one is refused as a replay.
func (v *Verifier) VerifyHeader(r *http.Request, now time.Time) (string, error) {
	h := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(h, AuthScheme+" ")
	if !ok {
		return "", fmt.Errorf("%w: no %s authorization", ErrUnauthenticated, AuthScheme)
	}
	f := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		f[k] = val
	}
	digest := r.Header.Get(ContentDigestHeader)
	ms, err := strconv.ParseInt(f["ts"], 10, 64)
	if err != nil || len(f["nonce"]) != 32 || len(digest) != 64 {
		return "", fmt.Errorf("%w: malformed authorization", ErrUnauthenticated)
	}
	if d := now.Sub(time.UnixMilli(ms)); d > MaxClockSkew || d < -MaxClockSkew {
		return "", fmt.Errorf("%w: timestamp %v off by %v", ErrUnauthenticated, time.UnixMilli(ms).UTC(), d)
	}
	want := signature(v.secret, r.Method, r.URL.Path, f["ts"], f["nonce"], digest)
	if !hmac.Equal([]byte(want), []byte(f["sig"])) {
		return "", fmt.Errorf("%w: bad signature", ErrUnauthenticated)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for n, t := range v.seen {
		if now.Sub(t) > 2*MaxClockSkew {
			delete(v.seen, n)
		}
	}
	if _, dup := v.seen[f["nonce"]]; dup {
		return "", fmt.Errorf("%w: replayed request", ErrUnauthenticated)
	}
	v.seen[f["nonce"]] = now
	return digest, nil
}

// Proof is what the JobManager answers a control-channel handshake with, to
// show the TaskManager it knows the secret too: HMAC-SHA256(secret,
// "floe-control/2 server\n" + the request's nonce), hex.
func Proof(secret []byte, nonce string) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "floe-control/2 server\n%s", nonce)
	return hex.EncodeToString(m.Sum(nil))
}

// nonceOf returns the nonce of a signed request ("" if none).
func nonceOf(r *http.Request) string {
	rest, _ := strings.CutPrefix(r.Header.Get("Authorization"), AuthScheme+" ")
	for _, kv := range strings.Split(rest, ",") {
		if k, val, _ := strings.Cut(strings.TrimSpace(kv), "="); k == "nonce" {
			return val
		}
	}
	return ""
}
