package hdfsstore

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestMapClass(t *testing.T) {
	tests := []struct {
		class string
		want  error
	}{
		{"java.io.FileNotFoundException", fs.ErrNotExist},
		{"org.apache.hadoop.security.AccessControlException", fs.ErrPermission},
		{"org.apache.hadoop.fs.FileAlreadyExistsException", fs.ErrExist},
		{"org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException", fs.ErrExist},
		{"org.apache.hadoop.fs.PathIsNotEmptyDirectoryException", syscall.ENOTEMPTY},
		{"org.apache.hadoop.fs.ParentNotDirectoryException", fs.ErrInvalid},
		{"org.apache.hadoop.hdfs.server.namenode.SafeModeException", ErrUnavailable},
		{"org.apache.hadoop.hdfs.protocol.DSQuotaExceededException", syscall.EDQUOT},
		{"java.lang.NullPointerException", nil},
	}
	for _, tc := range tests {
		if got := mapClass(tc.class); got != tc.want {
			t.Errorf("mapClass(%s) = %v, want %v", tc.class, got, tc.want)
		}
	}
}

func TestRemoteError(t *testing.T) {
	var err error = &fs.PathError{Op: "stat", Path: "hdfs://nn/x", Err: &RemoteError{
		Class:   "org.apache.hadoop.security.AccessControlException",
		Message: "Permission denied: user=bob, access=READ\n\tat org.apache...",
		Err:     fs.ErrPermission,
	}}
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("errors.Is(ErrPermission) failed")
	}
	var re *RemoteError
	if !errors.As(err, &re) || re.Class != "org.apache.hadoop.security.AccessControlException" {
		t.Fatalf("errors.As = %v", re)
	}
	if got := err.Error(); got != "stat hdfs://nn/x: AccessControlException: Permission denied: user=bob, access=READ" {
		t.Errorf("Error() = %q", got)
	}
}

// frame builds an IPC response frame with the given header fields.
func frame(callID uint32, class, msg string, body []byte) []byte {
	var hdr []byte
	hdr = protowire.AppendTag(hdr, 1, protowire.VarintType)
	hdr = protowire.AppendVarint(hdr, uint64(callID))
	hdr = protowire.AppendTag(hdr, 2, protowire.VarintType)
	if class != "" {
		hdr = protowire.AppendVarint(hdr, 1)
		hdr = protowire.AppendTag(hdr, 4, protowire.BytesType)
		hdr = protowire.AppendString(hdr, class)
		hdr = protowire.AppendTag(hdr, 5, protowire.BytesType)
		hdr = protowire.AppendString(hdr, msg)
	} else {
		hdr = protowire.AppendVarint(hdr, 0)
	}
	out := protowire.AppendBytes(nil, hdr)
	if body != nil {
		out = protowire.AppendBytes(out, body)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(out))), out...)
}

func TestResponseSniffer(t *testing.T) {
	long := strings.Repeat("trace line\n", 2000) // header longer than one read
	var stream []byte
	stream = append(stream, frame(1, "", "", make([]byte, 300))...)
	stream = append(stream, frame(2, "java.io.FileNotFoundException", "File does not exist: /a", nil)...)
	stream = append(stream, frame(3, "", "", []byte{1, 2, 3})...)
	stream = append(stream, frame(4, "org.apache.hadoop.security.AccessControlException", "Permission denied: /b\n"+long, nil)...)
	for _, chunk := range []int{1, 3, 7, 64, 4096, len(stream)} {
		t.Run("chunk"+strconv.Itoa(chunk), func(t *testing.T) {
			var log remoteLog
			s := &responseSniffer{log: &log}
			for b := stream; len(b) > 0; {
				n := min(chunk, len(b))
				s.feed(b[:n])
				b = b[n:]
			}
			if s.disabled {
				t.Fatal("sniffer gave up on valid frames")
			}
			if len(log.entries) != 2 {
				t.Fatalf("entries = %+v", log.entries)
			}
			if e := log.entries[0]; e.class != "java.io.FileNotFoundException" || e.message != "File does not exist: /a" {
				t.Errorf("first = %+v", e)
			}
			e, ok := log.since(0, "/a")
			if !ok || e.class != "java.io.FileNotFoundException" {
				t.Errorf("since(0, /a) = %+v", e)
			}
			e, ok = log.since(0, "/zzz")
			if !ok || !strings.HasPrefix(e.message, "Permission denied: /b") {
				t.Errorf("since(0, /zzz) = %+v, want the newest", e.class)
			}
			if _, ok := log.since(log.mark(), ""); ok {
				t.Error("since(mark) found an old entry")
			}
		})
	}
}

func TestIsNetError(t *testing.T) {
	if !isNetError(errors.New("no available namenodes: dial tcp 127.0.0.1:1: connect: connection refused")) {
		t.Error("no available namenodes not a net error")
	}
	if isNetError(fs.ErrNotExist) {
		t.Error("ErrNotExist is a net error")
	}
	if !isNetError(context.DeadlineExceeded) { // implements net.Error (Timeout)
		t.Error("DeadlineExceeded not a net error")
	}
}
