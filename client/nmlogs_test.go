package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/yarnrpc"
)

// fakeNM serves the NodeManager web-service answers Hadoop 3.4 gives (as
// captured from the minicluster) for one finished application whose AM
// container ran with RM epoch 2.
func fakeNM(t *testing.T, amID string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ws/v1/node/apps/", func(w http.ResponseWriter, r *http.Request) {
		// A finished application: no container ids any more.
		_, _ = w.Write([]byte(`{"app":{"id":"x","state":"FINISHED","user":"root"}}`))
	})
	mux.HandleFunc("/ws/v1/node/containers/", func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/ws/v1/node/containers/")
		id, rest, _ := strings.Cut(p, "/")
		switch {
		case id != amID && rest == "logs":
			// Ids the NodeManager never ran: 200 with no files.
			_, _ = w.Write([]byte(`{"containerLogsInfo":{"logAggregationType":"LOCAL","containerId":"` + id + `","nodeId":"localhost:1"}}`))
		case rest == "logs":
			_, _ = w.Write([]byte(`{"containerLogsInfo":{"containerLogInfo":[{"fileName":"jobmanager.err","fileSize":"40","lastModifiedTime":"x"},{"fileName":"jobmanager.out","fileSize":"0","lastModifiedTime":"x"}],"logAggregationType":"LOCAL","containerId":"` + id + `","nodeId":"localhost:1"}}`))
		case rest == "logs/jobmanager.err" && id == amID:
			_, _ = w.Write([]byte("Container: " + id + " on localhost:1\nLogAggregationType: LOCAL\n====\nLogType:jobmanager.err\nLogLength:40\nLogContents:\nfirst line\nsecond line\nfloe: jobmanager --yarn: boom\nEnd of LogType:jobmanager.err.\n*****\n"))
		case rest == "logs/jobmanager.out" && id == amID:
			_, _ = w.Write([]byte("LogType:jobmanager.out\nLogContents:\nEnd of LogType:jobmanager.out.This log file belongs to a running container\n"))
		default:
			http.Error(w, `{"RemoteException":{"message":"Unknown container"}}`, http.StatusNotFound)
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestAMLogTailOfFinishedApplication(t *testing.T) {
	attempt := yarnrpc.ApplicationAttemptID{App: testApp, Attempt: 1}
	am := yarnrpc.NewContainerID(attempt, 2, 1)
	nm := fakeNM(t, am.String())
	f := newDeployFixture(t, nil, Platform{})
	f.rm.nodes = []yarnrpc.NodeReport{{HTTPAddress: strings.TrimPrefix(nm.URL, "http://")}}
	cases := []struct {
		name string
		diag string
	}{
		{"id from the diagnostics", "AM Container for appattempt exited.\nContainer id: " + am.String() + "\nExit code: 1"},
		{"id derived from the attempt", "Application killed by user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := yarnrpc.ApplicationReport{ID: testApp, Attempt: attempt, Diagnostics: tc.diag}
			got := f.desc.Logs().AMLogTail(context.Background(), rep, 2)
			want := []string{"jobmanager.err: second line", "jobmanager.err: floe: jobmanager --yarn: boom"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("AMLogTail = %q, want %q", got, want)
			}
		})
	}
}

func TestAMLogTailUnreachable(t *testing.T) {
	f := newDeployFixture(t, nil, Platform{})
	f.rm.nodes = []yarnrpc.NodeReport{{HTTPAddress: "127.0.0.1:1"}}
	got := f.desc.Logs().AMLogTail(context.Background(), yarnrpc.ApplicationReport{ID: testApp, Attempt: yarnrpc.ApplicationAttemptID{App: testApp, Attempt: 1}}, 5)
	if len(got) != 1 || !strings.Contains(got[0], "AM log not readable") {
		t.Errorf("AMLogTail = %q, want one line saying why", got)
	}
}

func TestLogContents(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"framed", "Container: c\nLogContents:\na\nb\nEnd of LogType:x.\n***\n", "a\nb\n"},
		{"empty running", "LogContents:\nEnd of LogType:x.This log file belongs to a running container", ""},
		{"unframed", "plain text\n", "plain text\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := LogContents(tc.in); got != tc.want {
				t.Errorf("LogContents = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFindContainer: a finished container is not in the NodeManagers'
// listings; `floe logs --container` still finds the node that keeps its
// logs, and says so when none does.
func TestFindContainer(t *testing.T) {
	attempt := yarnrpc.ApplicationAttemptID{App: testApp, Attempt: 1}
	am := yarnrpc.NewContainerID(attempt, 2, 1)
	nm := fakeNM(t, am.String())
	node := strings.TrimPrefix(nm.URL, "http://")
	f := newDeployFixture(t, nil, Platform{})
	f.rm.nodes = []yarnrpc.NodeReport{{HTTPAddress: "127.0.0.1:1"}, {HTTPAddress: node}}
	logs := f.desc.Logs()
	cases := []struct {
		name   string
		id     yarnrpc.ContainerID
		wantOK bool
	}{
		{"probed on every node", am, true},
		{"no node has it", yarnrpc.NewContainerID(attempt, 2, 5), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok, err := logs.FindContainer(context.Background(), tc.id)
			if err != nil || ok != tc.wantOK || (ok && (c.ID != tc.id || c.NodeWS != node)) {
				t.Fatalf("FindContainer = %+v, %v, %v; want found=%v on %s", c, ok, err, tc.wantOK, node)
			}
		})
	}
	// The application's containers: none listed, so the AM's is probed.
	cs, err := logs.AppContainers(context.Background(), yarnrpc.ApplicationReport{ID: testApp, Attempt: attempt})
	if err != nil || len(cs) != 1 || cs[0].ID != am || !cs[0].IsAM() {
		t.Fatalf("AppContainers = %+v, %v; want the AM container %s", cs, err, am)
	}
}
