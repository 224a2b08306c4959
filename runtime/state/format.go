package state

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// The canonical savepoint format is what both backends write for a
// savepoint and read back, so a job moves from hashmap to Pebble and back
// through one; the hashmap backend also uses it for checkpoints (Flink's
// heap keyed-state snapshot plays the same part). Version 1, all integers
// big-endian unless uvarint, lp = uvarint length then bytes:
//
//	file   := header group* end
//	header := +----------+---------+----------+------------------+--------+--------+
//	          | "FLOESAVE"| version | max par. | states: uvarint  | state* | crc32c |
//	          |  8 bytes  |  u16=1  |   u16    |  count           |        |  u32   |
//	          +----------+---------+----------+------------------+--------+--------+
//	state  := id uvarint | name lp | kind u8 | ttl-ms uvarint
//	group  := +-----+--------+-------------+-------------------+----------------+
//	          | 'G' | kg u16 | length u32  | payload (entries) | crc32c payload |
//	          +-----+--------+-------------+-------------------+----------------+
//	entry  := state id uvarint | key lp | namespace lp | user key lp | value lp
//	end    := 'E' | group count u32
//
// The header crc covers every header byte before it. One group holds all
// entries of one key group (groups ascend; empty groups are left out), so a
// reader restoring a key-group range skips the others by length without
// decoding them. A value of a state with a TTL starts with its expiry time
// (8 bytes, Unix ms); expired values are never written. The user key is
// empty except for map state.

