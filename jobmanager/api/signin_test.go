package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSignInCode: a code is accepted until it expires, and refused when
// it is another application's, tampered with, or not a code at all; the
// secret is not in it.
func TestSignInCode(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	v := NewVerifier(secret)
	now := time.Unix(1_800_000_000, 0)
	code := SignInCode(secret, now.Add(time.Hour))
	if strings.Contains(code, string(secret)) || !strings.HasPrefix(code, "floe1-1800003600-") {
		t.Fatalf("code %q", code)
	}
	if err := v.CheckSignInCode(code, now.Add(59*time.Minute)); err != nil {
		t.Fatalf("valid code refused: %v", err)
	}
	other := SignInCode([]byte("another application's secret!!!!"), now.Add(time.Hour))
	tampered := strings.Replace(code, "1800003600", "1900003600", 1) // a later expiry, same MAC
	flip := map[byte]string{'0': "1"}[code[len(code)-1]]
	if flip == "" {
		flip = "0"
	}
	for name, tc := range map[string]struct {
		code string
		at   time.Time
		want string
	}{
		"expired":       {code, now.Add(61 * time.Minute), "expired"},
		"other secret":  {other, now, "not this application's"},
		"tampered":      {tampered, now, "not this application's"},
		"not a code":    {"hello", now, "not a dashboard sign-in code"},
		"empty":         {"", now, "not a dashboard sign-in code"},
		"no mac":        {"floe1-1800003600", now, "not a dashboard sign-in code"},
		"bad signature": {code[:len(code)-1] + flip, now, "not this application's"},
	} {
		err := v.CheckSignInCode(tc.code, tc.at)
		if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "floe dashboard") {
			t.Errorf("%s: %v, want ErrUnauthenticated saying %q and how to get a code", name, err, tc.want)
		}
	}
}
