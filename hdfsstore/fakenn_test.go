package hdfsstore

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// fakeNameNode speaks just enough of Hadoop IPC for colinmarc: it reads the
// connection preamble and request frames and answers each call with what
// handle returns (an error header when class is not "").
type fakeNameNode struct {
	ln     net.Listener
	handle func(method string) (class, msg string, body []byte)
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func startFakeNameNode(t *testing.T, handle func(method string) (string, string, []byte)) *fakeNameNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNameNode{ln: ln, handle: handle}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.stop)
	return f
}

func (f *fakeNameNode) addr() string { return f.ln.Addr().String() }

func (f *fakeNameNode) stop() {
	// Teardown: a failed close leaves nothing for a test to check.
	_ = f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fakeNameNode) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.conn(c)
		}()
	}
}

func (f *fakeNameNode) conn(c net.Conn) {
	defer c.Close()
	pre := make([]byte, 7) // "hrpc", version, service class, auth
	if _, err := io.ReadFull(c, pre); err != nil {
		return
	}
	for {
		var n uint32
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			return
		}
		frame := make([]byte, n)
		if _, err := io.ReadFull(c, frame); err != nil {
			return
		}
		rrh, rest := delimited(frame)
		rh, _ := delimited(rest)
		callID := int32(-1)
		forEachField(rrh, func(num protowire.Number, v uint64, _ []byte) {
			if num == 3 {
				callID = int32(protowire.DecodeZigZag(v))
			}
		})
		if callID < 0 {
			continue // connection context: no answer
		}
		method := ""
		forEachField(rh, func(num protowire.Number, _ uint64, b []byte) {
			if num == 1 {
				method = string(b)
			}
		})
		class, msg, body := f.handle(method)
		var hdr []byte
		hdr = protowire.AppendTag(hdr, 1, protowire.VarintType)
		hdr = protowire.AppendVarint(hdr, uint64(uint32(callID)))
		hdr = protowire.AppendTag(hdr, 2, protowire.VarintType)
		if class != "" {
			hdr = protowire.AppendVarint(hdr, 1) // ERROR
			hdr = protowire.AppendTag(hdr, 4, protowire.BytesType)
			hdr = protowire.AppendString(hdr, class)
			hdr = protowire.AppendTag(hdr, 5, protowire.BytesType)
			hdr = protowire.AppendString(hdr, msg)
			hdr = protowire.AppendTag(hdr, 6, protowire.VarintType)
			hdr = protowire.AppendVarint(hdr, 1)
		} else {
			hdr = protowire.AppendVarint(hdr, 0)
		}
		out := protowire.AppendBytes(nil, hdr)
		if class == "" {
			out = protowire.AppendBytes(out, body)
		}
		frameOut := binary.BigEndian.AppendUint32(nil, uint32(len(out)))
		if _, err := c.Write(append(frameOut, out...)); err != nil {
			return
		}
	}
}

func delimited(b []byte) (msg, rest []byte) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, nil
	}
	return v, b[n:]
}

func forEachField(b []byte, f func(num protowire.Number, v uint64, bytes []byte)) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return
			}
			f(num, v, nil)
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return
			}
			f(num, 0, v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return
			}
			b = b[n:]
		}
	}
}

// fileStatus encodes a GetFileInfoResponseProto holding one
// HdfsFileStatusProto of a file.
func fileStatus(path string, size, mtime uint64) []byte {
	var st []byte
	st = protowire.AppendTag(st, 1, protowire.VarintType)
	st = protowire.AppendVarint(st, 2) // IS_FILE
	st = protowire.AppendTag(st, 2, protowire.BytesType)
	st = protowire.AppendString(st, path)
	st = protowire.AppendTag(st, 3, protowire.VarintType)
	st = protowire.AppendVarint(st, size)
	var perm []byte
	perm = protowire.AppendTag(perm, 1, protowire.VarintType)
	perm = protowire.AppendVarint(perm, 0o640)
	st = protowire.AppendTag(st, 4, protowire.BytesType)
	st = protowire.AppendBytes(st, perm)
	st = protowire.AppendTag(st, 5, protowire.BytesType)
	st = protowire.AppendString(st, "alice")
	st = protowire.AppendTag(st, 6, protowire.BytesType)
	st = protowire.AppendString(st, "staff")
	st = protowire.AppendTag(st, 7, protowire.VarintType)
	st = protowire.AppendVarint(st, mtime)
	st = protowire.AppendTag(st, 8, protowire.VarintType)
	st = protowire.AppendVarint(st, mtime)
	var resp []byte
	resp = protowire.AppendTag(resp, 1, protowire.BytesType)
	return protowire.AppendBytes(resp, st)
}

// silentListener accepts TCP connections and never answers.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		// Teardown: a failed close leaves nothing for a test to check.
		_ = ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
