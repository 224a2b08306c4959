package netio

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// goldenFrames pins the wire format. Changing these bytes is a protocol
// change: bump protocolVersion and run go test -run Golden -update.
func goldenFrames() []struct {
	name  string
	frame []byte
} {
	id := PartitionID{Job: "job-1", Attempt: 2, Edge: 3, Producer: 4}
	return []struct {
		name  string
		frame []byte
	}{
		{"hello", appendFrame(nil, frameHello, 0, bytes.Repeat([]byte{0xAA}, nonceLen))},
		{"request", appendFrame(nil, frameRequest, 7, appendRequest(nil, request{credit: 4, subpartition: 1, partition: id}))},
		{"credit", appendFrame(nil, frameCredit, 7, []byte{1})},
		{"cancel", appendFrame(nil, frameCancel, 7, nil)},
		{"buffer", appendFrame(nil, frameBuffer, 7, []byte{3, 'a', 'b', 'c', 0, 1, 'z'})},
		{"end-of-partition", appendFrame(nil, frameEvent, 7, appendEvent(nil, endOfPartition))},
		{"watermark", appendFrame(nil, frameEvent, 7, appendEvent(nil, WatermarkEvent(-1)))},
		{"barrier", appendFrame(nil, frameEvent, 7, appendEvent(nil, BarrierEvent(300, 1700000000000)))},
		{"savepoint-barrier", appendFrame(nil, frameEvent, 7, appendEvent(nil, Event{Kind: CheckpointBarrier, CheckpointID: 4, Timestamp: 5, Savepoint: "/sp/a"}))},
		{"stopped", appendFrame(nil, frameEvent, 7, appendEvent(nil, Event{Kind: Stopped}))},
		{"error", appendFrame(nil, frameError, 7, appendError(nil, fmt.Errorf("%w: boom", ErrProducerFailed)))},
	}
}

func TestGoldenFrames(t *testing.T) {
	var sb strings.Builder
	for _, g := range goldenFrames() {
		fmt.Fprintf(&sb, "%-17s %s\n", g.name, hex.EncodeToString(g.frame))
	}
	path := filepath.Join("testdata", "frames.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if sb.String() != string(want) {
		t.Fatalf("frames changed:\n got:\n%s\nwant:\n%s", sb.String(), want)
	}
}

func TestFramesParse(t *testing.T) {
	id := PartitionID{Job: "j", Attempt: 1, Edge: -1, Producer: 9}
	r, err := parseRequest(appendRequest(nil, request{credit: 3, subpartition: 5, partition: id}))
	if err != nil || r.credit != 3 || r.subpartition != 5 || r.partition != id {
		t.Fatalf("request round trip: %+v %v", r, err)
	}
	for _, e := range []Event{endOfPartition, WatermarkEvent(-5), BarrierEvent(1<<40, 9), {Kind: Stopped},
		{Kind: CheckpointBarrier, CheckpointID: 3, Timestamp: 9, Savepoint: "hdfs://nn/sp/savepoint-ab12cd-0011"}} {
		got, err := parseEvent(appendEvent(nil, e))
		if err != nil || got != e {
			t.Fatalf("event round trip %+v: %+v %v", e, got, err)
		}
	}
	re := parseError("addr", appendError(nil, fmt.Errorf("wrapped: %w", ErrPartitionNotFound)))
	if !errors.Is(re, ErrPartitionNotFound) || !strings.Contains(re.Error(), "wrapped") {
		t.Fatalf("error round trip: %v", re)
	}
	bad := []struct {
		name string
		err  error
	}{
		{"request truncated", func() error { _, err := parseRequest([]byte{1, 2}); return err }()},
		{"request job length", func() error {
			b := appendRequest(nil, request{partition: id})
			_, err := parseRequest(b[:len(b)-1])
			return err
		}()},
		{"event unknown kind", func() error { _, err := parseEvent([]byte{9}); return err }()},
		{"event truncated", func() error { _, err := parseEvent([]byte{byte(Watermark)}); return err }()},
		{"event trailing", func() error { _, err := parseEvent([]byte{byte(EndOfPartition), 0}); return err }()},
		{"barrier savepoint truncated", func() error { _, err := parseEvent([]byte{byte(CheckpointBarrier), 2, 2, 5, 'a'}); return err }()},
		{"barrier savepoint empty", func() error { _, err := parseEvent([]byte{byte(CheckpointBarrier), 2, 2, 0}); return err }()},
		{"header version", func() error {
			_, err := readHeader(bytes.NewReader([]byte{9, 1, 0, 0, 0, 0, 0, 0, 0, 0}), new([headerLen]byte))
			return err
		}()},
		{"header control too long", func() error {
			_, err := readHeader(bytes.NewReader(appendFrame(nil, frameEvent, 1, make([]byte, maxControlPayload+1))), new([headerLen]byte))
			return err
		}()},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if !errors.Is(b.err, ErrProtocol) {
				t.Fatalf("got %v, want ErrProtocol", b.err)
			}
		})
	}
}

// FuzzFrameDecode feeds arbitrary bytes to every frame payload decoder and
// to the record deserializer; none may panic, and what decodes must
// re-encode to the same bytes.
func FuzzFrameDecode(f *testing.F) {
	for _, g := range goldenFrames() {
		f.Add(g.frame[headerLen:])
	}
	f.Add([]byte{0x80, 0x80, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := parseRequest(b); err == nil {
			if got := appendRequest(nil, r); !bytes.Equal(got, b) {
				// Varints have several encodings; a canonical re-encoding
				// must parse to the same request.
				if r2, err := parseRequest(got); err != nil || r2 != r {
					t.Fatalf("request %+v re-encodes to %x, parses to %+v %v", r, got, r2, err)
				}
			}
		}
		if e, err := parseEvent(b); err == nil {
			if e2, err := parseEvent(appendEvent(nil, e)); err != nil || e2 != e {
				t.Fatalf("event %+v: %+v %v", e, e2, err)
			}
		}
		_ = parseError("x", b)
		// The deserializer on the same bytes, cut into 7-byte buffers.
		d := deserializer{max: 1 << 16}
		for off := 0; off < len(b); off += 7 {
			d.buf, d.pos = &Buffer{data: b[off:min(off+7, len(b))]}, 0
			for {
				rec, ok, err := d.record()
				if err != nil || !ok {
					break
				}
				if len(rec) > len(b) {
					t.Fatalf("record of %d bytes from %d input bytes", len(rec), len(b))
				}
			}
		}
	})
}
