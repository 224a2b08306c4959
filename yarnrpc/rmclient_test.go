package yarnrpc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/proto"
)

func newTestRM(t *testing.T, handle func(method string, req, resp proto.Message) error) (*RMClient, *fakeCaller) {
	t.Helper()
	fc := &fakeCaller{handle: handle}
	c, err := NewRMClient(context.Background(), RMClientOptions{Caller: fc})
	if err != nil {
		t.Fatal(err)
	}
	return c, fc
}

func reportWith(state pb.YarnApplicationStateProto, diag string) *pb.ApplicationReportProto {
	return &pb.ApplicationReportProto{
		ApplicationId:        ApplicationID{ClusterTimestamp: 5, ID: 1}.proto(),
		YarnApplicationState: state.Enum(),
		Diagnostics:          proto.String(diag),
	}
}

func TestSubmitWaitsForAcceptance(t *testing.T) {
	app := ApplicationID{ClusterTimestamp: 5, ID: 1}
	tests := []struct {
		name     string
		states   []pb.YarnApplicationStateProto
		lostOnce bool
		wantErr  string
		submits  int
	}{
		{"accepted after polling", []pb.YarnApplicationStateProto{pb.YarnApplicationStateProto_NEW_SAVING, pb.YarnApplicationStateProto_SUBMITTED, pb.YarnApplicationStateProto_ACCEPTED}, false, "", 1},
		{"rejected", []pb.YarnApplicationStateProto{pb.YarnApplicationStateProto_SUBMITTED, pb.YarnApplicationStateProto_FAILED}, false,
			"application FAILED: Application application_5_0001 submitted by user u to unknown queue: q", 1},
		{"RM lost it once", []pb.YarnApplicationStateProto{pb.YarnApplicationStateProto_RUNNING}, true, "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			states, lost, submits := tc.states, tc.lostOnce, 0
			c, fc := newTestRM(t, func(method string, req, resp proto.Message) error {
				switch method {
				case "submitApplication":
					submits++
					return nil
				case "getApplicationReport":
					if lost {
						lost = false
						return remote(classAppNotFound, "Application with id 'application_5_0001' doesn't exist in RM.")
					}
					s := states[0]
					if len(states) > 1 {
						states = states[1:]
					}
					resp.(*pb.GetApplicationReportResponseProto).ApplicationReport = reportWith(s,
						"Application application_5_0001 submitted by user u to unknown queue: q")
					return nil
				}
				return errors.New("unexpected " + method)
			})
			err := c.Submit(context.Background(), ApplicationSubmissionContext{ID: app, Queue: "q",
				AM: ContainerLaunchContext{Commands: []string{"true"}}})
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				var se *SubmitError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want SubmitError containing %q", err, tc.wantErr)
				}
			}
			if submits != tc.submits {
				t.Fatalf("submitted %d times, want %d", submits, tc.submits)
			}
			req := fc.lastReq("submitApplication").(*pb.SubmitApplicationRequestProto)
			if req.GetApplicationSubmissionContext().GetQueue() != "q" {
				t.Fatalf("queue not sent: %v", req)
			}
		})
	}
}

func TestKillPollsUntilComplete(t *testing.T) {
	calls := 0
	c, fc := newTestRM(t, func(method string, req, resp proto.Message) error {
		calls++
		resp.(*pb.KillApplicationResponseProto).IsKillCompleted = proto.Bool(calls >= 3)
		return nil
	})
	if err := c.Kill(context.Background(), ApplicationID{ClusterTimestamp: 5, ID: 2}, "bye"); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Fatalf("forceKillApplication called %d times, want 3", calls)
	}
	req := fc.lastReq("forceKillApplication").(*pb.KillApplicationRequestProto)
	if req.GetDiagnostics() != "bye" || req.GetApplicationId().GetId() != 2 {
		t.Fatalf("kill request %v", req)
	}
}

