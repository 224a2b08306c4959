package yarnrpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

// RFC 4121 Wrap tokens, the GSSAPI security layer of KERBEROS connections.
//
//	+-------+-------+-----+------+----------+----------+---------------+----------------+
//	| 05 04 | flags | FF  | EC   | RRC      | seq (8B) | payload       | checksum       |  integrity
//	+-------+-------+-----+------+----------+----------+---------------+----------------+
//	| 05 04 | flags | FF  | EC   | RRC      | seq (8B) | E(payload ‖ filler ‖ header)   |  privacy
//	+-------+-------+-----+------+----------+----------+--------------------------------+
//
// flags: 1 sent by acceptor, 2 sealed, 4 acceptor subkey. Key usage is
// the SEAL usage of the sender (24 initiator, 22 acceptor) in both modes.
// Only RFC 4121 enctypes (AES) are supported, Hadoop's defaults since 3.x.

// gssLayer wraps and unwraps RFC 4121 Wrap tokens for one side.
type gssLayer struct {
	mu               sync.Mutex
	key              types.EncryptionKey
	subkey           bool // acceptor subkey in use (flag 0x04)
	initiator        bool
	conf             bool
	sendSeq, recvSeq uint64
	peerMax          int
}

const (
	gssFlagSentByAcceptor = 0x01
	gssFlagSealed         = 0x02
	gssFlagAcceptorSubkey = 0x04
)

func (l *gssLayer) maxPlain() int {
	if l.peerMax <= 0 || l.peerMax > 1<<20 {
		return 1 << 16
	}
	n := l.peerMax - 64 // header, confounder and checksum
	if n < 1 {
		n = 1
	}
	return n
}

func (l *gssLayer) wrap(p []byte) ([]byte, error) { return l.wrapToken(p, l.conf) }

func (l *gssLayer) usage(sending bool) uint32 {
	fromInitiator := l.initiator == sending
	if fromInitiator {
		return keyusage.GSSAPI_INITIATOR_SEAL
	}
	return keyusage.GSSAPI_ACCEPTOR_SEAL
}

func (l *gssLayer) wrapToken(p []byte, seal bool) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	flags := byte(0)
	if !l.initiator {
		flags |= gssFlagSentByAcceptor
	}
	if l.subkey {
		flags |= gssFlagAcceptorSubkey
	}
	seq := l.sendSeq
	l.sendSeq++
	if !seal {
		et, err := crypto.GetEtype(l.key.KeyType)
		if err != nil {
			return nil, err
		}
		wt := gssapi.WrapToken{Flags: flags, EC: uint16(et.GetHMACBitLength() / 8), SndSeqNum: seq, Payload: p}
		if err := wt.SetCheckSum(l.key, l.usage(true)); err != nil {
			return nil, err
		}
		return wt.Marshal()
	}
	flags |= gssFlagSealed
	hdr := gssHeader(flags, 0, 0, seq)
	et, err := crypto.GetEtype(l.key.KeyType)
	if err != nil {
		return nil, err
	}
	_, ct, err := et.EncryptMessage(l.key.KeyValue, append(append([]byte{}, p...), hdr...), l.usage(true))
	if err != nil {
		return nil, err
	}
	return append(hdr, ct...), nil
}

func gssHeader(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := make([]byte, 16)
	h[0], h[1], h[2], h[3] = 0x05, 0x04, flags, 0xFF
	binary.BigEndian.PutUint16(h[4:], ec)
	binary.BigEndian.PutUint16(h[6:], rrc)
	binary.BigEndian.PutUint64(h[8:], seq)
	return h
}

func (l *gssLayer) unwrap(b []byte) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(b) < 16 || b[0] != 0x05 || b[1] != 0x04 || b[3] != 0xFF {
		return nil, errors.New("not an RFC 4121 wrap token")
	}
	flags := b[2]
	fromAcceptor := flags&gssFlagSentByAcceptor != 0
	if fromAcceptor == !l.initiator {
		return nil, errors.New("wrap token has the wrong direction flag")
	}
	ec := binary.BigEndian.Uint16(b[4:6])
	rrc := binary.BigEndian.Uint16(b[6:8])
	seq := binary.BigEndian.Uint64(b[8:16])
	// Like the JDK, out-of-sequence tokens are not an error; the
	// expected number is only tracked.
	body := append([]byte{}, b[16:]...)
	if len(body) > 0 && rrc > 0 { // undo the right rotation
		r := int(rrc) % len(body)
		body = append(body[r:], body[:r]...)
	}
	var payload []byte
	if flags&gssFlagSealed == 0 {
		if int(ec) > len(body) {
			return nil, errors.New("wrap token checksum length exceeds token")
		}
		wt := gssapi.WrapToken{Flags: flags, EC: ec, SndSeqNum: seq, Payload: body[:len(body)-int(ec)], CheckSum: body[len(body)-int(ec):]}
		if ok, err := wt.Verify(l.key, l.usage(false)); !ok {
			return nil, fmt.Errorf("wrap token integrity: %w", err)
		}
		payload = wt.Payload
	} else {
		et, err := crypto.GetEtype(l.key.KeyType)
		if err != nil {
			return nil, err
		}
		if len(body) < et.GetHMACBitLength()/8+et.GetConfounderByteSize() {
			return nil, errors.New("sealed wrap token too short")
		}
		plain, err := et.DecryptMessage(l.key.KeyValue, body, l.usage(false))
		if err != nil {
			return nil, fmt.Errorf("sealed wrap token: %w", err)
		}
		if len(plain) < 16+int(ec) {
			return nil, errors.New("sealed wrap token too short")
		}
		tail := plain[len(plain)-16:]
		if !bytes.Equal(tail, gssHeader(flags, ec, 0, seq)) {
			return nil, errors.New("sealed wrap token header mismatch")
		}
		payload = plain[:len(plain)-16-int(ec)]
	}
	l.recvSeq = seq + 1
	return payload, nil
}
