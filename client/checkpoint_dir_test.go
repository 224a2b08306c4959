package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
)

// TestCheckCheckpointDir: a writable folder (existing or not) passes and
// keeps nothing of the probe; a file, or a NameNode that is down, is a bad
// input naming the option, the folder and the fix.
func TestCheckCheckpointDir(t *testing.T) {
	ctx := context.Background()
	st, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: conf.HadoopDefaults()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "existing"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf("hdfs://%s/chk", l.Addr())
	_ = l.Close()
	cases := []struct {
		name, dir string
		want      []string // empty: no error
	}{
		{"existing folder", "file://" + root + "/existing", nil},
		{"missing folder", "file://" + root + "/missing/chk", nil},
		{"a file", "file://" + root + "/file", []string{conf.CheckpointsDir, "is a file"}},
		{"NameNode down", down, []string{conf.CheckpointsDir, down, "cannot be reached", "start its NameNode"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCheckpointDir(ctx, st, tc.dir)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				// Nothing left: no probe file, and no folder the probe made.
				ents, _ := os.ReadDir(filepath.Join(root, "existing"))
				if len(ents) != 0 {
					t.Fatalf("left in the folder: %v", ents)
				}
				if _, err := os.Stat(filepath.Join(root, "missing", "chk")); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("the probe's folder is left: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("err %v: want ErrBadInput", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
