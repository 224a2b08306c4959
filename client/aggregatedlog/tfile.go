package aggregatedlog

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
)

// A TFile is a BCFile: data blocks, then meta blocks, then the meta index
// and a fixed tail. Numbers are TFile vlongs (vlong.go) unless sized.
//
//	+----------------------+  offset 0
//	| data block 0         |  records: vint keyLen, key, value chunks
//	| data block 1 ...     |
//	+----------------------+
//	| meta blocks          |  "BCFile.index" (the data index), "TFile.index", "TFile.meta"
//	+----------------------+  offsetIndexMeta
//	| meta index           |  vint n; n x { string "data:"+name, string compression, region }
//	+----------------------+  end - 28
//	| int64 offsetIndexMeta|  big-endian
//	| int16 major, minor   |  BCFile version (1.0)
//	| 16 bytes magic       |  d1 11 d3 68 91 b5 d7 b6 39 df 41 40 92 ba e1 50
//	+----------------------+  end
//
//	region      = vlong offset, vlong compressedSize, vlong rawSize
//	data index  = string defaultCompression, vint n, n x region
//	value       = chunks: vint -len, len bytes (more follow) ... vint len>=0, len bytes (last)
//
// Compression is "none" (yarn.nodemanager.log-aggregation.compression-type's
// default) or "gz" (zlib streams, Hadoop's DefaultCodec).

var bcfileMagic = []byte{0xd1, 0x11, 0xd3, 0x68, 0x91, 0xb5, 0xd7, 0xb6, 0x39, 0xdf, 0x41, 0x40, 0x92, 0xba, 0xe1, 0x50}

const tailLen = 8 + 4 + 16

// record is one key/value pair of a TFile.
type record struct{ key, value []byte }

type region struct{ offset, compressed, raw int64 }

func (r *reader) region() (region, error) {
	var g region
	var err error
	if g.offset, err = r.vlong(); err != nil {
		return g, err
	}
	if g.compressed, err = r.vlong(); err != nil {
		return g, err
	}
	g.raw, err = r.vlong()
	return g, err
}

// readTFile returns the records of a whole TFile in b, in file order.
func readTFile(b []byte) ([]record, error) {
	if len(b) < tailLen || !bytes.Equal(b[len(b)-16:], bcfileMagic) {
		return nil, fmt.Errorf("not a TFile: no BCFile magic at its end (%d bytes; is it still being written, or an IndexedFormat file?)", len(b))
	}
	tail := b[len(b)-tailLen:]
	if major := binary.BigEndian.Uint16(tail[8:]); major != 1 {
		return nil, fmt.Errorf("TFile: BCFile version %d.%d, want 1.x", major, binary.BigEndian.Uint16(tail[10:]))
	}
	metaOff := int64(binary.BigEndian.Uint64(tail))
	if metaOff < 0 || metaOff > int64(len(b)-tailLen) {
		return nil, fmt.Errorf("TFile: meta index offset %d outside the file", metaOff)
	}
	mr := &reader{b: b[:len(b)-tailLen], off: int(metaOff)}
	n, err := mr.vint()
	if err != nil {
		return nil, fmt.Errorf("TFile: meta index: %w", err)
	}
	var index *region
	var indexComp string
	for i := 0; i < n; i++ {
		name, err := mr.str()
		if err != nil {
			return nil, fmt.Errorf("TFile: meta index: %w", err)
		}
		comp, err := mr.str()
		if err != nil {
			return nil, fmt.Errorf("TFile: meta index: %w", err)
		}
		g, err := mr.region()
		if err != nil {
			return nil, fmt.Errorf("TFile: meta index: %w", err)
		}
		if name == "data:BCFile.index" {
			index, indexComp = &g, comp
		}
	}
	if index == nil {
		return nil, fmt.Errorf("TFile: no BCFile.index meta block")
	}
	ib, err := block(b, *index, indexComp)
	if err != nil {
		return nil, fmt.Errorf("TFile: data index: %w", err)
	}
	ir := &reader{b: ib}
	comp, err := ir.str()
	if err != nil {
		return nil, fmt.Errorf("TFile: data index: %w", err)
	}
	nb, err := ir.vint()
	if err != nil {
		return nil, fmt.Errorf("TFile: data index: %w", err)
	}
	var out []record
	for i := 0; i < nb; i++ {
		g, err := ir.region()
		if err != nil {
			return nil, fmt.Errorf("TFile: data index: %w", err)
		}
		db, err := block(b, g, comp)
		if err != nil {
			return nil, fmt.Errorf("TFile: data block %d: %w", i, err)
		}
		if out, err = blockRecords(out, db); err != nil {
			return nil, fmt.Errorf("TFile: data block %d: %w", i, err)
		}
	}
	return out, nil
}

// block returns the uncompressed bytes of region g of b.
func block(b []byte, g region, comp string) ([]byte, error) {
	if g.offset < 0 || g.compressed < 0 || g.offset+g.compressed > int64(len(b)) {
		return nil, fmt.Errorf("region [%d, +%d) outside the file of %d bytes", g.offset, g.compressed, len(b))
	}
	raw := b[g.offset : g.offset+g.compressed]
	switch comp {
	case "none":
		return raw, nil
	case "gz":
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("gz block: %w", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, g.raw+1))
		if err != nil {
			return nil, fmt.Errorf("gz block: %w", err)
		}
		if int64(len(out)) != g.raw {
			return nil, fmt.Errorf("gz block: %d bytes uncompressed, the index says %d", len(out), g.raw)
		}
		return out, nil
	}
	return nil, fmt.Errorf("compression %q is not supported (none and gz are; set yarn.nodemanager.log-aggregation.compression-type to one of them)", comp)
}

// blockRecords appends the records of one data block.
func blockRecords(out []record, b []byte) ([]record, error) {
	r := &reader{b: b}
	for !r.done() {
		kl, err := r.vint()
		if err != nil {
			return out, err
		}
		key, err := r.bytes(kl)
		if err != nil {
			return out, err
		}
		var val []byte
		for {
			n, err := r.vint()
			if err != nil {
				return out, err
			}
			last := n >= 0
			if !last {
				n = -n
			}
			p, err := r.bytes(n)
			if err != nil {
				return out, err
			}
			val = append(val, p...)
			if last {
				break
			}
		}
		out = append(out, record{key: key, value: val})
	}
	return out, nil
}
