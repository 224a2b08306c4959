package state

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt reports state bytes (a snapshot, a savepoint, a stored entry)
// that do not decode.
var ErrCorrupt = errors.New("corrupt state data")

// appendLP appends b prefixed with its length as a uvarint.
func appendLP(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// readLP reads one length-prefixed byte string from the front of src.
func readLP(src []byte) (b, rest []byte, err error) {
	n, k := binary.Uvarint(src)
	if k <= 0 {
		return nil, nil, fmt.Errorf("%w: bad length prefix", ErrCorrupt)
	}
	if n > uint64(len(src)-k) {
		return nil, nil, fmt.Errorf("%w: length %d beyond %d bytes", ErrCorrupt, n, len(src)-k)
	}
	return src[k : k+int(n)], src[k+int(n):], nil
}

// keyNS is the composite of a record key and a namespace, each
// length-prefixed: unambiguous even with a map state's user key appended
// (Pebble), and all entries of one key sort together.
func appendKeyNS(dst, key, ns []byte) []byte {
	return appendLP(appendLP(dst, key), ns)
}

// splitKeyNS splits a composite from the front of kn; rest is what follows
// (a user key).
func splitKeyNS(kn []byte) (key, ns, rest []byte, err error) {
	if key, rest, err = readLP(kn); err != nil {
		return nil, nil, nil, err
	}
	ns, rest, err = readLP(rest)
	return key, ns, rest, err
}

// Values of state with a TTL carry their expiry time in front: 8 bytes
// big-endian Unix milliseconds, then the payload.
const ttlHeader = 8

func wrapTTL(dst []byte, expiresMs int64, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(expiresMs))
	return append(dst, payload...)
}

func unwrapTTL(v []byte) (expiresMs int64, payload []byte, err error) {
	if len(v) < ttlHeader {
		return 0, nil, fmt.Errorf("%w: value of %d bytes has no TTL header", ErrCorrupt, len(v))
	}
	return int64(binary.BigEndian.Uint64(v)), v[ttlHeader:], nil
}
