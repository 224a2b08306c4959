package hdfsstore

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// connSet holds every connection one colinmarc client dialed, so that a
// cancelled context can break a call blocked on a silent NameNode or
// DataNode (colinmarc takes no context), and so that Close ends them all.
type connSet struct {
	mu     sync.Mutex
	closed bool
	conns  map[*trackedConn]struct{}
}

func newConnSet() *connSet { return &connSet{conns: map[*trackedConn]struct{}{}} }

func (s *connSet) add(c *trackedConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *connSet) remove(c *trackedConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// closeAll closes every connection and refuses new ones: blocked reads and
// writes return at once, later dials fail.
func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close() // teardown: the store is closing whatever the outcome
	}
}

// dialer returns a dial function for colinmarc that bounds the dial by
// timeout, registers the connection in set, and, when log is not nil,
// watches NameNode responses for remote exceptions.
func (s *connSet) dialer(timeout time.Duration, log *remoteLog) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return s.track(c, log)
	}
}

func (s *connSet) track(c net.Conn, log *remoteLog) (net.Conn, error) {
	tc := &trackedConn{Conn: c, set: s}
	if log != nil {
		tc.sniff = &responseSniffer{log: log}
	}
	if !s.add(tc) {
		_ = c.Close() // unused connection; ErrClosed is the answer
		return nil, ErrClosed
	}
	return tc, nil
}

type trackedConn struct {
	net.Conn
	set   *connSet
	sniff *responseSniffer // NameNode connections only
	once  sync.Once
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.sniff != nil {
		c.sniff.feed(p[:n])
	}
	return n, err
}

func (c *trackedConn) Close() error {
	err := net.ErrClosed
	c.once.Do(func() {
		c.set.remove(c)
		err = c.Conn.Close()
	})
	return err
}

// remoteEntry is one exception seen in a NameNode response.
type remoteEntry struct {
	seq            uint64
	class, message string
}

// remoteLog keeps the last few exceptions NameNodes reported. colinmarc
// turns FileNotFoundException and friends into bare os errors and drops
// the class and message (its issue #66); the Store reads them back here.
type remoteLog struct {
	mu      sync.Mutex
	seq     uint64
	entries []remoteEntry
}

const remoteLogSize = 16

func (l *remoteLog) record(class, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	l.entries = append(l.entries, remoteEntry{l.seq, class, message})
	if len(l.entries) > remoteLogSize {
		l.entries = l.entries[len(l.entries)-remoteLogSize:]
	}
}

func (l *remoteLog) mark() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// since returns the newest exception recorded after mark, preferring one
// whose message names path (NameNode messages quote the path).
func (l *remoteLog) since(mark uint64, path string) (remoteEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var found remoteEntry
	ok := false
	for i := len(l.entries) - 1; i >= 0; i-- {
		e := l.entries[i]
		if e.seq <= mark {
			break
		}
		if path != "" && strings.Contains(e.message, path) {
			return e, true
		}
		if !ok {
			found, ok = e, true
		}
	}
	return found, ok
}

// responseSniffer parses the frames a NameNode sends just far enough to see
// the exception in failed responses. It never changes the bytes.
//
//	+---------------------------------------------------------+
//	|  uint32 length of the rest of the frame (big endian)    |
//	+---------------------------------------------------------+
//	|  varint length + RpcResponseHeaderProto                 |
//	|    1: callId  2: status (0 SUCCESS, 1 ERROR, 2 FATAL)   |
//	|    4: exceptionClassName  5: errorMsg                   |
//	+---------------------------------------------------------+
//	|  varint length + response message (SUCCESS only)       |
//	+---------------------------------------------------------+
type responseSniffer struct {
	log      *remoteLog
	lenBuf   [4]byte
	lenHave  int
	left     int    // bytes of the current frame not yet seen
	hdr      []byte // the header's varint and bytes collected so far
	hdrNeed  int    // total bytes of varint+header; 0 while unknown
	hdrDone  bool
	disabled bool // the stream is not plain frames (e.g. SASL-wrapped)
}

const maxSniffHeader = 1 << 20

func (s *responseSniffer) feed(b []byte) {
	for len(b) > 0 && !s.disabled {
		if s.left == 0 {
			k := copy(s.lenBuf[s.lenHave:], b)
			s.lenHave += k
			b = b[k:]
			if s.lenHave == 4 {
				s.lenHave = 0
				s.left = int(binary.BigEndian.Uint32(s.lenBuf[:]))
				s.hdr, s.hdrNeed, s.hdrDone = s.hdr[:0], 0, false
				if s.left <= 0 || s.left > 1<<30 {
					s.disabled = true
				}
			}
			continue
		}
		k := min(len(b), s.left)
		chunk := b[:k]
		b = b[k:]
		s.left -= k
		for len(chunk) > 0 && !s.hdrDone && !s.disabled {
			need := s.hdrNeed
			if need == 0 {
				need = len(s.hdr) + 1 // one varint byte at a time
			}
			n := min(len(chunk), need-len(s.hdr))
			s.hdr = append(s.hdr, chunk[:n]...)
			chunk = chunk[n:]
			if s.hdrNeed == 0 {
				v, vn := protowire.ConsumeVarint(s.hdr)
				if vn > 0 {
					if v > maxSniffHeader {
						s.disabled = true
						break
					}
					s.hdrNeed = vn + int(v)
				} else if len(s.hdr) >= binary.MaxVarintLen64 {
					s.disabled = true
					break
				}
			}
			if s.hdrNeed > 0 && len(s.hdr) >= s.hdrNeed {
				s.hdrDone = true
				_, vn := protowire.ConsumeVarint(s.hdr)
				s.header(s.hdr[vn:s.hdrNeed])
			}
		}
	}
}

// header reads an RpcResponseHeaderProto and records an exception.
func (s *responseSniffer) header(b []byte) {
	var status uint64
	var class, msg string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		switch {
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return
			}
			status, b = v, b[n:]
		case (num == 4 || num == 5) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return
			}
			if num == 4 {
				class = string(v)
			} else {
				msg = string(v)
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return
			}
			b = b[n:]
		}
	}
	if status != 0 && class != "" {
		s.log.record(class, msg)
	}
}

// isNetError reports errors that mean the NameNode connection failed, as
// opposed to the NameNode answering with an error.
func isNetError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) {
		return true
	}
	s := err.Error()
	return strings.HasPrefix(s, "no available namenodes") || strings.Contains(s, "EOF") ||
		strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}
