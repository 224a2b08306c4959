package jobstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager/api"
)

func newFS(t *testing.T) *hdfsstore.Store {
	t.Helper()
	st, err := hdfsstore.New(context.Background(), hdfsstore.Options{User: "floe"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func open(t *testing.T, fsys FS, root string, attempt int) (*Store, State) {
	t.Helper()
	s, st, err := Open(context.Background(), fsys, root, attempt, "")
	if err != nil {
		t.Fatalf("Open attempt %d: %v", attempt, err)
	}
	return s, st
}

// TestTakeoverAndFencing: attempt 2 resumes what attempt 1 recorded; a
// resumed attempt 1 (a zombie) can no longer write, and what it writes
// anyway is never read by attempt 3; an attempt that finds a later one is
// fenced at Open.
func TestTakeoverAndFencing(t *testing.T) {
	ctx := context.Background()
	fsys, root := newFS(t), filepath.Join(t.TempDir(), "ha")

	a1, st := open(t, fsys, root, 1)
	if st.From != 0 || len(st.Jobs) != 0 {
		t.Fatalf("first attempt found %+v, want nothing", st)
	}
	for i, id := range []string{"bbb", "aaa"} {
		if err := a1.PutJob(ctx, JobRecord{ID: id, Name: "job-" + id, Seq: int64(i), Graph: []byte(`{"name":"x"}`), Binary: "hdfs:///job"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a1.PutCheckpoint(ctx, "bbb", 7, "/ck/bbb/chk-7/_metadata"); err != nil {
		t.Fatal(err)
	}
	if err := a1.PutFinal(ctx, "aaa", api.JobFinished, "", time.UnixMilli(5)); err != nil {
		t.Fatal(err)
	}

	a2, st := open(t, fsys, root, 2)
	if st.From != 1 || len(st.Jobs) != 2 {
		t.Fatalf("attempt 2 found %+v, want the two jobs of attempt 1", st)
	}
	b, a := st.Jobs[0], st.Jobs[1]
	if b.Submission.ID != "bbb" || b.Checkpoint == nil || b.Checkpoint.ID != 7 || b.Checkpoint.Attempt != 1 || b.Final != nil ||
		string(b.Submission.Graph) != `{"name":"x"}` {
		t.Errorf("job bbb: %+v (checkpoint %+v), want submission order first, chk-7 written by attempt 1, not final", b, b.Checkpoint)
	}
	if a.Submission.ID != "aaa" || a.Final == nil || a.Final.State != api.JobFinished || a.Checkpoint != nil {
		t.Errorf("job aaa: %+v, want FINISHED", a)
	}
	if _, err := os.Stat(filepath.Join(root, "attempt-1")); !os.IsNotExist(err) {
		t.Errorf("attempt-1 folder after the takeover: %v, want removed", err)
	}

	// The zombie wakes up: every write is refused.
	if err := a1.PutCheckpoint(ctx, "bbb", 8, "/ck/bbb/chk-8/_metadata"); !errors.Is(err, ErrFenced) {
		t.Fatalf("zombie checkpoint record: %v, want ErrFenced", err)
	}
	if err := a1.Check(ctx); !errors.Is(err, ErrFenced) {
		t.Fatalf("zombie check: %v, want ErrFenced", err)
	}
	if _, _, err := Open(ctx, fsys, root, 1, ""); !errors.Is(err, ErrFenced) {
		t.Fatalf("zombie Open: %v, want ErrFenced", err)
	}
	if err := a2.PutCheckpoint(ctx, "bbb", 9, "/ck/bbb/chk-9/_metadata"); err != nil {
		t.Fatalf("current attempt: %v", err)
	}

	_, st = open(t, fsys, root, 3)
	if st.From != 2 || len(st.Jobs) != 2 || st.Jobs[0].Checkpoint.ID != 9 || st.Jobs[0].Checkpoint.Attempt != 2 {
		t.Fatalf("attempt 3 found %+v, want attempt 2's records with chk-9 (the zombie's chk-8 never read)", st)
	}
}

// TestIncompleteTakeoverSkipped: an attempt that died before finishing its
// takeover (no _ready) is skipped; the next one reads the last complete one.
func TestIncompleteTakeoverSkipped(t *testing.T) {
	ctx := context.Background()
	fsys, root := newFS(t), filepath.Join(t.TempDir(), "ha")
	a1, _ := open(t, fsys, root, 1)
	if err := a1.PutJob(ctx, JobRecord{ID: "j", Graph: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "attempt-2"), 0o700); err != nil { // attempt 2 died right after its fence
		t.Fatal(err)
	}
	_, st := open(t, fsys, root, 3)
	if st.From != 1 || len(st.Jobs) != 1 || st.Jobs[0].Submission.ID != "j" {
		t.Fatalf("attempt 3 found %+v, want attempt 1's job", st)
	}
}

func TestOpenBadInput(t *testing.T) {
	cases := []struct {
		name    string
		attempt int
	}{
		{"zero attempt", 0},
		{"negative attempt", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Open(context.Background(), newFS(t), t.TempDir(), tc.attempt, ""); err == nil {
				t.Fatal("Open succeeded, want an error naming the attempt")
			}
		})
	}
}
