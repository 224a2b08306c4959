package api

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

// TestFrameRoundTrip encodes every message type with its payload and
// decodes it back; the checkpoint messages are among them.
func TestFrameRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		typ  MsgType
		v    any // pointer to a filled payload, nil for none
	}{
		{"heartbeat", MsgHeartbeat, nil},
		{"register", MsgRegister, &Registration{Version: Version, TaskManager: "tm-1", Slots: 4, DataAddress: "h:1", Fingerprint: "fp", PID: 7, Reconnect: true}},
		{"registered", MsgRegistered, &RegistrationReply{Version: Version, HeartbeatMillis: 10, TimeoutMillis: 50}},
		{"refused", MsgRefused, &Error{Version: Version, Error: "unknown TaskManager"}},
		{"deploy", MsgDeploy, &DeployTask{Job: "j", JobName: "n", Attempt: 2, Vertex: 1, Subtask: 3, Slot: 3, Fingerprint: "fp",
			Slots: []SlotLocation{{TaskManager: "tm-1", Slot: 0, DataAddress: "h:1"}}}},
		{"cancel", MsgCancel, &CancelTask{Job: "j", Attempt: 2, Vertex: 1, Subtask: 3}},
		{"shutdown", MsgShutdown, nil},
		{"task update", MsgTaskUpdate, &TaskUpdate{Version: Version, TaskManager: "tm-1", Job: "j", Attempt: 1, Vertex: 0, Subtask: 1,
			State: Failed, Cause: "boom", Unrecoverable: true}},
		{"trigger checkpoint", MsgTriggerCheckpoint, &TriggerCheckpoint{Job: "j", Attempt: 1, Checkpoint: 42, TimestampMillis: 1_700_000_000_000,
			Subtasks: []SubtaskRef{{Vertex: 0, Subtask: 0}, {Vertex: 0, Subtask: 1}}, Savepoint: true}},
		{"acknowledge checkpoint", MsgAcknowledgeCheckpoint, &AcknowledgeCheckpoint{TaskManager: "tm-1", Job: "j", Attempt: 1, Vertex: 2, Subtask: 1,
			Checkpoint: 42, Handles: []StateHandle{{Path: "hdfs:///chk/j/chk-42/x", Size: 1234, KeyGroupStart: 0, KeyGroupEnd: 64, Operator: "op"}}}},
		{"decline checkpoint", MsgDeclineCheckpoint, &DeclineCheckpoint{TaskManager: "tm-1", Job: "j", Attempt: 1, Vertex: 2, Subtask: 1,
			Checkpoint: 42, Cause: "not running"}},
		{"notify checkpoint", MsgNotifyCheckpoint, &NotifyCheckpoint{Job: "j", Attempt: 1, Checkpoint: 42, Aborted: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in any
			if tc.v != nil {
				in = reflect.ValueOf(tc.v).Elem().Interface()
			}
			b, err := EncodeFrame(tc.typ, in)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ReadFrame(bufio.NewReader(bytes.NewReader(b)))
			if err != nil {
				t.Fatal(err)
			}
			if f.Type != tc.typ {
				t.Fatalf("type %s, want %s", f.Type, tc.typ)
			}
			if tc.v == nil {
				if len(f.Payload) != 0 {
					t.Fatalf("payload %q, want none", f.Payload)
				}
				return
			}
			out := reflect.New(reflect.TypeOf(tc.v).Elem())
			if err := f.Decode(out.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out.Elem().Interface(), in) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", out.Elem().Interface(), in)
			}
		})
	}
}

// TestFrameGolden pins the wire bytes.
func TestFrameGolden(t *testing.T) {
	cases := []struct {
		name string
		typ  MsgType
		v    any
		want string // hex
	}{
		{"heartbeat", MsgHeartbeat, nil, "000000020101"},
		{"shutdown", MsgShutdown, nil, "000000020107"},
		{"notify", MsgNotifyCheckpoint, NotifyCheckpoint{Job: "j", Checkpoint: 1},
			"00000028" + "0123" + hex.EncodeToString([]byte(`{"job":"j","attempt":0,"checkpoint":1}`))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeFrame(tc.typ, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.want {
				t.Fatalf("frame %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReadFrameRefuses(t *testing.T) {
	cases := []struct {
		name string
		hex  string
	}{
		{"too short a length", "000000010101"},
		{"beyond the maximum", "7fffffff0101"},
		{"other version", "000000020201"},
		{"truncated payload", "000000050105" + "7b7d"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tc.hex)
			if _, err := ReadFrame(bufio.NewReader(bytes.NewReader(b))); !errors.Is(err, ErrFrame) {
				t.Fatalf("err %v, want ErrFrame", err)
			}
		})
	}
	if _, err := EncodeFrame(MsgDeploy, string(make([]byte, MaxFrameSize))); !errors.Is(err, ErrFrame) {
		t.Fatalf("oversized payload encoded: %v", err)
	}
}

func FuzzReadFrame(f *testing.F) {
	for _, s := range []string{"000000020101", "0000000a0105" + hex.EncodeToString([]byte(`{"job":1}`)), "ffffffff0101"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ReadFrame(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		var d DeployTask
		_ = fr.Decode(&d)
		again, err := EncodeFrame(fr.Type, nil)
		if err != nil || len(again) != 6 {
			t.Fatalf("re-encode: %v", err)
		}
	})
}
