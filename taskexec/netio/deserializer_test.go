package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// TestDeserializerSplits cuts one stream of records into buffers of every
// size from 1 byte up, so that lengths and bodies span buffers at every
// possible point, and checks the records come out whole and in order.
func TestDeserializerSplits(t *testing.T) {
	recs := [][]byte{{}, []byte("a"), bytes.Repeat([]byte("b"), 127), bytes.Repeat([]byte("c"), 128),
		bytes.Repeat([]byte("d"), 300), {}, bytes.Repeat([]byte("e"), 20000), []byte("end")}
	var stream []byte
	for _, r := range recs {
		stream = binary.AppendUvarint(stream, uint64(len(r)))
		stream = append(stream, r...)
	}
	for _, size := range []int{1, 2, 3, 7, 64, 127, 128, 129, 1000, len(stream)} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			d := deserializer{max: 1 << 20}
			var got [][]byte
			for off := 0; off < len(stream); off += size {
				d.buf, d.pos = &Buffer{data: stream[off:min(off+size, len(stream))]}, 0
				for {
					rec, ok, err := d.record()
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						break
					}
					got = append(got, append([]byte(nil), rec...))
				}
			}
			if d.partial() {
				t.Fatal("deserializer holds a partial record at the end")
			}
			if len(got) != len(recs) {
				t.Fatalf("got %d records, want %d", len(got), len(recs))
			}
			for i := range recs {
				if !bytes.Equal(got[i], recs[i]) {
					t.Fatalf("record %d: got %d bytes, want %d", i, len(got[i]), len(recs[i]))
				}
			}
		})
	}
}

func TestDeserializerErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"too large", binary.AppendUvarint(nil, 1<<21), ErrRecordTooLarge},
		{"too large spanning", binary.AppendUvarint(nil, 1<<30)[:2], nil},
		{"varint overflow", bytes.Repeat([]byte{0xff}, 11), ErrProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := deserializer{max: 1 << 20, buf: &Buffer{data: tc.in}}
			_, ok, err := d.record()
			if tc.want == nil {
				if err != nil || ok || !d.partial() {
					t.Fatalf("got ok=%v err=%v partial=%v; want a partial length", ok, err, d.partial())
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
