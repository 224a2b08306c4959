package aggregatedlog

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestParseHadoopFile reads a file a Hadoop 3.4.2 NodeManager aggregated
// (the minicluster's NodeManager 2, a Floe per-job application): both
// containers, every file in the NodeManager's order, and byte-for-byte the
// logs the containers wrote (hashes of the files in the NodeManager's log
// folder before the upload).
func TestParseHadoopFile(t *testing.T) {
	b, err := os.ReadFile("testdata/hadoop-3.4.2-localhost_18051")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		for _, f := range c.Files {
			got = append(got, fmt.Sprintf("%s %s %d", strings.TrimPrefix(c.ID, "container_1796393842310_0001_01_"), f.Name, len(f.Data)))
		}
	}
	want := []string{
		"000001 directory.info 2706", "000001 jobmanager.err 0", "000001 jobmanager.log 6032", "000001 jobmanager.out 95",
		"000001 launch_container.sh 5175", "000001 prelaunch.err 0", "000001 prelaunch.out 100",
		"000002 directory.info 1941", "000002 launch_container.sh 4375", "000002 prelaunch.err 0", "000002 prelaunch.out 100",
		"000002 taskmanager.err 0", "000002 taskmanager.log 548", "000002 taskmanager.out 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("containers and files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, h := range []struct{ c, f, sum string }{
		{"container_1796393842310_0001_01_000001", "jobmanager.log", "92943f6c10b4f84057de8c2e5410e4e90d25b7a977cb6d89cfa45b72396488e4"},
		{"container_1796393842310_0001_01_000002", "taskmanager.log", "c800dc197ba06da5db0db8e171a22ff99a28c5d42641fa5a276491f54e0fdba1"},
	} {
		for _, c := range cs {
			for _, f := range c.Files {
				if c.ID == h.c && f.Name == h.f {
					if s := sha256.Sum256(f.Data); hex.EncodeToString(s[:]) != h.sum {
						t.Errorf("%s %s: sha256 %x, want the container's file %s", h.c, h.f, s, h.sum)
					}
				}
			}
		}
	}
	// A file cut short (an upload that died) is an error, not fewer logs.
	for _, n := range []int{len(b) - 1, len(b) / 2, 10} {
		if _, err := Parse(b[:n]); err == nil || !strings.Contains(err.Error(), "magic") {
			t.Errorf("Parse of the first %d bytes: %v, want no BCFile magic", n, err)
		}
	}
}

// writeVLong is Hadoop's Utils.writeVLong, written from its documented
// ranges, to test the reader on every length.
func writeVLong(out *bytes.Buffer, n int64) {
	switch {
	case n >= -32 && n < 128:
		out.WriteByte(byte(n))
	case n >= -20<<8 && n < 20<<8:
		out.Write([]byte{byte(n>>8 - 52), byte(n)})
	case n >= -16<<16 && n < 16<<16:
		out.Write([]byte{byte(n>>16 - 88), byte(n >> 8), byte(n)})
	case n >= -8<<24 && n < 8<<24:
		out.Write([]byte{byte(n>>24 - 112), byte(n >> 16), byte(n >> 8), byte(n)})
	default:
		l := 4
		for l < 8 && (n < -(1<<(8*l-1)) || n >= 1<<(8*l-1)) {
			l++
		}
		out.WriteByte(byte(l - 129))
		var be [8]byte
		binary.BigEndian.PutUint64(be[:], uint64(n))
		out.Write(be[8-l:])
	}
}

func TestVLong(t *testing.T) {
	vals := []int64{0, 1, -1, 127, -32, 128, -33, 20<<8 - 1, -20 << 8, 20 << 8, -20<<8 - 1, 16<<16 - 1, -16 << 16,
		16 << 16, 8<<24 - 1, -8 << 24, 8 << 24, 1<<31 - 1, -1 << 31, 1 << 31, 1<<39 - 1, -1 << 39, 1 << 47, 1<<55 - 1,
		-1 << 55, 1 << 62, 1<<63 - 1, -1 << 63}
	var buf bytes.Buffer
	for _, v := range vals {
		writeVLong(&buf, v)
	}
	r := &reader{b: buf.Bytes()}
	for _, v := range vals {
		got, err := r.vlong()
		if err != nil || got != v {
			t.Fatalf("vlong: %d (%v), want %d", got, err, v)
		}
	}
	if !r.done() {
		t.Fatalf("%d bytes left", len(r.b)-r.off)
	}
	// Hadoop's own examples: 200 is two bytes (-52, 200), -129 two bytes.
	if b := (&bytes.Buffer{}); true {
		writeVLong(b, 200)
		if !bytes.Equal(b.Bytes(), []byte{0xcc, 0xc8}) {
			t.Fatalf("200 encodes as % x, want cc c8", b.Bytes())
		}
	}
	if _, err := (&reader{b: []byte{0x80 + 2}}).vlong(); err == nil {
		t.Fatal("a first byte of a 3-byte long form is corrupt, not accepted")
	}
	if _, err := (&reader{b: []byte{0xcc}}).vlong(); err == nil {
		t.Fatal("a two-byte vlong cut after one byte is accepted")
	}
}

// tfileWriter builds a TFile of aggregated-log records: data blocks of
// records (with values in several chunks), an index and the tail.
type tfileWriter struct {
	comp   string
	out    bytes.Buffer
	blocks [][3]int64
	cur    bytes.Buffer
}

