package api

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)
	newReq := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "http://jm/v1/jobs", nil)
		return r
	}
	cases := []struct {
		name   string
		tamper func(r *http.Request) ([]byte, time.Time, *Verifier)
		ok     bool
	}{
		{"valid", func(r *http.Request) ([]byte, time.Time, *Verifier) { return []byte("body"), now, NewVerifier(secret) }, true},
		{"other body", func(r *http.Request) ([]byte, time.Time, *Verifier) { return []byte("BODY"), now, NewVerifier(secret) }, false},
		{"other path", func(r *http.Request) ([]byte, time.Time, *Verifier) {
			r.URL.Path = "/v1/jobs/x/cancel"
			return []byte("body"), now, NewVerifier(secret)
		}, false},
		{"other secret", func(r *http.Request) ([]byte, time.Time, *Verifier) {
			return []byte("body"), now, NewVerifier([]byte("another secret of enough length"))
		}, false},
		{"too old", func(r *http.Request) ([]byte, time.Time, *Verifier) {
			return []byte("body"), now.Add(MaxClockSkew + time.Second), NewVerifier(secret)
		}, false},
		{"digest of another body", func(r *http.Request) ([]byte, time.Time, *Verifier) {
			r.Header.Set(ContentDigestHeader, BodyDigest([]byte("BODY")))
			return []byte("BODY"), now, NewVerifier(secret)
		}, false},
		{"no digest", func(r *http.Request) ([]byte, time.Time, *Verifier) {
			r.Header.Del(ContentDigestHeader)
			return []byte("body"), now, NewVerifier(secret)
		}, false},
		{"no header", func(r *http.Request) ([]byte, time.Time, *Verifier) {
			r.Header.Del("Authorization")
			return []byte("body"), now, NewVerifier(secret)
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReq()
			if err := Sign(r, secret, []byte("body"), now); err != nil {
				t.Fatal(err)
			}
			body, at, v := tc.tamper(r)
			err := v.Verify(r, body, at)
			if tc.ok != (err == nil) {
				t.Fatalf("verify: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error %v is not ErrUnauthenticated", err)
			}
		})
	}
	t.Run("replay", func(t *testing.T) {
		r := newReq()
		if err := Sign(r, secret, nil, now); err != nil {
			t.Fatal(err)
		}
		v := NewVerifier(secret)
		if err := v.Verify(r, nil, now); err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(r, nil, now); err == nil || !strings.Contains(err.Error(), "replayed") {
			t.Fatalf("replay accepted: %v", err)
		}
	})
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // WriteFile's mode is under the umask
			t.Fatal(err)
		}
		return p
	}
	if s, err := ReadSecretFile(write("ok", "0123456789abcdef\n", 0o600)); err != nil || string(s) != "0123456789abcdef" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := ReadSecretFile(write("open", "0123456789abcdef", 0o644)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable secret accepted: %v", err)
	}
	if _, err := ReadSecretFile(write("short", "abc", 0o600)); err == nil {
		t.Fatal("short secret accepted")
	}
	if _, err := ReadSecretFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}
