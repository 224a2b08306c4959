package jobmanager

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"sort"
)

// The _metadata file of a completed checkpoint (Flink's counterpart is
// org.apache.flink.runtime.checkpoint.Checkpoints with MetadataV3Serializer:
// a magic number, a version, then the operator states). Integers are
// unsigned varints (u) or zig-zag varints (s); a string is its length (u)
// then its bytes. The trailing CRC-32C covers every byte before it, so a
// torn or corrupt file is refused instead of restoring wrong state.
//
//	+--------+---------+-----------------------------------------------+---------+
//	| "FLCK" | version |                     body                      | crc32c  |
//	| 4 B    | u16 BE  |                                               | u32 BE  |
//	+--------+---------+-----------------------------------------------+---------+
//
//	body:    job str | id u | mode u8 | max-parallelism u | triggered s | completed s
//	         | n-operators u | operator…
//	operator: vertex u | parallelism u | n-subtasks u | subtask…
//	subtask:  index u | n-handles u | handle…
//	handle:   flags u8 (bit 0 shared, bit 1 keyed) | operator str | path str | size u
//	          | [key-group start u | key-group end u]   (when keyed)
const (
	checkpointMetadataMagic   = "FLCK"
	checkpointMetadataVersion = 2 // 2: handles name their operator
	handleShared              = 1 << 0
	handleKeyed               = 1 << 1
)

// ErrCorruptMetadata is returned (wrapped) for a _metadata file that is
// not a valid checkpoint description.
var ErrCorruptMetadata = errors.New("corrupt checkpoint metadata")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// EncodeCheckpointMetadata returns the bytes of m's _metadata file.
func EncodeCheckpointMetadata(m *CheckpointMetadata) []byte {
	b := append([]byte(checkpointMetadataMagic), 0, checkpointMetadataVersion)
	b = appendString(b, m.Job)
	b = binary.AppendUvarint(b, uint64(m.ID))
	b = append(b, byte(m.Mode))
	b = binary.AppendUvarint(b, uint64(m.MaxParallelism))
	b = binary.AppendVarint(b, m.Triggered)
	b = binary.AppendVarint(b, m.Completed)
	b = binary.AppendUvarint(b, uint64(len(m.Operators)))
	for _, op := range m.Operators {
		b = binary.AppendUvarint(b, uint64(op.Vertex))
		b = binary.AppendUvarint(b, uint64(op.Parallelism))
		b = binary.AppendUvarint(b, uint64(len(op.Subtasks)))
		for _, st := range op.Subtasks {
			b = binary.AppendUvarint(b, uint64(st.Subtask))
			b = binary.AppendUvarint(b, uint64(len(st.Handles)))
			for _, h := range st.Handles {
				var flags byte
				if h.Shared {
					flags |= handleShared
				}
				if !h.KeyGroups.Empty() {
					flags |= handleKeyed
				}
				b = append(b, flags)
				b = appendString(b, h.Operator)
				b = appendString(b, h.Path)
				b = binary.AppendUvarint(b, uint64(h.Size))
				if flags&handleKeyed != 0 {
					b = binary.AppendUvarint(b, uint64(h.KeyGroups.Start))
					b = binary.AppendUvarint(b, uint64(h.KeyGroups.End))
				}
			}
		}
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// DecodeCheckpointMetadata parses a _metadata file. Any defect (bad magic,
// unknown version, checksum mismatch, truncation, trailing bytes, counts or
// values out of range) is an error wrapping ErrCorruptMetadata.
func DecodeCheckpointMetadata(data []byte) (*CheckpointMetadata, error) {
	m, err := decodeCheckpointMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptMetadata, err)
	}
	return m, nil
}

