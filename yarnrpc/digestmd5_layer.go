package yarnrpc

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// DIGEST-MD5 security layers (RFC 2831 §2.3 integrity, §2.4 confidentiality).
//
// Integrity (auth-int), one wrapped buffer:
//
//	+---------+-----------------------------+-----------+-------------+
//	| message | HMAC-MD5(Ki, seq‖msg)[0:10] | 0x00 0x01 | seq uint32  |
//	+---------+-----------------------------+-----------+-------------+
//
// Confidentiality (auth-conf):
//
//	+---------------------------------------------+-----------+------------+
//	| CIPHER(Kc, msg ‖ pad ‖ HMAC(Ki,seq‖msg)[0:10]) | 0x00 0x01 | seq uint32 |
//	+---------------------------------------------+-----------+------------+
//
// Keys (H(A1) as raw 16 bytes; n = 16, or 5 for rc4-40, 7 for rc4-56):
//
//	Kic = MD5(H(A1) ‖ "Digest session key to client-to-server signing key magic constant")
//	Kis = MD5(H(A1) ‖ "Digest session key to server-to-client signing key magic constant")
//	Kcc = MD5(H(A1)[0:n] ‖ "Digest H(A1) to client-to-server sealing key magic constant")
//	Kcs = MD5(H(A1)[0:n] ‖ "Digest H(A1) to server-to-client sealing key magic constant")
//
// RC4 keeps its key stream across buffers; DES and 3DES run CBC with the
// IV = Kc[8:16], the chain also continuing across buffers (as the JDK's
// Cipher.update does). Block ciphers pad with 1..8 bytes of the pad length.
// Sequence numbers count from 0 per direction.

const (
	magicClientSign = "Digest session key to client-to-server signing key magic constant"
	magicServerSign = "Digest session key to server-to-client signing key magic constant"
	magicClientSeal = "Digest H(A1) to client-to-server sealing key magic constant"
	magicServerSeal = "Digest H(A1) to server-to-client sealing key magic constant"
	digestMACLen    = 10
	digestTrailer   = 6 // msg type + seq
)

// securityLayer wraps and unwraps buffers after SASL negotiated integrity
// or confidentiality.
type securityLayer interface {
	wrap(p []byte) ([]byte, error)
	unwrap(p []byte) ([]byte, error)
	// maxPlain is the largest plain buffer one wrap may take.
	maxPlain() int
}

// digestLayer implements both directions of one side of the layer.
type digestLayer struct {
	conf             bool
	sendKi, recvKi   []byte
	sendSeq, recvSeq uint32
	enc, dec         streamOrBlock
	block            bool
	peerMaxBuf       int
}

// streamOrBlock is either an RC4 stream or a CBC block mode.
type streamOrBlock interface {
	crypt(dst, src []byte)
}

type rc4Crypt struct{ c *rc4.Cipher }

func (r rc4Crypt) crypt(dst, src []byte) { r.c.XORKeyStream(dst, src) }

type cbcCrypt struct{ m cipher.BlockMode }

func (c cbcCrypt) crypt(dst, src []byte) { c.m.CryptBlocks(dst, src) }

// newDigestLayer derives the keys of sess for the client side (client=true)
// or the server side.
func newDigestLayer(sess *digestSession, client bool) (*digestLayer, error) {
	ha1 := sess.ha1()
	kic := md5.Sum(append(ha1[:len(ha1):len(ha1)], magicClientSign...))
	kis := md5.Sum(append(ha1[:len(ha1):len(ha1)], magicServerSign...))
	l := &digestLayer{peerMaxBuf: sess.maxBuf}
	if l.peerMaxBuf <= 0 {
		l.peerMaxBuf = digestMaxBuf
	}
	if client {
		l.sendKi, l.recvKi = kic[:], kis[:]
	} else {
		l.sendKi, l.recvKi = kis[:], kic[:]
	}
	if sess.qop != QOPAuthConf {
		return l, nil
	}
	l.conf = true
	n := 16
	switch sess.cipher {
	case "rc4-40":
		n = 5
	case "rc4-56":
		n = 7
	case "rc4", "des", "3des":
	default:
		return nil, fmt.Errorf("digest: unsupported cipher %q", sess.cipher)
	}
	kcc := md5.Sum(append(append([]byte{}, ha1[:n]...), magicClientSeal...))
	kcs := md5.Sum(append(append([]byte{}, ha1[:n]...), magicServerSeal...))
	sendK, recvK := kcc[:], kcs[:]
	if !client {
		sendK, recvK = kcs[:], kcc[:]
	}
	var err error
	if l.enc, err = newDigestCipher(sess.cipher, sendK, true); err != nil {
		return nil, err
	}
	if l.dec, err = newDigestCipher(sess.cipher, recvK, false); err != nil {
		return nil, err
	}
	l.block = sess.cipher == "des" || sess.cipher == "3des"
	return l, nil
}