func TestApplicationReportErrors(t *testing.T) {
	c, _ := newTestRM(t, func(method string, req, resp proto.Message) error {
		return remote(classAppNotFound, "Application with id 'application_5_0009' doesn't exist in RM.")
	})
	_, err := c.ApplicationReport(context.Background(), ApplicationID{ClusterTimestamp: 5, ID: 9})
	var re *RemoteError
	if !errors.Is(err, ErrApplicationNotFound) || !errors.As(err, &re) || !strings.Contains(err.Error(), "application_5_0009") {
		t.Fatalf("got %v", err)
	}
}

func TestApplicationsFilterAndNodes(t *testing.T) {
	c, fc := newTestRM(t, func(method string, req, resp proto.Message) error {
		switch method {
		case "getApplications":
			resp.(*pb.GetApplicationsResponseProto).Applications = []*pb.ApplicationReportProto{reportWith(pb.YarnApplicationStateProto_RUNNING, "")}
		case "getClusterNodes":
			resp.(*pb.GetClusterNodesResponseProto).NodeReports = []*pb.NodeReportProto{{
				NodeId: NodeID{"h", 1}.proto(), RackName: proto.String("/default-rack"), NodeState: pb.NodeStateProto_NS_RUNNING.Enum(),
				Capability: Resource{MemoryMB: 8192, VCores: 8}.proto(),
			}}
		}
		return nil
	})
	apps, err := c.Applications(context.Background(), ApplicationFilter{Types: []string{"Floe"}, States: []ApplicationState{StateRunning, StateAccepted}, Tags: []string{"t"}, Limit: 7})
	if err != nil || len(apps) != 1 || apps[0].State != StateRunning || apps[0].State.String() != "RUNNING" {
		t.Fatalf("apps %v %v", apps, err)
	}
	req := fc.lastReq("getApplications").(*pb.GetApplicationsRequestProto)
	if req.GetApplicationTypes()[0] != "Floe" || len(req.GetApplicationStates()) != 2 || req.GetApplicationTags()[0] != "t" || req.GetLimit() != 7 {
		t.Fatalf("request %v", req)
	}
	nodes, err := c.Nodes(context.Background(), NodeRunning)
	if err != nil || len(nodes) != 1 || nodes[0].ID.String() != "h:1" || nodes[0].State.String() != "RUNNING" || nodes[0].Capability.MemoryMB != 8192 {
		t.Fatalf("nodes %+v %v", nodes, err)
	}
	if st := fc.lastReq("getClusterNodes").(*pb.GetClusterNodesRequestProto).GetNodeStates(); len(st) != 1 || st[0] != pb.NodeStateProto_NS_RUNNING {
		t.Fatalf("node states sent %v", st)
	}
}

func TestRMAddrs(t *testing.T) {
	ha := conf.HadoopDefaults()
	ha.Set("yarn.resourcemanager.ha.enabled", "true")
	ha.Set("yarn.resourcemanager.ha.rm-ids", "rm1,rm2")
	ha.Set("yarn.resourcemanager.address.rm1", "a:1")
	ha.Set("yarn.resourcemanager.hostname.rm2", "b")
	ha.Set("yarn.resourcemanager.scheduler.address.rm1", "a:2")
	plain := conf.HadoopDefaults()
	plain.Set("yarn.resourcemanager.hostname", "rmhost")
	tests := []struct {
		name      string
		h         *conf.Hadoop
		explicit  []string
		scheduler bool
		want      string
	}{
		{"explicit wins", ha, []string{"x:1"}, false, "x:1"},
		{"single RM client", plain, nil, false, "rmhost:8032"},
		{"single RM scheduler", plain, nil, true, "rmhost:8030"},
		{"HA client", ha, nil, false, "a:1 b:8032"},
		{"HA scheduler", ha, nil, true, "a:2 b:8030"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rmAddrs(tc.h, tc.explicit, tc.scheduler)
			if err != nil || strings.Join(got, " ") != tc.want {
				t.Fatalf("rmAddrs = %v, %v; want %s", got, err, tc.want)
			}
		})
	}
	if _, err := rmAddrs(nil, nil, false); err == nil {
		t.Fatal("no error without configuration")
	}
}
