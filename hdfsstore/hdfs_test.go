package hdfsstore

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protowire"
)

func newTestStore(t *testing.T, opts Options) *Store {
	t.Helper()
	opts.User = "tester"
	opts.Logger = zerolog.Nop()
	s, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// within runs f and fails the test if it has not returned after limit: a
// guard against hangs, not a timing assertion.
func within(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("call did not return within %v", limit)
	}
}

func TestHDFSRemoteExceptionKept(t *testing.T) {
	const denied = `Permission denied: user=tester, access=READ_EXECUTE, inode="/secret":hdfs:supergroup:drwx------`
	nn := startFakeNameNode(t, func(method string) (string, string, []byte) {
		switch method {
		case "getFileInfo":
			return "org.apache.hadoop.security.AccessControlException", denied + "\n\tat org.apache.hadoop.hdfs...", nil
		case "getListing":
			return "org.apache.hadoop.ipc.RpcNoSuchMethodException", "Unknown method getListing", nil
		}
		return "", "", nil
	})
	s := newTestStore(t, Options{})
	_, err := s.Stat(context.Background(), "hdfs://"+nn.addr()+"/secret")
	var pe *fs.PathError
	var re *RemoteError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrPermission) || !errors.As(err, &re) {
		t.Fatalf("err = %#v, want *fs.PathError wrapping a RemoteError and fs.ErrPermission", err)
	}
	if re.Class != "org.apache.hadoop.security.AccessControlException" || !strings.HasPrefix(re.Message, denied) {
		t.Fatalf("remote = %+v", re)
	}
	if pe.Path != "hdfs://"+nn.addr()+"/secret" || pe.Op != "stat" {
		t.Fatalf("path error = %s %s", pe.Op, pe.Path)
	}
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "inode=") {
		t.Fatalf("Error() = %q", err)
	}
}

func TestHDFSStatExactMillis(t *testing.T) {
	const mtime = 1700000000123
	nn := startFakeNameNode(t, func(method string) (string, string, []byte) {
		if method == "getFileInfo" {
			return "", "", fileStatus("", 4242, mtime)
		}
		return "", "", nil
	})
	h := hadoopWith(t, map[string]string{"fs.defaultFS": "hdfs://" + nn.addr()})
	s := newTestStore(t, Options{Hadoop: h})
	fi, err := s.Stat(context.Background(), "/user/tester/f") // plain path on fs.defaultFS
	if err != nil {
		t.Fatal(err)
	}
	if fi.ModTimeMillis() != mtime || fi.Size != 4242 || fi.Owner != "alice" || fi.Group != "staff" || fi.Mode != 0o640 || fi.IsDir {
		t.Fatalf("stat = %+v (millis %d)", fi, fi.ModTimeMillis())
	}
	if fi.Path != "hdfs://"+nn.addr()+"/user/tester/f" {
		t.Fatalf("path = %q", fi.Path)
	}
}

func TestHDFSNameNodeDown(t *testing.T) {
	tests := []struct {
		name     string
		addr     func(t *testing.T) string
		ctx      func() (context.Context, context.CancelFunc)
		opts     Options
		sentinel []error
	}{
		{
			name:     "closed port",
			addr:     closedPort,
			ctx:      func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			sentinel: []error{ErrUnavailable},
		},
		{
			name: "silent listener, ctx deadline",
			addr: silentListener,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 300*time.Millisecond)
			},
			sentinel: []error{ErrUnavailable, context.DeadlineExceeded},
		},
		{
			name:     "silent listener, no deadline, CallTimeout",
			addr:     silentListener,
			ctx:      func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			opts:     Options{CallTimeout: 300 * time.Millisecond},
			sentinel: []error{ErrUnavailable, context.DeadlineExceeded},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr(t)
			s := newTestStore(t, tc.opts)
			p := "hdfs://" + addr + "/x"
			for _, op := range []string{"stat", "list", "mkdir"} {
				ctx, cancel := tc.ctx()
				defer cancel()
				var err error
				within(t, 30*time.Second, func() {
					switch op {
					case "stat":
						_, err = s.Stat(ctx, p)
					case "list":
						_, err = s.List(ctx, p)
					case "mkdir":
						err = s.MkdirAll(ctx, p, 0o755)
					}
				})
				var pe *fs.PathError
				if !errors.As(err, &pe) {
					t.Fatalf("%s: err = %v, want *fs.PathError", op, err)
				}
				for _, want := range tc.sentinel {
					if !errors.Is(err, want) {
						t.Fatalf("%s: err = %v, want errors.Is %v", op, err, want)
					}
				}
				if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), addr) {
					t.Fatalf("%s: error %q is not one line naming %s", op, err, addr)
				}
			}
			within(t, 30*time.Second, func() { _ = s.Close() }) // what is tested is that Close returns
		})
	}
}

func TestHDFSCancelWhileBlocked(t *testing.T) {
	addr := silentListener(t)
	s := newTestStore(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Stat(ctx, "hdfs://"+addr+"/x")
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Stat did not return after cancel")
	}
}

// TestHDFSWaitingCallHonoursDeadline: while one call hangs on a silent
// NameNode, a second caller still gets its own deadline.
func TestHDFSWaitingCallHonoursDeadline(t *testing.T) {
	addr := silentListener(t)
	s := newTestStore(t, Options{})
	p := "hdfs://" + addr + "/x"
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	errA := make(chan error, 1)
	go func() {
		_, err := s.Stat(ctxA, p)
		errA <- err
	}()
	// Wait (bounded) until call A holds the NameNode.
	b, _, err := s.backend("stat", p)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(b.(*hdfsFS).callSem) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("call A never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctxB, cancelB := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelB()
	within(t, 30*time.Second, func() {
		_, err = s.Stat(ctxB, p)
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call B: %v, want DeadlineExceeded", err)
	}
	select {
	case err := <-errA:
		t.Fatalf("call A returned early: %v", err)
	default:
	}
	cancelA()
	select {
	case err := <-errA:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("call A: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("call A did not return after cancel")
	}
}

// TestHDFSCloseRetriesWhileReplicating: the NameNode answers complete=false
// until the DataNodes have reported the last block; Close must ask again
// rather than fail with "replication in progress".
func TestHDFSCloseRetriesWhileReplicating(t *testing.T) {
	boolResp := func(v bool) []byte {
		b := protowire.AppendTag(nil, 1, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v))
	}
	var completes atomic.Int32
	nn := startFakeNameNode(t, func(method string) (string, string, []byte) {
		switch method {
		case "mkdirs":
			return "", "", boolResp(true)
		case "getServerDefaults":
			var d []byte
			for i, v := range []uint64{128 << 20, 512, 64 << 10, 1, 4096} { // block size … buffer size
				d = protowire.AppendTag(d, protowire.Number(i+1), protowire.VarintType)
				d = protowire.AppendVarint(d, v)
			}
			return "", "", protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), d)
		case "create":
			return "", "", fileStatus("/f", 0, 1700000000000) // CreateResponseProto.fs is field 1 too
		case "complete":
			return "", "", boolResp(completes.Add(1) >= 3)
		}
		return "", "", nil
	})
	s := newTestStore(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := s.Create(ctx, "hdfs://"+nn.addr()+"/f", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if n := completes.Load(); n != 3 {
		t.Fatalf("complete called %d times, want 3 (two answers of false, then true)", n)
	}
}
