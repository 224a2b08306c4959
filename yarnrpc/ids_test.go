package yarnrpc

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestContainerIDRoundTrip(t *testing.T) {
	app := ApplicationID{ClusterTimestamp: 1700000000123, ID: 7}
	att := ApplicationAttemptID{App: app, Attempt: 2}
	tests := []struct {
		name  string
		id    ContainerID
		text  string
		epoch int64
		seq   int64
	}{
		{"plain", NewContainerID(att, 0, 1), "container_1700000000123_0007_02_000001", 0, 1},
		{"epoch after RM restart", NewContainerID(att, 1, 5), "container_e01_1700000000123_0007_02_000005", 1, 5},
		{"wide fields", NewContainerID(ApplicationAttemptID{App: ApplicationID{ClusterTimestamp: 1, ID: 123456}, Attempt: 345}, 123, 9876543),
			"container_e123_1_123456_345_9876543", 123, 9876543},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.id.String(); got != tc.text {
				t.Fatalf("String = %q, want %q", got, tc.text)
			}
			back, err := ParseContainerID(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if back != tc.id || back.Epoch() != tc.epoch || back.Sequence() != tc.seq {
				t.Fatalf("parse %q = %+v (epoch %d seq %d)", tc.text, back, back.Epoch(), back.Sequence())
			}
			p := &ContainerID{}
			*p = containerIDFromProto(tc.id.proto())
			if *p != tc.id {
				t.Fatalf("proto round trip = %+v", *p)
			}
		})
	}
}

func TestParseIDsRejects(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) error
		in    string
	}{
		{"app no prefix", func(s string) error { _, err := ParseApplicationID(s); return err }, "app_1_1"},
		{"app extra field", func(s string) error { _, err := ParseApplicationID(s); return err }, "application_1_1_1"},
		{"app negative", func(s string) error { _, err := ParseApplicationID(s); return err }, "application_1_-1"},
		{"attempt short", func(s string) error { _, err := ParseApplicationAttemptID(s); return err }, "appattempt_1_0001"},
		{"container short", func(s string) error { _, err := ParseContainerID(s); return err }, "container_1_0001_01"},
		{"container bad epoch", func(s string) error { _, err := ParseContainerID(s); return err }, "container_ex_1_0001_01_000001"},
		{"container seq too big", func(s string) error { _, err := ParseContainerID(s); return err }, "container_1_0001_01_1099511627776"},
		{"node no port", func(s string) error { _, err := ParseNodeID(s); return err }, "host"},
		{"node bad port", func(s string) error { _, err := ParseNodeID(s); return err }, "host:x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.parse(tc.in); err == nil {
				t.Fatalf("parse %q succeeded", tc.in)
			}
		})
	}
}

func TestAppAndAttemptIDs(t *testing.T) {
	tests := []struct {
		name string
		text string
		want ApplicationAttemptID
	}{
		{"padded", "appattempt_1700000000123_0001_000001", ApplicationAttemptID{App: ApplicationID{1700000000123, 1}, Attempt: 1}},
		{"wide", "appattempt_5_12345_1234567", ApplicationAttemptID{App: ApplicationID{5, 12345}, Attempt: 1234567}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseApplicationAttemptID(tc.text)
			if err != nil || got != tc.want || got.String() != tc.text {
				t.Fatalf("ParseApplicationAttemptID(%q) = %v, %v", tc.text, got, err)
			}
			appText := "application_" + tc.text[len("appattempt_"):len(tc.text)-len(tc.text[lastUnderscore(tc.text):])]
			app, err := ParseApplicationID(appText)
			if err != nil || app != tc.want.App || app.String() != appText {
				t.Fatalf("ParseApplicationID(%q) = %v, %v", appText, app, err)
			}
			if a := attemptIDFromProto(tc.want.proto()); a != tc.want {
				t.Fatalf("proto round trip = %v", a)
			}
		})
	}
}

func lastUnderscore(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '_' {
			return i
		}
	}
	return -1
}

func TestNodeID(t *testing.T) {
	n, err := ParseNodeID("nm1.example.com:45454")
	if err != nil || n != (NodeID{"nm1.example.com", 45454}) || n.String() != "nm1.example.com:45454" {
		t.Fatalf("ParseNodeID = %v, %v", n, err)
	}
	if got := nodeIDFromProto(n.proto()); got != n {
		t.Fatalf("proto round trip = %v", got)
	}
}

// TestContainerIDWire pins the wire form of a container id against
// hand-computed bytes (Hadoop's field numbers 1/2/3 and varint encoding).
func TestContainerIDWire(t *testing.T) {
	id := NewContainerID(ApplicationAttemptID{App: ApplicationID{ClusterTimestamp: 2, ID: 1}, Attempt: 1}, 1, 3)
	b, err := proto.Marshal(id.proto())
	if err != nil {
		t.Fatal(err)
	}
	// app_id{id=1,ts=2}; app_attempt_id{application_id{...}, attemptId=1}; id = 1<<40|3
	want := []byte{
		0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,
		0x12, 0x08, 0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x10, 0x01,
		0x18, 0x83, 0x80, 0x80, 0x80, 0x80, 0x20,
	}
	if string(b) != string(want) {
		t.Fatalf("wire = % x\nwant % x", b, want)
	}
}

// FuzzParseContainerID: whatever parses prints back to a form that parses
// to the same id.
func FuzzParseContainerID(f *testing.F) {
	for _, s := range []string{"container_1700000000123_0007_02_000001", "container_e01_1_0001_01_000005", "container_e_1_1_1_1", "container_1_2_3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseContainerID(s)
		if err != nil {
			return
		}
		back, err := ParseContainerID(id.String())
		if err != nil || back != id {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, id, id.String(), back, err)
		}
	})
}
