package yarnrpc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/proto"
)

var testAttempt = ApplicationAttemptID{App: ApplicationID{ClusterTimestamp: 1, ID: 1}, Attempt: 1}

func newTestAMRM(t *testing.T, s *fakeScheduler) (*AMRMClient, *fakeCaller) {
	t.Helper()
	fc := &fakeCaller{handle: s.handle}
	c, err := NewAMRMClient(context.Background(), AMRMClientOptions{
		Token: &Token{Identifier: []byte("id"), Password: []byte("pw"), Kind: KindAMRMToken},
		Host:  "am-host",
		Dial:  func(Token) (Caller, error) { return fc, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, fc
}

// askSummary renders the asks of an allocate request as sorted
// "prio/name/mem=num/relax" strings.
func askSummary(m proto.Message) []string {
	var out []string
	for _, a := range m.(*pb.AllocateRequestProto).GetAsk() {
		relax := "relax"
		if !a.GetRelaxLocality() {
			relax = "strict"
		}
		out = append(out, strings.Join([]string{
			itoa(int64(a.GetPriority().GetPriority())), a.GetResourceName(), itoa(a.GetCapability().GetMemory()),
			itoa(int64(a.GetNumContainers())), relax}, "/"))
	}
	sort.Strings(out)
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestAllocateAsks(t *testing.T) {
	cap128 := Resource{MemoryMB: 128, VCores: 1}
	tests := []struct {
		name string
		req  ContainerRequest
		n    int32
		want []string
	}{
		{"anywhere", ContainerRequest{Priority: 1, Capability: cap128}, 3, []string{"1/*/128/3/relax"}},
		{"strict node", ContainerRequest{Priority: 1, Capability: cap128, Nodes: []string{"h:1"}, NodeRacks: []string{"/r1"}, Strict: true}, 2,
			[]string{"1/*/128/2/strict", "1//r1/128/2/strict", "1/h:1/128/2/relax"}},
		{"node default rack", ContainerRequest{Priority: 2, Capability: cap128, Nodes: []string{"h"}}, 1,
			[]string{"2/*/128/1/relax", "2//default-rack/128/1/relax", "2/h/128/1/relax"}},
		{"explicit rack", ContainerRequest{Priority: 1, Capability: cap128, Racks: []string{"/r2"}, Strict: true}, 1,
			[]string{"1/*/128/1/strict", "1//r2/128/1/relax"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, fc := newTestAMRM(t, &fakeScheduler{})
			c.AddRequest(tc.req, tc.n)
			if _, err := c.Allocate(context.Background(), 0.1); err != nil {
				t.Fatal(err)
			}
			got := askSummary(fc.lastReq("allocate"))
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("asks = %v, want %v", got, tc.want)
			}
			// Unchanged asks are not sent again.
			if _, err := c.Allocate(context.Background(), 0.2); err != nil {
				t.Fatal(err)
			}
			if got := askSummary(fc.lastReq("allocate")); len(got) != 0 {
				t.Fatalf("second allocate re-sent %v", got)
			}
		})
	}
}

func TestAllocateResponseIDs(t *testing.T) {
	s := &fakeScheduler{}
	c, fc := newTestAMRM(t, s)
	for i := 0; i < 5; i++ {
		if _, err := c.Allocate(context.Background(), 0); err != nil {
			t.Fatalf("allocate %d: %v", i, err)
		}
		if got := fc.lastReq("allocate").(*pb.AllocateRequestProto).GetResponseId(); got != int32(i) {
			t.Fatalf("allocate %d sent response id %d", i, got)
		}
	}
}

// TestAllocateResyncAfterRMRestart: the RM forgets the registration; the
// client re-registers and re-sends every outstanding ask and release.
func TestAllocateResyncAfterRMRestart(t *testing.T) {
	s := &fakeScheduler{}
	c, fc := newTestAMRM(t, s)
	capab := Resource{MemoryMB: 256, VCores: 1}
	c.AddRequest(ContainerRequest{Priority: 1, Capability: capab}, 4)
	c.AddRequest(ContainerRequest{Priority: 2, Capability: capab, Nodes: []string{"n1"}, Strict: true}, 1)
	rel := NewContainerID(testAttempt, 0, 9)
	c.Release(rel)
	c.Blacklist([]string{"bad:1", "worse:2"}, nil)
	c.Blacklist(nil, []string{"worse:2"})
	if _, err := c.Allocate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	bl := fc.lastReq("allocate").(*pb.AllocateRequestProto).GetBlacklistRequest()
	if strings.Join(bl.GetBlacklistAdditions(), ",") != "bad:1" || strings.Join(bl.GetBlacklistRemovals(), ",") != "worse:2" {
		t.Fatalf("blacklist request %v", bl)
	}
	if _, err := c.Allocate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if bl := fc.lastReq("allocate").(*pb.AllocateRequestProto).GetBlacklistRequest(); bl != nil {
		t.Fatalf("unchanged blacklist re-sent: %v", bl)
	}
	s.restart()
	resp, err := c.Allocate(context.Background(), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Reregistered || s.registers != 2 {
		t.Fatalf("reregistered=%v registers=%d", resp.Reregistered, s.registers)
	}
	last := fc.lastReq("allocate").(*pb.AllocateRequestProto)
	if last.GetResponseId() != 0 {
		t.Fatalf("after re-register the response id restarts at 0, sent %d", last.GetResponseId())
	}
	want := []string{"1/*/256/4/relax", "2/*/256/1/strict", "2//default-rack/256/1/strict", "2/n1/256/1/relax"}
	if got := askSummary(last); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("re-sent asks %v, want %v", got, want)
	}
	if len(last.GetRelease()) != 1 || containerIDFromProto(last.GetRelease()[0]) != rel {
		t.Fatalf("release not re-sent: %v", last.GetRelease())
	}
	if bl := last.GetBlacklistRequest(); strings.Join(bl.GetBlacklistAdditions(), ",") != "bad:1" || len(bl.GetBlacklistRemovals()) != 0 {
		t.Fatalf("blacklist not re-sent: %v", bl)
	}
	m := fc.methods()
	if m[len(m)-2] != "registerApplicationMaster" {
		t.Fatalf("call sequence %v", m)
	}
}

func TestAllocateConnectionErrorKeepsAsks(t *testing.T) {
	s := &fakeScheduler{}
	c, fc := newTestAMRM(t, s)
	fail := true
	fc.handle = func(method string, req, resp proto.Message) error {
		if method == "allocate" && fail {
			fail = false
			return &connError{err: errors.New("connection reset")}
		}
		return s.handle(method, req, resp)
	}
	c.AddRequest(ContainerRequest{Priority: 1, Capability: Resource{MemoryMB: 64, VCores: 1}}, 2)
	c.Release(NewContainerID(testAttempt, 0, 3))
	if _, err := c.Allocate(context.Background(), 0); !IsConnectionError(err) {
		t.Fatalf("want the connection error, got %v", err)
	}
	if _, err := c.Allocate(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	last := fc.lastReq("allocate").(*pb.AllocateRequestProto)
	if got := askSummary(last); len(got) != 1 || got[0] != "1/*/64/2/relax" || len(last.GetRelease()) != 1 {
		t.Fatalf("retry lost the asks or release: %v %v", got, last.GetRelease())
	}
}

func TestAllocateResponseContent(t *testing.T) {
	s := &fakeScheduler{}
	c, fc := newTestAMRM(t, s)
	capab := Resource{MemoryMB: 128, VCores: 1}
	c.AddRequest(ContainerRequest{Priority: 1, Capability: capab, Nodes: []string{"h:1"}, NodeRacks: []string{"/r"}, Strict: true}, 2)
	node := NodeID{Host: "h", Port: 1}
	ctr := NewContainerID(ApplicationAttemptID{App: testAttempt.App, Attempt: 1}, 1, 2)
	newAMRM := Token{Identifier: []byte("id2"), Password: []byte("pw2"), Kind: KindAMRMToken}
	nmTok := Token{Identifier: []byte("nm"), Password: []byte("nmpw"), Kind: KindNMToken, Service: "127.0.0.1:1"}
	s.queue(&pb.AllocateResponseProto{
		AllocatedContainers: []*pb.ContainerProto{{
			Id: ctr.proto(), NodeId: node.proto(), Resource: Resource{MemoryMB: 128, VCores: 1}.proto(),
			Priority: &pb.PriorityProto{Priority: proto.Int32(1)}, ContainerToken: Token{Kind: "ContainerToken"}.Proto(),
		}},
		CompletedContainerStatuses: []*pb.ContainerStatusProto{{
			ContainerId: NewContainerID(testAttempt, 0, 1).proto(), State: pb.ContainerStateProto_C_COMPLETE.Enum(),
			ExitStatus: proto.Int32(3), Diagnostics: proto.String("Exception from container-launch"),
		}},
		NmTokens:  []*pb.NMTokenProto{{NodeId: node.proto(), Token: nmTok.Proto()}},
		AmRmToken: newAMRM.Proto(),
		Limit:     Resource{MemoryMB: 1000, VCores: 3}.proto(),
	})
	resp, err := c.Allocate(context.Background(), 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Allocated) != 1 || resp.Allocated[0].ID != ctr || resp.Allocated[0].ID.String() != "container_e01_1_0001_01_000002" || resp.Allocated[0].Node != node {
		t.Fatalf("allocated %+v", resp.Allocated)
	}
	if len(resp.Completed) != 1 || resp.Completed[0].ExitStatus != 3 || resp.Completed[0].State != ContainerComplete {
		t.Fatalf("completed %+v", resp.Completed)
	}
	if got, ok := c.NMToken(node); !ok || string(got.Password) != "nmpw" || string(resp.NMTokens[node].Identifier) != "nm" {
		t.Fatalf("NMToken cache %v %v", got, ok)
	}
	if !resp.AMRMTokenRolled || string(c.Token().Password) != "pw2" {
		t.Fatalf("AMRMToken not rolled: %v", c.Token())
	}
	if len(fc.tokens) != 1 || string(fc.tokens[0].Identifier) != "id2" {
		t.Fatalf("new AMRMToken not handed to the connection: %v", fc.tokens)
	}
	if resp.Available.MemoryMB != 1000 {
		t.Fatalf("headroom %v", resp.Available)
	}
	// The allocation consumed one of the two asks at node, rack and "*".
	for _, name := range []string{"h:1", "/r", AnyResource} {
		if n := c.Outstanding(1, name, capab); n != 1 {
			t.Fatalf("outstanding at %s = %d, want 1", name, n)
		}
	}
	// A newer NMToken for the node replaces the cached one.
	s.queue(&pb.AllocateResponseProto{NmTokens: []*pb.NMTokenProto{{NodeId: node.proto(), Token: Token{Identifier: []byte("nm2"), Password: []byte("x"), Kind: KindNMToken}.Proto()}}})
	if _, err := c.Allocate(context.Background(), 0.3); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.NMToken(node); string(got.Identifier) != "nm2" {
		t.Fatalf("NMToken not overwritten: %v", got)
	}
}

func TestAllocateStopsOnAttemptNotFoundAndShutdown(t *testing.T) {
	tests := []struct {
		name string
		err  error
		resp *pb.AllocateResponseProto
		want error
	}{
		{"attempt not found", remote("org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException", "Application attempt appattempt_1_0001_000001 doesn't exist in ApplicationMasterService cache."), nil, ErrAttemptNotFound},
		{"AM_SHUTDOWN", nil, &pb.AllocateResponseProto{AMCommand: pb.AMCommandProto_AM_SHUTDOWN.Enum()}, ErrAMShutdown},
		// A zombie AM's next connection after its attempt ended (the RM
		// dropped its AMRMToken).
		{"AMRMToken of an ended attempt", &RemoteError{Class: "org.apache.hadoop.security.token.SecretManager$InvalidToken",
			Message: "appattempt_1_0001_000001 not found in AMRMTokenSecretManager.", Fatal: true}, nil, ErrAttemptNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &fakeScheduler{}
			c, fc := newTestAMRM(t, s)
			fc.handle = func(method string, req, resp proto.Message) error {
				if tc.err != nil {
					return tc.err
				}
				proto.Merge(resp, tc.resp)
				return nil
			}
			if _, err := c.Allocate(context.Background(), 0); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestInvalidAMRMTokenIsNotAttemptOver: an AMRMToken of a key the RM rolled
// past is an invalid token, not an ended attempt.
func TestInvalidAMRMTokenIsNotAttemptOver(t *testing.T) {
	rolled := &RemoteError{Class: "org.apache.hadoop.security.token.SecretManager$InvalidToken",
		Message: "Invalid AMRMToken from appattempt_1_0001_000001", Fatal: true}
	if errors.Is(rolled, ErrAttemptNotFound) || !errors.Is(rolled, ErrInvalidToken) {
		t.Errorf("%v: attempt not found %v, invalid token %v; want false, true", rolled,
			errors.Is(rolled, ErrAttemptNotFound), errors.Is(rolled, ErrInvalidToken))
	}
}

func TestFinishRepeatsUntilUnregistered(t *testing.T) {
	s := &fakeScheduler{unregAfter: 2}
	c, fc := newTestAMRM(t, s)
	s.restart() // the RM forgot us: Finish must register again first
	if err := c.Finish(context.Background(), FinalSucceeded, "done", ""); err != nil {
		t.Fatal(err)
	}
	if s.finishes != 3 || s.registers != 2 {
		t.Fatalf("finishes=%d registers=%d", s.finishes, s.registers)
	}
	req := fc.lastReq("finishApplicationMaster").(*pb.FinishApplicationMasterRequestProto)
	if req.GetFinalApplicationStatus() != pb.FinalApplicationStatusProto_APP_SUCCEEDED || req.GetDiagnostics() != "done" || req.TrackingUrl != nil {
		t.Fatalf("finish request %v", req)
	}
}

func TestFinishBoundedByContext(t *testing.T) {
	s := &fakeScheduler{unregAfter: 1 << 30}
	c, _ := newTestAMRM(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := c.Finish(ctx, FinalFailed, "x", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want deadline exceeded", err)
	}
}

func TestAMRMTokenFromEnv(t *testing.T) {
	dir := t.TempDir()
	var creds Credentials
	creds.AddToken("", Token{Identifier: []byte("amrm-id"), Password: []byte("amrm-pw"), Kind: KindAMRMToken})
	creds.AddToken("hdfs", Token{Identifier: []byte("h"), Password: []byte("p"), Kind: KindHDFSDelegate, Service: "127.0.0.1:8020"})
	path := filepath.Join(dir, "container_tokens")
	if err := os.WriteFile(path, creds.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvTokenFile, path)
	tok, err := AMRMTokenFromEnv()
	if err != nil || string(tok.Identifier) != "amrm-id" || string(tok.Password) != "amrm-pw" {
		t.Fatalf("AMRMTokenFromEnv = %v, %v", tok, err)
	}
	t.Setenv(EnvTokenFile, "")
	if _, err := AMRMTokenFromEnv(); err == nil {
		t.Fatal("no error without the env var")
	}
}

func TestAMRMClientAttempt(t *testing.T) {
	ident, err := proto.Marshal(&pb.AMRMTokenIdentifierProto{AppAttemptId: testAttempt.proto(), KeyId: proto.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewAMRMClient(context.Background(), AMRMClientOptions{
		Token: &Token{Identifier: ident, Password: []byte("pw"), Kind: KindAMRMToken},
		Dial:  func(Token) (Caller, error) { return &fakeCaller{}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.Attempt(); err != nil || a != testAttempt {
		t.Fatalf("Attempt() = %v, %v", a, err)
	}
	c2, _ := NewAMRMClient(context.Background(), AMRMClientOptions{
		Token: &Token{Identifier: []byte{0xff, 0xff}, Kind: KindAMRMToken},
		Dial:  func(Token) (Caller, error) { return &fakeCaller{}, nil },
	})
	if _, err := c2.Attempt(); err == nil {
		t.Fatal("garbage identifier decoded")
	}
}
