package am

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/am/jobstore"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/graph"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/jobmanager/api"
	"github.com/floe-yarn/floe/yarnrpc"
)

// localJobFS keeps the job store on local disk; hdfs:// paths (the job
// binary) stat as a small file.
type localJobFS struct{ *hdfsstore.Store }

func (l localJobFS) Stat(ctx context.Context, p string) (hdfsstore.FileInfo, error) {
	if strings.HasPrefix(p, "hdfs://") {
		return hdfsstore.FileInfo{Path: p, Size: 1}, nil
	}
	return l.Store.Stat(ctx, p)
}

const testJobID = "0123456789abcdef0123456789abcdef"

func newLocalJobFS(t *testing.T) localJobFS {
	t.Helper()
	st, err := hdfsstore.New(context.Background(), hdfsstore.Options{User: "floe"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return localJobFS{st}
}

// recordAttempt1 writes what attempt 1 of the test application recorded
// for its per-job job (the graph runAppMaster plans), final when given.
func recordAttempt1(t *testing.T, fsys jobStoreFS, haRoot string, final api.JobState) {
	t.Helper()
	ctx := context.Background()
	s, _, err := jobstore.Open(ctx, fsys, haRoot, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	l := &graph.Logical{Name: "j"}
	l.AddNode(graph.Node{Kind: "source", Name: "src", Parallelism: 2})
	g, err := graph.Build(l)
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutJob(ctx, jobstore.JobRecord{ID: testJobID, Name: "j", Graph: b, Pool: "hdfs://nn:8020/job", Binary: "hdfs://nn:8020/job",
		Restart: api.RestartStrategy{Type: api.RestartNone}}); err != nil {
		t.Fatal(err)
	}
	if final != "" {
		if err := s.PutFinal(ctx, testJobID, final, "", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppMasterFailover(t *testing.T) {
	appDir := "application_1700000000000_0007"
	cases := []struct {
		name    string
		attempt int32
		prefill func(t *testing.T, fsys jobStoreFS, root string)
		tc      amCase
		// check inspects the job store's folder afterwards.
		check func(t *testing.T, root string)
	}{
		{name: "attempt 1 records its job and the final state", attempt: 1,
			tc: amCase{mode: contract.ModePerJob, tm: finishTasks, wantStatus: yarnrpc.FinalSucceeded, wantDiag: "finished", wantFinish: true},
			check: func(t *testing.T, root string) {
				for _, f := range []string{testJobID + ".job", testJobID + ".final", "_ready"} {
					if _, err := os.Stat(filepath.Join(root, "attempt-1", f)); err != nil {
						t.Errorf("job store: %v", err)
					}
				}
			}},
		{name: "attempt 2 resumes the unfinished job of attempt 1", attempt: 2,
			prefill: func(t *testing.T, fsys jobStoreFS, root string) { recordAttempt1(t, fsys, root, "") },
			tc:      amCase{mode: contract.ModePerJob, tm: finishTasks, wantStatus: yarnrpc.FinalSucceeded, wantDiag: "finished", wantFinish: true},
			check: func(t *testing.T, root string) {
				if _, err := os.Stat(filepath.Join(root, "attempt-1")); !os.IsNotExist(err) {
					t.Errorf("attempt-1 after the takeover: %v, want removed", err)
				}
				b, err := os.ReadFile(filepath.Join(root, "attempt-2", testJobID+".final"))
				if err != nil || !strings.Contains(string(b), `"state":"FINISHED"`) || !strings.Contains(string(b), `"attempt":2`) {
					t.Errorf("final record %s (%v), want FINISHED written by attempt 2", b, err)
				}
			}},
		{name: "attempt 2 ends with a job that had finished", attempt: 2,
			prefill: func(t *testing.T, fsys jobStoreFS, root string) { recordAttempt1(t, fsys, root, api.JobFinished) },
			tc:      amCase{mode: contract.ModePerJob, tm: failTasks, wantStatus: yarnrpc.FinalSucceeded, wantDiag: "finished", wantFinish: true}},
		{name: "a session's attempt 2 serves the jobs of attempt 1 from the start", attempt: 2,
			prefill: func(t *testing.T, fsys jobStoreFS, root string) { recordAttempt1(t, fsys, root, "") },
			tc: amCase{mode: contract.ModeSession, tm: runTasks, wantStatus: yarnrpc.FinalSucceeded, wantDiag: "shut down", wantFinish: true,
				reports: func(_ context.Context, id yarnrpc.ApplicationAttemptID) (yarnrpc.ApplicationAttemptReport, error) {
					if id.Attempt != 1 || id.App.ID != 7 {
						return yarnrpc.ApplicationAttemptReport{}, fmt.Errorf("asked for %s, want attempt 1", id)
					}
					return yarnrpc.ApplicationAttemptReport{ID: id, Diagnostics: "AM Container for " + id.String() +
						" exited with  exitCode: 137\nKilled by external signal\nFor more detailed output, check the application tracking page"}, nil
				},
				act: func(t *testing.T, c *api.Client, _ context.CancelFunc) {
					var list api.JobList
					var err error
					for i := 0; i < 100; i++ { // the endpoint may not listen yet
						if list, err = c.Jobs(context.Background()); err == nil {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
					if err != nil || len(list.Jobs) != 1 || list.Jobs[0].ID != testJobID {
						t.Errorf("first job list %+v (%v), want the recovered job %s", list, err, testJobID)
					}
					// The failover's entry in the exception history says how
					// the former attempt ended, as the RM reported it.
					st, err := c.Job(context.Background(), testJobID)
					want := "the ResourceManager says: AM Container for appattempt_1700000000000_0007_000001 exited with exitCode: 137 Killed by external signal"
					if err != nil || len(st.Exceptions) == 0 || !strings.Contains(st.Exceptions[0].Cause, want) ||
						strings.Contains(st.Exceptions[0].Cause, "tracking page") {
						t.Errorf("exception history %+v (%v), want the failover with %q", st.Exceptions, err, want)
					}
					if err := c.Shutdown(context.Background(), "done"); err != nil {
						t.Errorf("shutdown: %v", err)
					}
				}}},
		{name: "a session's attempt 2 lists the job that ended under attempt 1 and does not run it", attempt: 2,
			prefill: func(t *testing.T, fsys jobStoreFS, root string) { recordAttempt1(t, fsys, root, api.JobCanceled) },
			tc: amCase{mode: contract.ModeSession, tm: failTasks, wantStatus: yarnrpc.FinalSucceeded, wantDiag: "shut down", wantFinish: true,
				act: func(t *testing.T, c *api.Client, _ context.CancelFunc) {
					var st api.JobStatus
					var err error
					for i := 0; i < 100; i++ { // the endpoint may not listen yet
						if st, err = c.Job(context.Background(), testJobID); err == nil {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
					if err != nil || st.State != api.JobCanceled || len(st.Subtasks) != 2 || st.Subtasks[0].State != api.Canceled {
						t.Errorf("job %s after the failover: %+v (%v); want CANCELED with its 2 subtasks canceled", testJobID, st, err)
					}
					time.Sleep(200 * time.Millisecond) // had it been deployed, failTasks would have failed it by now
					if list, err := c.Jobs(context.Background()); err != nil || len(list.Jobs) != 1 || list.Jobs[0].State != api.JobCanceled {
						t.Errorf("job list %+v (%v), want the job CANCELED", list, err)
					}
					if err := c.Shutdown(context.Background(), "done"); err != nil {
						t.Errorf("shutdown: %v", err)
					}
				}}},
		{name: "a zombie attempt 1 finds attempt 2 and exits", attempt: 1,
			prefill: func(t *testing.T, fsys jobStoreFS, root string) {
				if _, _, err := jobstore.Open(context.Background(), fsys, root, 2, ""); err != nil {
					t.Fatal(err)
				}
			},
			tc: amCase{mode: contract.ModePerJob, tm: finishTasks, wantErr: "later application attempt"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := newLocalJobFS(t)
			haBase := t.TempDir()
			root := filepath.Join(haBase, appDir)
			if c.prefill != nil {
				c.prefill(t, fsys, root)
			}
			tc := c.tc
			tc.attempt, tc.attempts, tc.jobFS = c.attempt, 2, fsys
			tc.set = map[string]string{conf.HAStorageDir: haBase}
			res, rm, store := runAppMaster(t, tc, func() {})
			fin := rm.unregistered()
			switch {
			case !tc.wantFinish && len(fin) > 0:
				t.Errorf("unregistered %+v; want no unregistration", fin)
			case tc.wantFinish && (len(fin) != 1 || fin[0].Status != tc.wantStatus || !strings.Contains(fin[0].Diagnostics, tc.wantDiag)):
				t.Errorf("unregistered %+v; want once with %v and %q", fin, tc.wantStatus, tc.wantDiag)
			}
			if tc.wantErr == "" && res.Status != tc.wantStatus {
				t.Errorf("result %+v, want %v", res, tc.wantStatus)
			}
			removed := store.removals()
			if tc.wantFinish != (len(removed) == 2 && removed[0] == testStaging && removed[1] == root) {
				t.Errorf("removals %q; want the staging folder and the job store %s removed only when the application ends", removed, root)
			}
			if c.check != nil {
				c.check(t, root)
			}
		})
	}
}
