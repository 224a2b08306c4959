package yarnrpc

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for the remote exceptions callers act on. A *RemoteError whose
// Java class matches is reported by errors.Is as the sentinel, so callers
// write errors.Is(err, yarnrpc.ErrStandby) and still reach Class and Message
// with errors.As.
var (
	ErrApplicationNotFound = errors.New("application not found")
	ErrStandby             = errors.New("resourcemanager is standby")
	ErrAccessControl       = errors.New("access denied")
	ErrInvalidToken        = errors.New("invalid token")
	ErrAMNotRegistered     = errors.New("application master not registered")
	ErrAttemptNotFound     = errors.New("application attempt not found")

	// ErrClosed is returned by calls on a Conn (or Failover) after Close.
	ErrClosed = errors.New("yarnrpc: connection closed")
	// ErrConnLost is wrapped into the error of every call that was pending
	// when its connection broke (read error, FATAL, server close).
	ErrConnLost = errors.New("connection lost")
)

// sentinelForClass maps the simple Java class name (after the last '.'
// or '$') to a sentinel. AuthorizationException extends
// AccessControlException on the Java side.
func sentinelForClass(simple string) error {
	switch simple {
	case "ApplicationNotFoundException":
		return ErrApplicationNotFound
	case "StandbyException":
		return ErrStandby
	case "AccessControlException", "AuthorizationException":
		return ErrAccessControl
	case "InvalidToken":
		return ErrInvalidToken
	case "ApplicationMasterNotRegisteredException":
		return ErrAMNotRegistered
	case "ApplicationAttemptNotFoundException":
		return ErrAttemptNotFound
	}
	return nil
}

// RemoteError is an exception thrown by the Hadoop server, as carried in
// RpcResponseHeaderProto (exceptionClassName, errorMsg, errorDetail).
type RemoteError struct {
	// Class is the Java exception class, e.g.
	// "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException".
	Class string
	// Message is the server's message (usually with a Java stack trace).
	Message string
	// Code is the RpcErrorCodeProto number, 0 when absent.
	Code int32
	// Fatal is set when the server closed the connection (status FATAL).
	Fatal bool
}

// Error returns "Class: first line of message".
func (e *RemoteError) Error() string {
	msg := e.Message
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	kind := "remote"
	if e.Fatal {
		kind = "fatal remote"
	}
	if msg == "" {
		return fmt.Sprintf("%s exception %s", kind, e.Class)
	}
	return fmt.Sprintf("%s exception %s: %s", kind, e.Class, msg)
}

// Is reports whether target is the sentinel for e's Java class.
//
// An InvalidToken saying "<attempt> not found in AMRMTokenSecretManager" is
// also ErrAttemptNotFound: the RM drops an attempt's AMRMToken when the
// attempt ends, so that is how an AM that was paused past its end (a
// zombie) learns it, on its next connection.
func (e *RemoteError) Is(target error) bool {
	s := sentinelForClass(simpleClassName(e.Class))
	if target == ErrAttemptNotFound && s == ErrInvalidToken && strings.Contains(e.Message, "not found in AMRMTokenSecretManager") {
		return true
	}
	return s != nil && s == target
}

// simpleClassName strips the package and outer class:
// "a.b.SecretManager$InvalidToken" → "InvalidToken".
func simpleClassName(c string) string {
	if i := strings.LastIndexAny(c, ".$"); i >= 0 {
		return c[i+1:]
	}
	return c
}

// connError marks a transport failure (dial, reset, EOF, FATAL close): the
// request may be retried on another server. It wraps the cause.
type connError struct {
	err error
}

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// IsConnectionError reports whether err is a transport failure (the
// connection could not be made or broke), as opposed to an error the server
// returned for the call or a cancelled context. Failover retries on these.
func IsConnectionError(err error) bool {
	var ce *connError
	return errors.As(err, &ce)
}

// callError adds the operation, method and address to an error.
func callError(method, addr string, err error) error {
	return fmt.Errorf("call %s on %s: %w", method, addr, err)
}