func decodeCheckpointMetadata(data []byte) (*CheckpointMetadata, error) {
	if len(data) < len(checkpointMetadataMagic)+2+4 {
		return nil, fmt.Errorf("%d bytes is too short", len(data))
	}
	if string(data[:4]) != checkpointMetadataMagic {
		return nil, fmt.Errorf("bad magic %q", data[:4])
	}
	if v := binary.BigEndian.Uint16(data[4:6]); v != checkpointMetadataVersion {
		return nil, fmt.Errorf("unknown version %d (this build reads %d)", v, checkpointMetadataVersion)
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return nil, fmt.Errorf("checksum %08x, want %08x", got, sum)
	}
	r := &metaReader{b: body[6:]}
	m := &CheckpointMetadata{Job: r.str()}
	m.ID = int64(r.uint(math.MaxInt64))
	m.Mode = CheckpointMode(r.byte())
	if m.Mode > AtLeastOnce {
		r.fail(fmt.Errorf("unknown mode %d", m.Mode))
	}
	m.MaxParallelism = r.int()
	m.Triggered, m.Completed = r.varint(), r.varint()
	nOps := r.count(3)
	for i := 0; i < nOps && r.err == nil; i++ {
		op := OperatorState{Vertex: r.int(), Parallelism: r.int()}
		nSubs := r.count(2)
		for j := 0; j < nSubs && r.err == nil; j++ {
			st := SubtaskState{Subtask: r.int()}
			if st.Subtask >= op.Parallelism {
				r.fail(fmt.Errorf("vertex %d: subtask %d of parallelism %d", op.Vertex, st.Subtask, op.Parallelism))
			}
			nHandles := r.count(4)
			for k := 0; k < nHandles && r.err == nil; k++ {
				flags := r.byte()
				if flags&^(handleShared|handleKeyed) != 0 {
					r.fail(fmt.Errorf("unknown handle flags %#x", flags))
				}
				h := StateHandle{Shared: flags&handleShared != 0, Operator: r.str(), Path: r.str(), Size: int64(r.uint(math.MaxInt64))}
				if flags&handleKeyed != 0 {
					h.KeyGroups = KeyGroupRange{Start: r.int(), End: r.int()}
					if h.KeyGroups.Empty() || h.KeyGroups.End > m.MaxParallelism {
						r.fail(fmt.Errorf("key groups %d..%d outside 0..%d", h.KeyGroups.Start, h.KeyGroups.End, m.MaxParallelism))
					}
				}
				st.Handles = append(st.Handles, h)
			}
			op.Subtasks = append(op.Subtasks, st)
		}
		m.Operators = append(m.Operators, op)
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail(fmt.Errorf("%d bytes after the last operator", len(r.b)))
	}
	if r.err == nil && !metadataSorted(m) {
		r.fail(errors.New("operators or subtasks out of order"))
	}
	return m, r.err
}

func metadataSorted(m *CheckpointMetadata) bool {
	if !sort.SliceIsSorted(m.Operators, func(i, j int) bool { return m.Operators[i].Vertex < m.Operators[j].Vertex }) {
		return false
	}
	for i, op := range m.Operators {
		if i > 0 && m.Operators[i-1].Vertex == op.Vertex {
			return false
		}
		for j := 1; j < len(op.Subtasks); j++ {
			if op.Subtasks[j-1].Subtask >= op.Subtasks[j].Subtask {
				return false
			}
		}
	}
	return true
}

// metaReader reads the body; the first error sticks and every later read
// returns zero values, so the decoder checks once per loop.
type metaReader struct {
	b   []byte
	err error
}

func (r *metaReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *metaReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail(errors.New("truncated"))
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *metaReader) uint(limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errors.New("truncated or overlong varint"))
		return 0
	}
	r.b = r.b[n:]
	if v > limit {
		r.fail(fmt.Errorf("value %d > %d", v, limit))
		return 0
	}
	return v
}

func (r *metaReader) int() int { return int(r.uint(math.MaxInt32)) }

func (r *metaReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errors.New("truncated or overlong varint"))
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number of items that take at least minBytes each, and
// refuses one the remaining bytes cannot hold (no huge allocations).
func (r *metaReader) count(minBytes int) int {
	n := r.uint(math.MaxInt32)
	if n > uint64(len(r.b)/minBytes) {
		r.fail(fmt.Errorf("count %d exceeds the %d bytes left", n, len(r.b)))
		return 0
	}
	return int(n)
}

func (r *metaReader) str() string {
	n := r.uint(math.MaxInt32)
	if n > uint64(len(r.b)) {
		r.fail(fmt.Errorf("string of %d bytes exceeds the %d left", n, len(r.b)))
	}
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
