package jobmanager

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"os"
	"reflect"
	"strings"
	"testing"
)

// goldenMetadata exercises every field of the format: both modes' byte,
// shared and exclusive, keyed and operator handles, several operators and
// subtasks, negative times.
func goldenMetadata() *CheckpointMetadata {
	return &CheckpointMetadata{Job: "j1", ID: 300, Mode: AtLeastOnce, MaxParallelism: 128,
		Triggered: 1_700_000_000_000, Completed: -1,
		Operators: []OperatorState{
			{Vertex: 0, Parallelism: 2, Subtasks: []SubtaskState{
				{Subtask: 0, Handles: []StateHandle{{Operator: "src-uid", Path: "/c/chk-300/src-0", Size: 17}}},
				{Subtask: 1},
			}},
			{Vertex: 3, Parallelism: 1, Subtasks: []SubtaskState{
				{Subtask: 0, Handles: []StateHandle{
					{Operator: "reduce-uid", Path: "/c/shared/a.sst", Size: 1 << 20, KeyGroups: KeyGroupRange{0, 128}, Shared: true},
					{Path: "/c/chk-300/x", Size: 0, KeyGroups: KeyGroupRange{5, 6}},
				}},
			}},
		}}
}

// TestCheckpointMetadataGolden pins the bytes of format version 2: a
// change that alters them must bump the version (go test -update rewrites
// the golden file; review its diff).
func TestCheckpointMetadataGolden(t *testing.T) {
	const path = "testdata/checkpoint/metadata_v2.golden"
	got := EncodeCheckpointMetadata(goldenMetadata())
	dump := hex.Dump(got)
	if *update {
		if err := os.WriteFile(path, []byte(dump), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if dump != string(want) {
		t.Fatalf("encoding differs from %s:\n%s", path, dump)
	}
	back, err := DecodeCheckpointMetadata(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, goldenMetadata()) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, goldenMetadata())
	}
}

// withCRC returns body followed by its valid checksum.
func withCRC(body []byte) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, castagnoli))
}

// TestCheckpointMetadataCorrupt: every defect is refused with
// ErrCorruptMetadata and a reason.
func TestCheckpointMetadataCorrupt(t *testing.T) {
	good := EncodeCheckpointMetadata(goldenMetadata())
	body := good[:len(good)-4]
	flip := append([]byte(nil), good...)
	flip[10] ^= 1
	version := append([]byte(nil), body...)
	version[5] = 3
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "too short", nil},
		{"bad magic", "bad magic", withCRC(append([]byte("FLCX"), body[4:]...))},
		{"future version", "unknown version 3", withCRC(version)},
		{"flipped bit", "checksum", flip},
		{"truncated", "checksum", good[:len(good)-1]},
		{"truncated body", "truncated", withCRC(body[:len(body)-3])},
		{"trailing bytes", "bytes after the last operator", withCRC(append(append([]byte(nil), body...), 0))},
		{"huge count", "value", withCRC(append(append([]byte(nil), body[:6]...), 0xff, 0xff, 0xff, 0xff, 0x0f))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCheckpointMetadata(tc.data)
			if !errors.Is(err, ErrCorruptMetadata) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrCorruptMetadata with %q", err, tc.want)
			}
		})
	}
}

// TestCheckpointMetadataRefusesNonsense: values that decode but describe
// no valid checkpoint are refused.
func TestCheckpointMetadataRefusesNonsense(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(m *CheckpointMetadata)
	}{
		{"subtask beyond parallelism", "subtask 1 of parallelism 1", func(m *CheckpointMetadata) { m.Operators[1].Subtasks[0].Subtask = 1 }},
		{"key groups beyond max parallelism", "key groups", func(m *CheckpointMetadata) { m.MaxParallelism = 64 }},
		{"operators out of order", "out of order", func(m *CheckpointMetadata) { m.Operators[1].Vertex = 0 }},
		{"unknown mode", "unknown mode", func(m *CheckpointMetadata) { m.Mode = 7 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := goldenMetadata()
			tc.edit(m)
			_, err := DecodeCheckpointMetadata(EncodeCheckpointMetadata(m))
			if !errors.Is(err, ErrCorruptMetadata) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrCorruptMetadata with %q", err, tc.want)
			}
		})
	}
}

// FuzzCheckpointMetadataDecode feeds the decoder arbitrary files, and
// arbitrary bodies with a valid checksum (so that the fuzzer gets past it):
// it must never panic nor allocate without bound, and whatever it accepts
// must encode and decode back to the same metadata.
func FuzzCheckpointMetadataDecode(f *testing.F) {
	good := EncodeCheckpointMetadata(goldenMetadata())
	f.Add(good)
	f.Add(good[:len(good)-4])
	f.Add(EncodeCheckpointMetadata(&CheckpointMetadata{}))
	f.Add([]byte("FLCK\x00\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, withCRC(data)} {
			m, err := DecodeCheckpointMetadata(in)
			if err != nil {
				if !errors.Is(err, ErrCorruptMetadata) {
					t.Fatalf("error %v does not wrap ErrCorruptMetadata", err)
				}
				continue
			}
			again, err := DecodeCheckpointMetadata(EncodeCheckpointMetadata(m))
			if err != nil {
				t.Fatalf("re-decoding an accepted file: %v", err)
			}
			if !reflect.DeepEqual(normalize(m), normalize(again)) {
				t.Fatalf("round trip changed the metadata:\n%+v\n%+v", m, again)
			}
			if b := EncodeCheckpointMetadata(again); !bytes.Equal(b, EncodeCheckpointMetadata(m)) {
				t.Fatalf("encoding is not stable")
			}
		}
	})
}

// normalize maps empty slices to nil, which the codec does not tell apart.
func normalize(m *CheckpointMetadata) *CheckpointMetadata {
	c := *m
	c.Operators = nil
	for _, op := range m.Operators {
		o := op
		o.Subtasks = nil
		for _, st := range op.Subtasks {
			s := st
			if len(s.Handles) == 0 {
				s.Handles = nil
			}
			o.Subtasks = append(o.Subtasks, s)
		}
		c.Operators = append(c.Operators, o)
	}
	return &c
}

// TestCheckpointMetadataMaxParallelism: a restore into another max
// parallelism is an error that says so.
func TestCheckpointMetadataMaxParallelism(t *testing.T) {
	m := goldenMetadata()
	if err := m.CheckMaxParallelism(128); err != nil {
		t.Fatalf("same max parallelism: %v", err)
	}
	err := m.CheckMaxParallelism(256)
	if err == nil || !strings.Contains(err.Error(), "pipeline.max-parallelism 128, the job has 256") {
		t.Fatalf("err = %v", err)
	}
}