func newDigestCipher(name string, k []byte, encrypt bool) (streamOrBlock, error) {
	switch name {
	case "rc4", "rc4-40", "rc4-56":
		c, err := rc4.NewCipher(k)
		if err != nil {
			return nil, err
		}
		return rc4Crypt{c}, nil
	}
	var b cipher.Block
	var err error
	if name == "des" {
		b, err = des.NewCipher(desParityKey(k[0:7]))
	} else {
		k1, k2 := desParityKey(k[0:7]), desParityKey(k[7:14])
		b, err = des.NewTripleDESCipher(append(append(append([]byte{}, k1...), k2...), k1...))
	}
	if err != nil {
		return nil, err
	}
	iv := k[8:16]
	if encrypt {
		return cbcCrypt{cipher.NewCBCEncrypter(b, iv)}, nil
	}
	return cbcCrypt{cipher.NewCBCDecrypter(b, iv)}, nil
}

// desParityKey spreads 56 key bits over 8 bytes (7 bits each, high bits
// first) and sets odd parity in the low bit of every byte.
func desParityKey(in []byte) []byte {
	var v uint64
	for _, b := range in {
		v = v<<8 | uint64(b)
	}
	out := make([]byte, 8)
	for i := 0; i < 8; i++ {
		b := byte(v>>(49-7*uint(i))) & 0x7F
		b <<= 1
		ones := 0
		for x := b; x != 0; x >>= 1 {
			ones += int(x & 1)
		}
		if ones%2 == 0 {
			b |= 1
		}
		out[i] = b
	}
	return out
}

func digestMAC(ki []byte, seq uint32, msg []byte) []byte {
	m := hmac.New(md5.New, ki)
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], seq)
	m.Write(s[:])
	m.Write(msg)
	return m.Sum(nil)[:digestMACLen]
}

func (l *digestLayer) maxPlain() int {
	n := l.peerMaxBuf - digestMACLen - digestTrailer
	if l.block {
		n -= 8
	}
	if n < 1 {
		n = 1
	}
	return n
}

func (l *digestLayer) wrap(msg []byte) ([]byte, error) {
	mac := digestMAC(l.sendKi, l.sendSeq, msg)
	var out []byte
	if !l.conf {
		out = make([]byte, 0, len(msg)+digestMACLen+digestTrailer)
		out = append(out, msg...)
		out = append(out, mac...)
	} else {
		plain := make([]byte, 0, len(msg)+8+digestMACLen)
		plain = append(plain, msg...)
		if l.block {
			pad := 8 - (len(msg)+digestMACLen)%8
			for i := 0; i < pad; i++ {
				plain = append(plain, byte(pad))
			}
		}
		plain = append(plain, mac...)
		out = make([]byte, len(plain), len(plain)+digestTrailer)
		l.enc.crypt(out, plain)
	}
	out = append(out, 0, 1)
	out = binary.BigEndian.AppendUint32(out, l.sendSeq)
	l.sendSeq++
	return out, nil
}

func (l *digestLayer) unwrap(in []byte) ([]byte, error) {
	if len(in) < digestMACLen+digestTrailer {
		return nil, errors.New("digest: wrapped buffer too short")
	}
	body, trailer := in[:len(in)-digestTrailer], in[len(in)-digestTrailer:]
	if trailer[0] != 0 || trailer[1] != 1 {
		return nil, errors.New("digest: wrapped buffer has bad message type")
	}
	seq := binary.BigEndian.Uint32(trailer[2:])
	if seq != l.recvSeq {
		return nil, fmt.Errorf("digest: sequence number %d, want %d", seq, l.recvSeq)
	}
	var msg, mac []byte
	if !l.conf {
		msg, mac = body[:len(body)-digestMACLen], body[len(body)-digestMACLen:]
	} else {
		if l.block && len(body)%8 != 0 {
			return nil, errors.New("digest: encrypted buffer is not a multiple of the block size")
		}
		plain := make([]byte, len(body))
		l.dec.crypt(plain, body)
		mac = plain[len(plain)-digestMACLen:]
		msg = plain[:len(plain)-digestMACLen]
		if l.block {
			if len(msg) == 0 {
				return nil, errors.New("digest: missing padding")
			}
			pad := int(msg[len(msg)-1])
			if pad < 1 || pad > 8 || pad > len(msg) {
				return nil, errors.New("digest: bad padding")
			}
			msg = msg[:len(msg)-pad]
		}
	}
	want := digestMAC(l.recvKi, seq, msg)
	if subtle.ConstantTimeCompare(mac, want) != 1 {
		return nil, errors.New("digest: message integrity check failed")
	}
	l.recvSeq++
	return msg, nil
}
