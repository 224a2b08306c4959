package api

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A control-channel frame (after the HTTP upgrade, both directions):
//
//	 0               4        5        6
//	+---------------+--------+--------+------------------------------+
//	| length uint32 | version| type   | payload: JSON, length-2 bytes |
//	|  big endian   | uint8  | uint8  |  (empty for heartbeats)       |
//	+---------------+--------+--------+------------------------------+
//
// length counts the bytes after itself (version, type and payload) and is at
// most MaxFrameSize; a longer frame, an unknown version or a payload that
// does not decode closes the connection.

// FrameVersion is the control-channel frame version.
const FrameVersion = 1

// MaxFrameSize bounds a frame (version, type and payload) in bytes.
const MaxFrameSize = 4 << 20

// ErrFrame marks a malformed or oversized frame.
var ErrFrame = errors.New("bad control frame")

// MsgType is a frame's message type. Values are wire facts: never reuse
// or renumber one.
type MsgType uint8

// Message types: who sends them and their payload.
const (
	// MsgHeartbeat, both ways, no payload.
	MsgHeartbeat MsgType = 1
	// MsgRegister, TM → JM, Registration: the first frame of a connection.
	MsgRegister MsgType = 2
	// MsgRegistered, JM → TM, RegistrationReply: the answer to MsgRegister.
	MsgRegistered MsgType = 3
	// MsgRefused, JM → TM, Error: registration refused; the JM closes.
	MsgRefused MsgType = 4
	// MsgDeploy, JM → TM, DeployTask.
	MsgDeploy MsgType = 5
	// MsgCancel, JM → TM, CancelTask.
	MsgCancel MsgType = 6
	// MsgShutdown, JM → TM, no payload: the TaskManager exits; the JM closes.
	MsgShutdown MsgType = 7
	// MsgTaskUpdate, TM → JM, TaskUpdate.
	MsgTaskUpdate MsgType = 8

	// Checkpointing (declared for the checkpoint coordinator; 32 and up).

	// MsgTriggerCheckpoint, JM → TM, TriggerCheckpoint: sources inject a barrier.
	MsgTriggerCheckpoint MsgType = 32
	// MsgAcknowledgeCheckpoint, TM → JM, AcknowledgeCheckpoint.
	MsgAcknowledgeCheckpoint MsgType = 33
	// MsgDeclineCheckpoint, TM → JM, DeclineCheckpoint.
	MsgDeclineCheckpoint MsgType = 34
	// MsgNotifyCheckpoint, JM → TM, NotifyCheckpoint: completed or aborted.
	MsgNotifyCheckpoint MsgType = 35

	// Metrics (48 and up).

	// MsgMetrics, TM → JM, MetricReport: the TaskManager's latest figures.
	MsgMetrics MsgType = 48
	// MsgLogRequest, JM → TM, LogRequest: the tail of a log file.
	MsgLogRequest MsgType = 49
	// MsgLogReply, TM → JM, LogReply.
	MsgLogReply MsgType = 50
)

var msgNames = map[MsgType]string{
	MsgHeartbeat: "heartbeat", MsgRegister: "register", MsgRegistered: "registered", MsgRefused: "refused",
	MsgDeploy: "deploy", MsgCancel: "cancel", MsgShutdown: "shutdown", MsgTaskUpdate: "task-update",
	MsgTriggerCheckpoint: "trigger-checkpoint", MsgAcknowledgeCheckpoint: "acknowledge-checkpoint",
	MsgDeclineCheckpoint: "decline-checkpoint", MsgNotifyCheckpoint: "notify-checkpoint",
	MsgMetrics: "metrics", MsgLogRequest: "log-request", MsgLogReply: "log-reply",
}

func (t MsgType) String() string {
	if n, ok := msgNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type-%d", uint8(t))
}

// Frame is one decoded control-channel frame.
type Frame struct {
	Type    MsgType
	Payload []byte
}

// Decode unmarshals the frame's JSON payload into v.
func (f Frame) Decode(v any) error {
	if err := json.Unmarshal(f.Payload, v); err != nil {
		return fmt.Errorf("%w: %s payload: %v", ErrFrame, f.Type, err)
	}
	return nil
}

// EncodeFrame returns the frame for a message of type t with payload v (nil
// for none).
func EncodeFrame(t MsgType, v any) ([]byte, error) {
	var payload []byte
	if v != nil {
		var err error
		if payload, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encode %s: %w", t, err)
		}
	}
	if len(payload)+2 > MaxFrameSize {
		return nil, fmt.Errorf("%w: %s payload of %d bytes exceeds %d", ErrFrame, t, len(payload), MaxFrameSize)
	}
	b := make([]byte, 6+len(payload))
	binary.BigEndian.PutUint32(b, uint32(2+len(payload)))
	b[4], b[5] = FrameVersion, byte(t)
	copy(b[6:], payload)
	return b, nil
}

// ReadFrame reads one frame from r.
func ReadFrame(r *bufio.Reader) (Frame, error) {
	var hdr [6]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	switch {
	case n < 2 || n > MaxFrameSize:
		return Frame{}, fmt.Errorf("%w: length %d (at most %d)", ErrFrame, n, MaxFrameSize)
	case hdr[4] != FrameVersion:
		return Frame{}, fmt.Errorf("%w: version %d, this end speaks %d", ErrFrame, hdr[4], FrameVersion)
	}
	f := Frame{Type: MsgType(hdr[5])}
	if n > 2 {
		f.Payload = make([]byte, n-2)
		if _, err := io.ReadFull(r, f.Payload); err != nil {
			return Frame{}, fmt.Errorf("%w: %s payload: %v", ErrFrame, f.Type, err)
		}
	}
	return f, nil
}
