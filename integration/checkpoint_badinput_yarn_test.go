package integration

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/examples/ledger/ledgercheck"
)

// TestYarnCheckpointBadInput is issue 9's bad input for checkpoints and
// savepoints on YARN: `floe run -t yarn-per-job` of the ledger with a
// checkpoint every second and each bad setting fails with an error that
// names the problem, and leaves nothing behind: no application still
// running, no staging folder, no file under the case's checkpoint folder.
func TestYarnCheckpointBadInput(t *testing.T) {
	e := newYC(t)
	dir := e.testDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.writeLines(t, dir+"/in/tx.txt", ledgercheck.Generate(200, 5, 1))

	// A port nothing listens on: a NameNode that is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downPort := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// A folder the submitting user may not write: made 0555 by this
	// test's user (HDFS's superuser here), submitted as another user (the
	// cluster uses simple authentication).
	readOnly := dir + "/readonly"
	if err := e.st.MkdirAll(ctx, readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	const otherUser = "floe-ck-other"
	// Savepoints: one that does not exist, one whose _metadata is garbage.
	corrupt := dir + "/savepoint-corrupt"
	e.writeLines(t, corrupt+"/_metadata", []string{"this is not a savepoint"})

	cases := []struct {
		name string
		// chk is the case's state.checkpoints.dir ("": dir/chk-<case>).
		chk  string
		args []string // more flags before the job binary
		env  []string
		want []string
	}{
		{name: "checkpoint dir on a NameNode that is down", chk: fmt.Sprintf("hdfs://127.0.0.1:%d/floe/chk", downPort),
			want: []string{"state.checkpoints.dir", fmt.Sprintf("127.0.0.1:%d", downPort), "cannot be reached"}},
		{name: "checkpoint dir without write permission", chk: e.qualify(t, readOnly), env: []string{contract.EnvHadoopUserName + "=" + otherUser},
			args: []string{"-Dyarn.staging-directory=" + e.qualify(t, dir+"/staging-other")},
			want: []string{"state.checkpoints.dir", readOnly, otherUser, "may not write"}},
		{name: "unknown backend", args: []string{"-Dstate.backend.type=leveldb"},
			want: []string{"state.backend.type", "leveldb", "hashmap or pebble"}},
		{name: "rocksdb names pebble", args: []string{"-Dstate.backend.type=rocksdb"},
			want: []string{"state.backend.type", "rocksdb", "pebble"}},
		{name: "savepoint path that does not exist", args: []string{"-s", e.qualify(t, dir+"/no-such-savepoint")},
			want: []string{"no-such-savepoint", "does not exist"}},
		{name: "corrupt savepoint metadata", args: []string{"-s", e.qualify(t, corrupt)},
			want: []string{"savepoint-corrupt", "_metadata"}},
	}
	if err := e.st.MkdirAll(ctx, dir+"/staging-other", 0o777); err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chk := tc.chk
			if chk == "" {
				chk = e.qualify(t, fmt.Sprintf("%s/chk-%d", dir, i))
			}
			before := e.stagingApps(t)
			args := []string{"run", "-t", "yarn-per-job", "-Dyarn.tags=" + e.tag, "-p", "1",
				"-Dexecution.checkpointing.interval=1s", "-Dstate.checkpoints.dir=" + chk}
			args = append(append(args, tc.args...), e.bins+"/ledger",
				"--input", e.qualify(t, dir+"/in"), "--output", e.qualify(t, fmt.Sprintf("%s/out-%d", dir, i)))
			o, err := e.floeEnv(t, 3*time.Minute, "", tc.env, args...)
			if err == nil {
				t.Fatalf("succeeded; want an error naming %q", tc.want)
			}
			if strings.Contains(err.Error(), "not done within") {
				t.Fatalf("no prompt error: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(o, w) {
					t.Errorf("error output lacks %q:\n%s", w, o)
				}
			}
			if strings.Contains(chk, fmt.Sprintf(":%d/", downPort)) {
				chk = "" // nothing can be written there
			}
			e.wantNothingLeft(t, before, chk)
		})
	}
}

// wantNothingLeft waits until every application of this test has ended
// and its staging folder is gone, checks that no staging folder appeared
// since before, and that the checkpoint folder chk holds no file ("": a
// folder on a file system that cannot be reached).
func (e *ycEnv) wantNothingLeft(t *testing.T, before map[string]bool, chk string) {
	t.Helper()
	waitUntil(t, 2*time.Minute, "every application of the test to end", func() (bool, error) {
		for _, a := range e.appsTagged(t) {
			if !a.State.Terminal() {
				return false, nil
			}
		}
		return true, nil
	})
	for _, a := range e.appsTagged(t) {
		e.waitStagingGone(t, a.ID, time.Minute)
	}
	for a := range e.stagingApps(t) {
		if !before[a] {
			t.Errorf("staging folder %s left behind", a)
		}
	}
	if chk == "" {
		return
	}
	if files := e.filesUnder(t, chk); len(files) > 0 {
		t.Errorf("checkpoint files left under %s: %v", chk, files)
	}
}

// filesUnder lists the files (not folders) under p, recursively; none when
// p does not exist.
func (e *ycEnv) filesUnder(t *testing.T, p string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	var walk func(string)
	walk = func(d string) {
		fis, err := e.st.List(ctx, d)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("list %s: %v", d, err)
			}
			return
		}
		for _, fi := range fis {
			if fi.IsDir {
				walk(fi.Path)
				continue
			}
			out = append(out, path.Base(fi.Path))
		}
	}
	walk(p)
	return out
}
