package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A dashboard sign-in code lets the web dashboard's buttons (cancel,
// savepoint, stop) act on a job without the page ever holding the
// application's secret: `floe dashboard` derives a code from the secret
// that expires, the person pastes it once, and the page sends it in the
// body of its mutations (bodies pass YARN's web proxy, which drops the
// Authorization header signed requests use).
//
//	code = "floe1-" expiry "-" hex(HMAC-SHA256(secret, "floe-dashboard/1\n" expiry))
//
// where expiry is the end of its validity in Unix seconds.

const signInPrefix = "floe1-"

// SignInRequest is the body of the dashboard's mutations
// (POST /v1/dashboard/jobs/{id}/{action}).
type SignInRequest struct {
	Code string `json:"code"`
}

// SignInCode returns a dashboard sign-in code for secret valid until.
func SignInCode(secret []byte, until time.Time) string {
	exp := strconv.FormatInt(until.Unix(), 10)
	return signInPrefix + exp + "-" + signInMAC(secret, exp)
}

func signInMAC(secret []byte, exp string) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "floe-dashboard/1\n%s", exp)
	return hex.EncodeToString(m.Sum(nil))
}

// CheckSignInCode checks a dashboard sign-in code at time now.
func (v *Verifier) CheckSignInCode(code string, now time.Time) error {
	rest, ok := strings.CutPrefix(strings.TrimSpace(code), signInPrefix)
	exp, mac, ok2 := strings.Cut(rest, "-")
	if !ok || !ok2 {
		return fmt.Errorf("%w: not a dashboard sign-in code (get one with `floe dashboard`)", ErrUnauthenticated)
	}
	if !hmac.Equal([]byte(signInMAC(v.secret, exp)), []byte(mac)) {
		return fmt.Errorf("%w: the sign-in code is not this application's (get one with `floe dashboard`)", ErrUnauthenticated)
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.After(time.Unix(sec, 0)) {
		return fmt.Errorf("%w: the sign-in code expired at %s (get a new one with `floe dashboard`)", ErrUnauthenticated, time.Unix(sec, 0).UTC().Format(time.RFC3339))
	}
	return nil
}
