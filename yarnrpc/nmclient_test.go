package yarnrpc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/proto"
)

func TestNMClientStartContainer(t *testing.T) {
	node := NodeID{Host: "h", Port: 18041}
	ok := Container{ID: NewContainerID(testAttempt, 0, 2), Node: node, Token: Token{Identifier: []byte("ct"), Password: []byte("cp"), Kind: "ContainerToken"}}
	bad := Container{ID: NewContainerID(testAttempt, 0, 3), Node: node, Token: Token{Kind: "ContainerToken"}}
	tokens := map[NodeID]Token{node: {Identifier: []byte("nm"), Password: []byte("p"), Kind: KindNMToken}}
	var dials []NodeID
	fc := &fakeCaller{}
	fc.handle = func(method string, req, resp proto.Message) error {
		in := req.(*pb.StartContainersRequestProto).GetStartContainerRequest()[0]
		out := resp.(*pb.StartContainersResponseProto)
		if string(in.GetContainerToken().GetIdentifier()) == "ct" {
			out.SucceededRequests = []*pb.ContainerIdProto{ok.ID.proto()}
			return nil
		}
		out.FailedRequests = []*pb.ContainerExceptionMapProto{{
			ContainerId: bad.ID.proto(),
			Exception: &pb.SerializedExceptionProto{
				ClassName: proto.String("org.apache.hadoop.yarn.exceptions.YarnException"),
				Message:   proto.String("Unauthorized request to start container."),
			},
		}}
		return nil
	}
	c, err := NewNMClient(context.Background(), NMClientOptions{
		Tokens: func(n NodeID) (Token, bool) { t, ok := tokens[n]; return t, ok },
		Dial: func(n NodeID, tok Token) (Caller, error) {
			dials = append(dials, n)
			if string(tok.Identifier) != "nm" {
				t.Errorf("dialled with token %v", tok)
			}
			return fc, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	clc := ContainerLaunchContext{Commands: []string{"exit 0"}, Env: map[string]string{"A": "1"}}
	if err := c.StartContainer(context.Background(), ok, clc); err != nil {
		t.Fatal(err)
	}
	err = c.StartContainer(context.Background(), bad, clc)
	var ce *ContainerError
	var re *RemoteError
	if !errors.As(err, &ce) || ce.Container != bad.ID || !errors.As(err, &re) ||
		re.Class != "org.apache.hadoop.yarn.exceptions.YarnException" || !strings.Contains(err.Error(), "Unauthorized request to start container.") {
		t.Fatalf("got %v, want the NM's exception", err)
	}
	if len(dials) != 1 {
		t.Fatalf("want one connection per NM, dialled %v", dials)
	}
	// A newer NMToken reaches the existing connection for its reconnects.
	tokens[node] = Token{Identifier: []byte("nm2"), Password: []byte("p2"), Kind: KindNMToken}
	if err := c.StartContainer(context.Background(), ok, clc); err != nil {
		t.Fatal(err)
	}
	if len(fc.tokens) != 1 || string(fc.tokens[0].Identifier) != "nm2" {
		t.Fatalf("token update not passed on: %v", fc.tokens)
	}
	if _, err := c.ContainerStatus(context.Background(), NodeID{Host: "other", Port: 1}, ok.ID); err == nil || !strings.Contains(err.Error(), "no NMToken") {
		t.Fatalf("want a missing-NMToken error, got %v", err)
	}
	if err := c.Close(); err != nil || !fc.closed {
		t.Fatalf("close: %v closed=%v", err, fc.closed)
	}
}

func TestNMClientStopAndStatus(t *testing.T) {
	node := NodeID{Host: "h", Port: 1}
	id := NewContainerID(testAttempt, 2, 7)
	fc := &fakeCaller{handle: func(method string, req, resp proto.Message) error {
		switch method {
		case "getContainerStatuses":
			resp.(*pb.GetContainerStatusesResponseProto).Status = []*pb.ContainerStatusProto{{
				ContainerId: id.proto(), State: pb.ContainerStateProto_C_COMPLETE.Enum(), ExitStatus: proto.Int32(143),
			}}
		case "stopContainers":
			resp.(*pb.StopContainersResponseProto).FailedRequests = []*pb.ContainerExceptionMapProto{{
				ContainerId: id.proto(),
				Exception:   &pb.SerializedExceptionProto{ClassName: proto.String("org.apache.hadoop.yarn.exceptions.InvalidContainerException"), Message: proto.String("gone")},
			}}
		}
		return nil
	}}
	c, _ := NewNMClient(context.Background(), NMClientOptions{
		Tokens: func(NodeID) (Token, bool) { return Token{Kind: KindNMToken}, true },
		Dial:   func(NodeID, Token) (Caller, error) { return fc, nil },
	})
	st, err := c.ContainerStatus(context.Background(), node, id)
	if err != nil || st.ExitStatus != 143 || st.State != ContainerComplete || st.ID != id {
		t.Fatalf("status %+v %v", st, err)
	}
	if err := c.StopContainer(context.Background(), node, id); err == nil || !strings.Contains(err.Error(), "InvalidContainerException") {
		t.Fatalf("stop: %v", err)
	}
}
