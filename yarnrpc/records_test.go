package yarnrpc

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

func TestURLProto(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // prototext of URLProto
		err  bool
	}{
		{"hdfs with port", "hdfs://127.0.0.1:18020/user/u/.floe/app/bin", `scheme:"hdfs" host:"127.0.0.1" port:18020 file:"/user/u/.floe/app/bin"`, false},
		{"no port means -1", "hdfs://nameservice1/p/f", `scheme:"hdfs" host:"nameservice1" port:-1 file:"/p/f"`, false},
		{"local file", "file:///tmp/x", `scheme:"file" port:-1 file:"/tmp/x"`, false},
		{"relative", "bin/floe", "", true},
		{"no path", "hdfs://nn:8020", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := urlProto(tc.in)
			if tc.err {
				if err == nil {
					t.Fatalf("urlProto(%q) succeeded", tc.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &pb.URLProto{}
			if err := prototext.Unmarshal([]byte(tc.want), want); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(p, want) {
				t.Fatalf("urlProto(%q) = %v, want %v", tc.in, p, want)
			}
		})
	}
}

func TestLaunchContextProto(t *testing.T) {
	clc := ContainerLaunchContext{
		LocalResources: map[string]LocalResource{
			"floe": {URL: "hdfs://nn:8020/s/floe", Size: 1234, Timestamp: 1700000000123},
			"conf": {URL: "hdfs://nn:8020/s/conf.zip", Size: 9, Timestamp: 5, Type: ResourceArchive, Visibility: VisibilityPublic},
		},
		Env:      map[string]string{"B": "2", "A": "1"},
		Commands: []string{"./floe jobmanager", "1><LOG_DIR>/stdout"},
	}
	p, err := clc.proto()
	if err != nil {
		t.Fatal(err)
	}
	if p.Tokens != nil {
		t.Fatal("nil Tokens must omit the field (YARN refuses an empty token blob)")
	}
	if len(p.GetLocalResources()) != 2 || p.GetLocalResources()[0].GetKey() != "conf" {
		t.Fatalf("local resources not sorted by name: %v", p.GetLocalResources())
	}
	floe := p.GetLocalResources()[1].GetValue()
	if floe.GetTimestamp() != 1700000000123 || floe.GetSize() != 1234 || floe.GetType() != pb.LocalResourceTypeProto_FILE ||
		floe.GetVisibility() != pb.LocalResourceVisibilityProto_APPLICATION || floe.GetResource().GetPort() != 8020 {
		t.Fatalf("floe resource %v", floe)
	}
	if conf := p.GetLocalResources()[0].GetValue(); conf.GetType() != pb.LocalResourceTypeProto_ARCHIVE || conf.GetVisibility() != pb.LocalResourceVisibilityProto_PUBLIC {
		t.Fatalf("conf resource %v", conf)
	}
	if e := p.GetEnvironment(); len(e) != 2 || e[0].GetKey() != "A" || e[1].GetValue() != "2" {
		t.Fatalf("environment %v", e)
	}
	if strings.Join(p.GetCommand(), " ") != "./floe jobmanager 1><LOG_DIR>/stdout" {
		t.Fatalf("command %v", p.GetCommand())
	}

	tests := []struct {
		name   string
		tokens []byte
		ok     bool
	}{
		{"hdts blob", (&Credentials{}).Marshal(), true},
		{"empty but present", []byte{}, false},
		{"garbage", []byte("nope!"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ContainerLaunchContext{Tokens: tc.tokens}.proto()
			if (err == nil) != tc.ok {
				t.Fatalf("tokens %q: err=%v", tc.tokens, err)
			}
		})
	}
}

func TestSubmissionContextProto(t *testing.T) {
	id := ApplicationID{ClusterTimestamp: 9, ID: 3}
	p, err := ApplicationSubmissionContext{ID: id, AMResource: Resource{MemoryMB: 512, VCores: 1}}.proto()
	if err != nil {
		t.Fatal(err)
	}
	// Zero values are omitted so the RM applies its own defaults.
	if p.Queue != nil || p.ApplicationName != nil || p.ApplicationType != nil || p.MaxAppAttempts != nil || p.ApplicationTimeouts != nil {
		t.Fatalf("defaults sent explicitly: %v", p)
	}
	if p.GetQueue() != "default" || p.GetApplicationType() != "YARN" || p.GetApplicationName() != "N/A" {
		t.Fatalf("proto defaults %q %q %q", p.GetQueue(), p.GetApplicationType(), p.GetApplicationName())
	}
	p, err = ApplicationSubmissionContext{ID: id, Name: "n", Queue: "q", Type: "Floe", Tags: []string{"a"}, MaxAttempts: 2,
		Lifetime: 90 * time.Second, AttemptFailuresValidity: time.Minute, KeepContainers: true}.proto()
	if err != nil {
		t.Fatal(err)
	}
	if p.GetQueue() != "q" || p.GetApplicationType() != "Floe" || p.GetMaxAppAttempts() != 2 || !p.GetKeepContainersAcrossApplicationAttempts() ||
		p.GetAttemptFailuresValidityInterval() != 60000 || p.GetApplicationTimeouts()[0].GetTimeout() != 90 || p.GetApplicationTags()[0] != "a" {
		t.Fatalf("submission context %v", p)
	}
}

func TestReportConversions(t *testing.T) {
	p := &pb.ApplicationReportProto{
		ApplicationId:               ApplicationID{ClusterTimestamp: 9, ID: 3}.proto(),
		CurrentApplicationAttemptId: ApplicationAttemptID{App: ApplicationID{ClusterTimestamp: 9, ID: 3}, Attempt: 2}.proto(),
		YarnApplicationState:        pb.YarnApplicationStateProto_FINISHED.Enum(),
		FinalApplicationStatus:      pb.FinalApplicationStatusProto_APP_SUCCEEDED.Enum(),
		Host:                        proto.String("am"), RpcPort: proto.Int32(7),
		StartTime: proto.Int64(1700000000000), FinishTime: proto.Int64(0),
	}
	r := appReportFromProto(p)
	if r.ID.String() != "application_9_0003" || r.Attempt.String() != "appattempt_9_0003_000002" ||
		r.State.String() != "FINISHED" || r.FinalStatus.String() != "SUCCEEDED" || !r.State.Terminal() {
		t.Fatalf("report %+v", r)
	}
	if r.Diagnostics != "N/A" {
		t.Fatalf("diagnostics default = %q, want Hadoop's N/A", r.Diagnostics)
	}
	if r.StartTime.UnixMilli() != 1700000000000 || !r.FinishTime.IsZero() {
		t.Fatalf("times %v %v", r.StartTime, r.FinishTime)
	}
	if s := ApplicationState(42).String(); s != "UNKNOWN(42)" {
		t.Fatalf("unknown state = %q", s)
	}
	st := containerStatusFromProto(&pb.ContainerStatusProto{ContainerId: NewContainerID(testAttempt, 0, 1).proto()})
	if st.ExitStatus != ExitInvalid || st.Diagnostics != "N/A" {
		t.Fatalf("container status defaults %+v", st)
	}
	q := queueInfoFromProto(&pb.QueueInfoProto{QueueName: proto.String("root"), State: pb.QueueStateProto_Q_RUNNING.Enum(),
		ChildQueues: []*pb.QueueInfoProto{{QueueName: proto.String("default"), Capacity: proto.Float32(1)}}})
	if q.State.String() != "RUNNING" || len(q.Children) != 1 || q.Children[0].Capacity != 1 {
		t.Fatalf("queue %+v", q)
	}
}

// TestLaunchEnvLiteral: an env value reaches the container exactly as given,
// through the NodeManager's `export K="value"` line (run here by bash).
func TestLaunchEnvLiteral(t *testing.T) {
	values := map[string]string{
		"plain":     "abc",
		"json":      `["--input","hdfs://nn:8020/a b"]`,
		"dollar":    "$HOME `id`",
		"backslash": `a\b\"c`,
	}
	p, err := ContainerLaunchContext{Env: values}.proto()
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range p.GetEnvironment() {
		want := values[kv.GetKey()]
		out, err := exec.Command("bash", "-c", `export V="`+kv.GetValue()+`"; printf '%s' "$V"`).Output()
		if err != nil || string(out) != want {
			t.Errorf("%s: container sees %q (%v), want %q", kv.GetKey(), out, err, want)
		}
	}
}
