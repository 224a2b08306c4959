package hdfsstore

import "testing"

// FuzzResponseSniffer: arbitrary bytes from a NameNode never make the
// sniffer panic or record an entry without a class.
func FuzzResponseSniffer(f *testing.F) {
	f.Add(frame(1, "java.io.FileNotFoundException", "File does not exist: /a", nil))
	f.Add(frame(2, "", "", []byte{1, 2, 3}))
	f.Add([]byte{0, 0, 0, 3, 0x80, 0x80, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		var log remoteLog
		s := &responseSniffer{log: &log}
		for len(b) > 0 {
			n := min(len(b), 5)
			s.feed(b[:n])
			b = b[n:]
		}
		for _, e := range log.entries {
			if e.class == "" {
				t.Fatalf("entry without class: %+v", e)
			}
		}
	})
}