const (
	savepointMagic   = "FLOESAVE"
	savepointVersion = 1
	tagGroup         = 'G'
	tagEnd           = 'E'
	maxNameLen       = 1 << 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// savepointWriter streams the canonical format.
type savepointWriter struct {
	w      io.Writer
	n      int64
	err    error
	kg     int
	block  []byte
	groups uint32
}

func newSavepointWriter(w io.Writer, maxP int, states []*stateMeta) (*savepointWriter, error) {
	h := []byte(savepointMagic)
	h = binary.BigEndian.AppendUint16(h, savepointVersion)
	h = binary.BigEndian.AppendUint16(h, uint16(maxP))
	h = binary.AppendUvarint(h, uint64(len(states)))
	for _, s := range states {
		h = binary.AppendUvarint(h, uint64(s.id))
		h = appendLP(h, []byte(s.name))
		h = append(h, byte(s.kind))
		h = binary.AppendUvarint(h, uint64(s.ttl.Milliseconds()))
	}
	h = binary.BigEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
	sw := &savepointWriter{w: w, kg: -1}
	sw.write(h)
	return sw, sw.err
}

func (sw *savepointWriter) write(b []byte) {
	if sw.err != nil {
		return
	}
	n, err := sw.w.Write(b)
	sw.n += int64(n)
	sw.err = err
}

// group starts key group kg (ascending), ending the previous one.
func (sw *savepointWriter) group(kg int) error {
	if err := sw.flushGroup(); err != nil {
		return err
	}
	sw.kg = kg
	return nil
}

// entry adds one entry to the current group; kn is appendKeyNS(key, ns).
func (sw *savepointWriter) entry(id uint16, kn, uk, v []byte) error {
	key, ns, _, err := splitKeyNS(kn)
	if err != nil {
		return err
	}
	b := binary.AppendUvarint(sw.block, uint64(id))
	b = appendLP(b, key)
	b = appendLP(b, ns)
	b = appendLP(b, uk)
	sw.block = appendLP(b, v)
	return nil
}

func (sw *savepointWriter) flushGroup() error {
	if len(sw.block) > 0 {
		if len(sw.block) > math.MaxUint32 {
			return fmt.Errorf("write savepoint: key group %d holds %d bytes, more than 4 GiB", sw.kg, len(sw.block))
		}
		h := []byte{tagGroup}
		h = binary.BigEndian.AppendUint16(h, uint16(sw.kg))
		h = binary.BigEndian.AppendUint32(h, uint32(len(sw.block)))
		sw.write(h)
		sw.write(sw.block)
		sw.write(binary.BigEndian.AppendUint32(nil, crc32.Checksum(sw.block, castagnoli)))
		sw.groups++
		sw.block = sw.block[:0]
	}
	return sw.err
}

// finish writes the end frame and reports the bytes written.
func (sw *savepointWriter) finish() (int64, error) {
	if err := sw.flushGroup(); err != nil {
		return sw.n, err
	}
	sw.write(binary.BigEndian.AppendUint32([]byte{tagEnd}, sw.groups))
	return sw.n, sw.err
}

// savedState is a state named in a savepoint header.
type savedState struct {
	id   uint16
	name string
	kind Kind
	ttl  int64 // ms
}

// savepointReader decodes the canonical format; every error wraps
// ErrCorrupt (or the reader's own error) and none panics.
type savepointReader struct {
	r      *bufio.Reader
	crc    hash.Hash32
	maxP   int
	states map[uint16]savedState
	groups uint32
	lastKG int
	done   bool
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: savepoint: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// eofCorrupt turns an early end of input into a corruption error.
func eofCorrupt(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corruptf("truncated in %s", what)
	}
	return fmt.Errorf("read savepoint %s: %w", what, err)
}

func newSavepointReader(r io.Reader) (*savepointReader, error) {
	sr := &savepointReader{r: bufio.NewReaderSize(r, 64<<10), crc: crc32.New(castagnoli), states: map[uint16]savedState{}, lastKG: -1}
	magic, err := sr.readHeader(len(savepointMagic))
	if err != nil {
		return nil, eofCorrupt(err, "magic")
	}
	if string(magic) != savepointMagic {
		return nil, corruptf("bad magic %q (not a Floe savepoint)", magic)
	}
	vm, err := sr.readHeader(4)
	if err != nil {
		return nil, eofCorrupt(err, "header")
	}
	if v := binary.BigEndian.Uint16(vm); v != savepointVersion {
		return nil, corruptf("version %d, this Floe reads version %d", v, savepointVersion)
	}
	sr.maxP = int(binary.BigEndian.Uint16(vm[2:]))
	if sr.maxP == 0 || sr.maxP > MaxKeyGroups {
		return nil, corruptf("max parallelism %d", sr.maxP)
	}
	n, err := sr.headerUvarint()
	if err != nil {
		return nil, err
	}
	if n > math.MaxUint16 {
		return nil, corruptf("%d states", n)
	}
	names := map[string]bool{}
	for i := uint64(0); i < n; i++ {
		id, err := sr.headerUvarint()
		if err != nil {
			return nil, err
		}
		ln, err := sr.headerUvarint()
		if err != nil {
			return nil, err
		}
		if ln == 0 || ln > maxNameLen {
			return nil, corruptf("state name of %d bytes", ln)
		}
		name, err := sr.readHeader(int(ln))
		if err != nil {
			return nil, eofCorrupt(err, "state name")
		}
		kind, err := sr.readHeader(1)
		if err != nil {
			return nil, eofCorrupt(err, "state kind")
		}
		ttl, err := sr.headerUvarint()
		if err != nil {
			return nil, err
		}
		k := Kind(kind[0])
		if k < KindValue || k > KindAggregating {
			return nil, corruptf("state %q has unknown kind %d", name, kind[0])
		}
		if _, dup := sr.states[uint16(id)]; dup || id > math.MaxUint16 || names[string(name)] || ttl > math.MaxInt64/2 {
			return nil, corruptf("state %q: duplicate or bad id %d / ttl %d", name, id, ttl)
		}
		names[string(name)] = true
		sr.states[uint16(id)] = savedState{id: uint16(id), name: string(name), kind: k, ttl: int64(ttl)}
	}
	want := sr.crc.Sum32()
	var c [4]byte
	if _, err := io.ReadFull(sr.r, c[:]); err != nil {
		return nil, eofCorrupt(err, "header checksum")
	}
	if got := binary.BigEndian.Uint32(c[:]); got != want {
		return nil, corruptf("header checksum %08x, computed %08x", got, want)
	}
	return sr, nil
}

func (sr *savepointReader) readHeader(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(sr.r, b); err != nil {
		return nil, err
	}
	sr.crc.Write(b)
	return b, nil
}

func (sr *savepointReader) headerUvarint() (uint64, error) {
	var buf [binary.MaxVarintLen64]byte
	for i := range buf {
		b, err := sr.r.ReadByte()
		if err != nil {
			return 0, eofCorrupt(err, "header")
		}
		buf[i] = b
		if b < 0x80 {
			sr.crc.Write(buf[:i+1])
			v, k := binary.Uvarint(buf[:i+1])
			if k <= 0 {
				return 0, corruptf("bad uvarint in header")
			}
			return v, nil
		}
	}
	return 0, corruptf("uvarint overflow in header")
}

// next returns the next key group and its payload, skipping (without
// keeping) groups for which want is false; io.EOF after the end frame.
func (sr *savepointReader) next(want func(kg int) bool) (int, []byte, error) {
	for {
		if sr.done {
			return 0, nil, io.EOF
		}
		tag, err := sr.r.ReadByte()
		if err != nil {
			return 0, nil, eofCorrupt(err, "frame tag")
		}
		switch tag {
		case tagEnd:
			var c [4]byte
			if _, err := io.ReadFull(sr.r, c[:]); err != nil {
				return 0, nil, eofCorrupt(err, "end frame")
			}
			if n := binary.BigEndian.Uint32(c[:]); n != sr.groups {
				return 0, nil, corruptf("end frame counts %d key groups, read %d", n, sr.groups)
			}
			sr.done = true
			return 0, nil, io.EOF
		case tagGroup:
		default:
			return 0, nil, corruptf("unknown frame tag 0x%02x", tag)
		}
		var h [6]byte
		if _, err := io.ReadFull(sr.r, h[:]); err != nil {
			return 0, nil, eofCorrupt(err, "key group frame")
		}
		kg := int(binary.BigEndian.Uint16(h[:]))
		n := int64(binary.BigEndian.Uint32(h[2:]))
		if kg >= sr.maxP || kg <= sr.lastKG {
			return 0, nil, corruptf("key group %d after %d (max parallelism %d)", kg, sr.lastKG, sr.maxP)
		}
		sr.lastKG = kg
		sr.groups++
		if !want(kg) {
			if _, err := io.CopyN(io.Discard, sr.r, n+4); err != nil {
				return 0, nil, eofCorrupt(err, "key group payload")
			}
			continue
		}
		// Read in steps so that a corrupt length cannot allocate 4 GiB
		// before the input runs out.
		var payload []byte
		for int64(len(payload)) < n {
			step := min(n-int64(len(payload)), 1<<20)
			payload = append(payload, make([]byte, step)...)
			if _, err := io.ReadFull(sr.r, payload[int64(len(payload))-step:]); err != nil {
				return 0, nil, eofCorrupt(err, "key group payload")
			}
		}
		var c [4]byte
		if _, err := io.ReadFull(sr.r, c[:]); err != nil {
			return 0, nil, eofCorrupt(err, "key group checksum")
		}
		if got, want := binary.BigEndian.Uint32(c[:]), crc32.Checksum(payload, castagnoli); got != want {
			return 0, nil, corruptf("key group %d checksum %08x, computed %08x", kg, got, want)
		}
		return kg, payload, nil
	}
}

// entries calls fn for each entry of a group payload.
func (sr *savepointReader) entries(payload []byte, fn func(s savedState, key, ns, uk, v []byte) error) error {
	for len(payload) > 0 {
		id, k := binary.Uvarint(payload)
		if k <= 0 {
			return corruptf("bad state id")
		}
		s, ok := sr.states[uint16(id)]
		if !ok || id > math.MaxUint16 {
			return corruptf("entry of undeclared state %d", id)
		}
		payload = payload[k:]
		var key, ns, uk, v []byte
		var err error
		for _, p := range []*[]byte{&key, &ns, &uk, &v} {
			if *p, payload, err = readLP(payload); err != nil {
				return fmt.Errorf("savepoint entry of state %q: %w", s.name, err)
			}
		}
		if s.ttl > 0 && len(v) < ttlHeader {
			return corruptf("value of state %q lacks its TTL header", s.name)
		}
		if err := fn(s, key, ns, uk, v); err != nil {
			return err
		}
	}
	return nil
}

// restoreCanonical loads the entries of c's key-group range from each
// reader into c (the states are declared from the headers).
func restoreCanonical(c *keyedCore, rs []io.Reader) error {
	for i, r := range rs {
		sr, err := newSavepointReader(r)
		if err != nil {
			return fmt.Errorf("restore savepoint %d of %d: %w", i+1, len(rs), err)
		}
		if sr.maxP != c.maxP {
			return fmt.Errorf("restore savepoint %d of %d: it has max parallelism %d, the job %d (max parallelism cannot change)", i+1, len(rs), sr.maxP, c.maxP)
		}
		local := map[uint16]*stateMeta{}
		for id, s := range sr.states {
			m, err := c.declare(s.name, s.kind, TTLConfig{TTL: msDuration(s.ttl)})
			if err != nil {
				return fmt.Errorf("restore savepoint %d of %d: %w", i+1, len(rs), err)
			}
			local[id] = m
		}
		var kn []byte
		for {
			kg, payload, err := sr.next(c.rng.Contains)
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("restore savepoint %d of %d: %w", i+1, len(rs), err)
			}
			err = sr.entries(payload, func(s savedState, key, ns, uk, v []byte) error {
				kn = appendKeyNS(kn[:0], key, ns)
				var ukc []byte
				if s.kind == KindMap {
					ukc = append([]byte{}, uk...)
				}
				return c.st.put(local[s.id], kg, kn, ukc, append([]byte(nil), v...))
			})
			if err != nil {
				return fmt.Errorf("restore savepoint %d of %d, key group %d: %w", i+1, len(rs), kg, err)
			}
		}
	}
	return nil
}
