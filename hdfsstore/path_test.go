package hdfsstore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	hdfsDefault, err := newResolver("hdfs://nn:9000", "alice")
	if err != nil {
		t.Fatal(err)
	}
	localDefault, err := newResolver("file:///", "alice")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    resolver
		in   string
		want string
		err  error
	}{
		{"hdfs with authority", hdfsDefault, "hdfs://other:8020/a/b", "hdfs://other:8020/a/b", nil},
		{"hdfs cleans", hdfsDefault, "hdfs://nn:9000//a/./b/../c", "hdfs://nn:9000/a/c", nil},
		{"hdfs default authority", hdfsDefault, "hdfs:///x", "hdfs://nn:9000/x", nil},
		{"hdfs colon slash", hdfsDefault, "hdfs:/x", "hdfs://nn:9000/x", nil},
		{"hdfs nameservice", localDefault, "hdfs://ns1/x", "hdfs://ns1/x", nil},
		{"file triple slash", hdfsDefault, "file:///tmp/x", "file:///tmp/x", nil},
		{"file single slash", hdfsDefault, "file:/tmp/x", "file:///tmp/x", nil},
		{"file localhost", hdfsDefault, "file://localhost/tmp/x", "file:///tmp/x", nil},
		{"plain on hdfs default", hdfsDefault, "/user/alice/f", "hdfs://nn:9000/user/alice/f", nil},
		{"relative on hdfs default", hdfsDefault, "f/g", "hdfs://nn:9000/user/alice/f/g", nil},
		{"plain on local default", localDefault, "/tmp/y", "file:///tmp/y", nil},
		{"relative on local default", localDefault, "y", "file://" + filepath.Join(wd, "y"), nil},
		{"hdfs:/// without hdfs default", localDefault, "hdfs:///x", "", fs.ErrInvalid},
		{"unsupported scheme", hdfsDefault, "s3a://bucket/x", "", ErrUnsupported},
		{"file with remote host", hdfsDefault, "file://host/x", "", ErrUnsupported},
		{"empty", hdfsDefault, "", "", fs.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := tc.r.resolve("stat", tc.in)
			if tc.err != nil {
				var pe *fs.PathError
				if !errors.Is(err, tc.err) || !errors.As(err, &pe) {
					t.Fatalf("resolve(%q) = %v, %v; want *fs.PathError wrapping %v", tc.in, l, err, tc.err)
				}
				return
			}
			if err != nil || l.String() != tc.want {
				t.Fatalf("resolve(%q) = %q, %v; want %q", tc.in, l, err, tc.want)
			}
		})
	}
}

func TestNewResolverErrors(t *testing.T) {
	for _, fsURI := range []string{"s3a://bucket", "hdfs://", "viewfs://x/"} {
		if _, err := newResolver(fsURI, "u"); err == nil {
			t.Errorf("newResolver(%q) succeeded", fsURI)
		}
	}
}

func TestDir(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hdfs://nn:8020/a/b", "hdfs://nn:8020/a"},
		{"hdfs://127.0.0.1:18020/user/x/chk-1/f", "hdfs://127.0.0.1:18020/user/x/chk-1"},
		{"hdfs:///a/b", "hdfs:///a"},
		{"hdfs://nn:8020/a", "hdfs://nn:8020/"},
		{"file:///tmp/x", "file:///tmp"},
		{"/tmp/x/y", "/tmp/x"},
		{"rel/y", "rel"},
	} {
		if got := Dir(tc.in); got != tc.want {
			t.Errorf("Dir(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
