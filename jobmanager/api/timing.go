package api

import (
	"fmt"
	"time"
)

// Timing is the control channel's one heartbeat schedule, declared by the
// JobManager and sent to every TaskManager when it registers. Both ends
// send a heartbeat frame every Interval; an end that reads nothing (not a
// heartbeat, not a message) for Timeout closes the connection. The
// JobManager's core declares a TaskManager lost after the same Timeout
// (heartbeat.timeout), and a TaskManager keeps reconnecting for as long.
type Timing struct {
	Interval time.Duration
	Timeout  time.Duration
}

// DefaultTiming is heartbeat.interval and heartbeat.timeout's defaults.
var DefaultTiming = Timing{Interval: 10 * time.Second, Timeout: 50 * time.Second}

// HandshakeTimeout bounds a control-channel handshake: the TCP connect, the
// signed HTTP upgrade and the registration, each way.
const HandshakeTimeout = 10 * time.Second

// WithDefaults fills a zero Timeout from DefaultTiming; a zero Interval,
// or one not below Timeout, becomes a fifth of Timeout (the ratio of the
// defaults), so a heartbeat or two may be lost before the peer gives up.
func (t Timing) WithDefaults() Timing {
	if t.Timeout <= 0 {
		t.Timeout = DefaultTiming.Timeout
	}
	if t.Interval <= 0 || t.Interval >= t.Timeout {
		t.Interval = t.Timeout / 5
	}
	return t
}

func (t Timing) String() string {
	return fmt.Sprintf("heartbeat every %v, timeout %v", t.Interval, t.Timeout)
}
