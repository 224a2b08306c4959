package stream

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// TestStateEncodingGolden pins the bytes of every state the sources and
// the file sink put in checkpoints and savepoints: a change here breaks
// restoring older checkpoints and must be a new version.
func TestStateEncodingGolden(t *testing.T) {
	w := &FileWriter[string]{uid: "0123abcd89abcdef2", counter: 5}
	w.o.Subtask = 3
	ws, _ := w.State()
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"stride split", strideCursor{id: 1, next: 7, stride: 3}.state("generator").Data, "01010703"},
		{"file split", fileSplit{path: "/f", start: 10, end: 300, next: 150, aligned: true}.state().Data, "01022f660aac02960101"},
		{"fresh file split", fileSplit{path: "/f", start: 10, end: 300}.state().Data, "01022f660aac020a00"},
		{"sink entry", encodeSinkEntry([]byte("st"), []Committable{Committable("ab")}), "0102737401026162"},
		{"file writer state", ws, "011130313233616263643839616263646566320305"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hex.EncodeToString(tc.got); got != tc.want {
				t.Fatalf("bytes %s, want %s", got, tc.want)
			}
		})
	}
	if st := (strideCursor{id: 1}).state("generator"); st.ID != "generator-1" {
		t.Fatalf("stride split id %q", st.ID)
	}
	if st := (fileSplit{path: "/f", start: 10}).state(); st.ID != "/f@10" {
		t.Fatalf("file split id %q", st.ID)
	}
}

// FuzzSinkEntry: the sink state decoder never panics, and what it accepts
// encodes back to the same bytes.
func FuzzSinkEntry(f *testing.F) {
	f.Add(encodeSinkEntry([]byte("st"), []Committable{Committable("ab")}))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, cs, err := decodeSinkEntry(b)
		if err != nil {
			return
		}
		if again := encodeSinkEntry(st, cs); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded %x, was %x", again, b)
		}
	})
}

// FuzzSplitAndWriterState: the split and file-writer state decoders never
// panic, and what they accept encodes back to the same bytes.
func FuzzSplitAndWriterState(f *testing.F) {
	f.Add(fileSplit{path: "/f", start: 10, end: 300, next: 150, aligned: true}.state().Data)
	f.Add(strideCursor{id: 1, next: 7, stride: 3}.state("g").Data)
	f.Add([]byte("\x01\x110123abcd89abcdef2\x03\x05"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := decodeFileSplit(SplitState{ID: "x", Data: b}); err == nil {
			if again := s.state().Data; !bytes.Equal(again, b) && s.aligned {
				t.Fatalf("file split re-encoded %x, was %x", again, b)
			}
		}
		r := &strideReader[int]{src: &strideSource[int]{name: "g"}}
		if err := r.AddSplits([]SplitState{{ID: "x", Data: b}}); err == nil {
			if again := r.cursors[0].state("g").Data; !bytes.Equal(again, b) {
				t.Fatalf("stride split re-encoded %x, was %x", again, b)
			}
		}
		if ws, err := decodeWriterState(b); err == nil {
			w := &FileWriter[string]{uid: ws.uid, counter: ws.counter}
			w.o.Subtask = ws.subtask
			if again, _ := w.State(); !bytes.Equal(again, b) {
				t.Fatalf("writer state re-encoded %x, was %x", again, b)
			}
		}
	})
}