func writeUTF(b *bytes.Buffer, s string) {
	_ = binary.Write(b, binary.BigEndian, uint16(len(s)))
	b.WriteString(s)
}

func (w *tfileWriter) record(key string, value []byte, chunk int) {
	var k bytes.Buffer
	writeUTF(&k, key)
	writeVLong(&w.cur, int64(k.Len()))
	w.cur.Write(k.Bytes())
	for len(value) > chunk {
		writeVLong(&w.cur, -int64(chunk))
		w.cur.Write(value[:chunk])
		value = value[chunk:]
	}
	writeVLong(&w.cur, int64(len(value)))
	w.cur.Write(value)
}

func (w *tfileWriter) compress(raw []byte) []byte {
	if w.comp != "gz" {
		return raw
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return z.Bytes()
}

func (w *tfileWriter) endBlock() {
	raw := w.cur.Bytes()
	c := w.compress(raw)
	w.blocks = append(w.blocks, [3]int64{int64(w.out.Len()), int64(len(c)), int64(len(raw))})
	w.out.Write(c)
	w.cur.Reset()
}

func writeString(b *bytes.Buffer, s string) {
	writeVLong(b, int64(len(s)))
	b.WriteString(s)
}

func (w *tfileWriter) bytes() []byte {
	var idx bytes.Buffer
	writeString(&idx, w.comp)
	writeVLong(&idx, int64(len(w.blocks)))
	for _, g := range w.blocks {
		for _, v := range g {
			writeVLong(&idx, v)
		}
	}
	c := w.compress(idx.Bytes())
	idxAt := w.out.Len()
	w.out.Write(c)
	metaAt := w.out.Len()
	writeVLong(&w.out, 2)
	writeString(&w.out, "data:TFile.meta") // a meta block the reader skips
	writeString(&w.out, "none")
	for _, v := range []int64{0, 0, 0} {
		writeVLong(&w.out, v)
	}
	writeString(&w.out, "data:BCFile.index")
	writeString(&w.out, w.comp)
	for _, v := range []int64{int64(idxAt), int64(len(c)), int64(idx.Len())} {
		writeVLong(&w.out, v)
	}
	_ = binary.Write(&w.out, binary.BigEndian, int64(metaAt))
	_ = binary.Write(&w.out, binary.BigEndian, [2]int16{1, 0})
	w.out.Write(bcfileMagic)
	return w.out.Bytes()
}

func logValue(files ...string) []byte {
	var b bytes.Buffer
	for i := 0; i+1 < len(files); i += 2 {
		writeUTF(&b, files[i])
		writeUTF(&b, fmt.Sprint(len(files[i+1])))
		b.WriteString(files[i+1])
	}
	return b.Bytes()
}

// TestParseBlocksChunksCompression: records across several data blocks,
// values in many chunks, gz blocks, the metadata keys skipped, and a
// container uploaded twice (rolling aggregation) has its files appended.
func TestParseBlocksChunksCompression(t *testing.T) {
	big := strings.Repeat("a log line\n", 5000)
	for _, comp := range []string{"none", "gz"} {
		w := &tfileWriter{comp: comp}
		w.record("VERSION", []byte{0, 0, 0, 1}, 64)
		w.record("APPLICATION_OWNER", []byte{0, 4, 'r', 'o', 'o', 't'}, 64)
		w.record("container_1_0001_01_000001", logValue("stdout", "hello\n", "jobmanager.log", big), 1000)
		w.endBlock()
		w.record("container_1_0001_01_000002", logValue("taskmanager.log", "tm\n"), 1)
		w.record("container_1_0001_01_000001", logValue("jobmanager.log.1", "rolled\n"), 4096)
		w.endBlock()
		cs, err := Parse(w.bytes())
		if err != nil {
			t.Fatalf("%s: %v", comp, err)
		}
		if len(cs) != 2 || cs[0].ID != "container_1_0001_01_000001" || len(cs[0].Files) != 3 || cs[1].ID != "container_1_0001_01_000002" {
			t.Fatalf("%s: containers %+v", comp, cs)
		}
		if string(cs[0].Files[1].Data) != big || cs[0].Files[2].Name != "jobmanager.log.1" || string(cs[1].Files[0].Data) != "tm\n" {
			t.Fatalf("%s: file contents differ: %q %q", comp, cs[0].Files[2].Name, cs[1].Files[0].Data)
		}
	}
	w := &tfileWriter{comp: "lzo"}
	w.record("container_1_0001_01_000001", logValue("stdout", "x"), 64)
	w.endBlock()
	if _, err := Parse(w.bytes()); err == nil || !strings.Contains(err.Error(), `"lzo" is not supported`) ||
		!strings.Contains(err.Error(), "compression-type") {
		t.Fatalf("lzo: %v, want an error naming the setting to change", err)
	}
	w = &tfileWriter{comp: "none"}
	w.record("container_1_0001_01_000001", append(logValue("stdout", "x")[:9], '9'), 64) // the length field runs past the record
	w.endBlock()
	if _, err := Parse(w.bytes()); err == nil || !strings.Contains(err.Error(), "stdout") {
		t.Fatalf("a log file shorter than its length: %v, want an error naming it", err)
	}
}
