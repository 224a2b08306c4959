package yarnrpc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// Smoke checks against a real ResourceManager: only the one that
// scripts/minicluster.sh started, found through the HADOOP_CONF_DIR it writes
// (eval "$(scripts/minicluster.sh env)"), whose yarn-site.xml carries the
// script's header, miniclusterMarker. Any other HADOOP_CONF_DIR (a user's
// production cluster, say) is never dialled: the tests skip and say why.
// They fail instead when
// FLOE_REQUIRE_CLUSTER=1 (scripts/test-integration.sh) finds no minicluster
// conf, and under CI (CI=true) when HADOOP_CONF_DIR names another cluster.
// The typed clients' integration tests in integration/ go further.

// miniclusterMarker is in the header comment scripts/minicluster.sh writes
// into every site file it generates (xml_open).
const miniclusterMarker = "Written by scripts/minicluster.sh"

// isMiniclusterConf reports whether dir's yarn-site.xml was written by
// scripts/minicluster.sh.
func isMiniclusterConf(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "yarn-site.xml"))
	if err != nil {
		return false
	}
	head, _, _ := strings.Cut(string(b), "<configuration>")
	return strings.Contains(head, miniclusterMarker)
}

// realRMAddr returns the minicluster's RM client (scheduler=false) or
// scheduler address, or skips (or fails, see above) without it.
func realRMAddr(t *testing.T, scheduler bool) string {
	t.Helper()
	dir := os.Getenv("HADOOP_CONF_DIR")
	why := ""
	switch {
	case dir == "":
		why = "HADOOP_CONF_DIR is not set"
	case !isMiniclusterConf(dir):
		why = fmt.Sprintf("HADOOP_CONF_DIR=%s was not written by scripts/minicluster.sh (its yarn-site.xml lacks %q); the smoke tests dial no other cluster", dir, miniclusterMarker)
	}
	if why != "" {
		if os.Getenv("FLOE_REQUIRE_CLUSTER") == "1" || (dir != "" && os.Getenv("CI") == "true") {
			t.Fatalf("no minicluster: %s; run: eval \"$(scripts/minicluster.sh env)\"", why)
		}
		t.Skipf("no minicluster: %s", why)
	}
	h, err := conf.LoadHadoop(dir)
	if err != nil {
		t.Fatal(err)
	}
	if scheduler {
		return h.RMSchedulerAddress("")
	}
	return h.RMAddress("")
}

func TestSmokeRealRMSimple(t *testing.T) {
	addr := realRMAddr(t, false)
	c := newTestConn(t, ConnOptions{Addr: addr, Protocol: "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB", ProtocolVersion: 1, User: "floe"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// GetClusterMetricsRequestProto is empty; the response is kept as
	// unknown fields: field 1 YarnClusterMetricsProto{num_node_managers=1}.
	resp := &emptypb.Empty{}
	if err := c.Call(ctx, "getClusterMetrics", &emptypb.Empty{}, resp); err != nil {
		t.Fatal(err)
	}
	raw := resp.ProtoReflect().GetUnknown()
	num, typ, n := protowire.ConsumeTag(raw)
	if n < 0 || num != 1 || typ != protowire.BytesType {
		t.Fatalf("unexpected response %x", raw)
	}
	inner, _ := protowire.ConsumeBytes(raw[n:])
	num, _, n = protowire.ConsumeTag(inner)
	nms, _ := protowire.ConsumeVarint(inner[n:])
	if num != 1 {
		t.Fatalf("unexpected metrics %x", inner)
	}
	t.Logf("getClusterMetrics: %d NodeManagers", nms)
	// An unknown method comes back as a non-fatal RemoteError and the
	// connection stays usable.
	err := c.Call(ctx, "noSuchMethod", &emptypb.Empty{}, &emptypb.Empty{})
	var re *RemoteError
	if !errors.As(err, &re) || re.Fatal || !strings.Contains(re.Class, "RpcNoSuchMethodException") {
		t.Fatalf("unknown method: %v", err)
	}
	if err := c.Call(ctx, "getClusterMetrics", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
}

func TestSmokeRealSchedulerPortNeedsToken(t *testing.T) {
	addr := realRMAddr(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const amProtocol = "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB"
	// SIMPLE is refused with a FATAL AccessControlException.
	c := newTestConn(t, ConnOptions{Addr: addr, Protocol: amProtocol, ProtocolVersion: 1, User: "floe"})
	err := c.Call(ctx, "allocate", &emptypb.Empty{}, &emptypb.Empty{})
	var re *RemoteError
	if !errors.Is(err, ErrAccessControl) || !errors.As(err, &re) || !re.Fatal {
		t.Fatalf("SIMPLE on the scheduler port: %v", err)
	}
	t.Logf("SIMPLE: %v", err)
	// A made-up AMRMToken gets through NEGOTIATE/INITIATE and is rejected
	// by the secret manager with InvalidToken.
	tok := &Token{Identifier: mustMarshalFakeAMRMIdentifier(), Password: []byte("not-the-password"), Kind: KindAMRMToken}
	c2 := newTestConn(t, ConnOptions{Addr: addr, Protocol: amProtocol, ProtocolVersion: 1, Auth: AuthToken, Token: tok})
	err = c2.Call(ctx, "allocate", &emptypb.Empty{}, &emptypb.Empty{})
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("bogus token: %v", err)
	}
	t.Logf("bogus TOKEN: %v", err)
}

// mustMarshalFakeAMRMIdentifier builds AMRMTokenIdentifierProto{
// appAttemptId{application_id{id=9999, cluster_timestamp=1}, attemptId=1}, keyId=1}.
func mustMarshalFakeAMRMIdentifier() []byte {
	var app []byte
	app = protowire.AppendTag(app, 1, protowire.VarintType)
	app = protowire.AppendVarint(app, 9999)
	app = protowire.AppendTag(app, 2, protowire.VarintType)
	app = protowire.AppendVarint(app, 1)
	var attempt []byte
	attempt = protowire.AppendTag(attempt, 1, protowire.BytesType)
	attempt = protowire.AppendBytes(attempt, app)
	attempt = protowire.AppendTag(attempt, 2, protowire.VarintType)
	attempt = protowire.AppendVarint(attempt, 1)
	var id []byte
	id = protowire.AppendTag(id, 1, protowire.BytesType)
	id = protowire.AppendBytes(id, attempt)
	id = protowire.AppendTag(id, 2, protowire.VarintType)
	id = protowire.AppendVarint(id, 1)
	return id
}

// TestSmokeRealDigestMD5 proves DIGEST-MD5 against Java: it fetches an RM
// delegation token over SIMPLE (allowed on insecure clusters) and uses it
// for TOKEN authentication on the same client port, where the RM checks
// our digest response and we check its rspauth.
func TestSmokeRealDigestMD5(t *testing.T) {
	addr := realRMAddr(t, false)
	const clientProtocol = "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newTestConn(t, ConnOptions{Addr: addr, Protocol: clientProtocol, ProtocolVersion: 1, User: "floe"})
	// GetDelegationTokenRequestProto{renewer=1}; response {token=1 TokenProto}.
	req := &emptypb.Empty{}
	req.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte("floe")))
	resp := &emptypb.Empty{}
	if err := c.Call(ctx, "getDelegationToken", req, resp); err != nil {
		t.Fatal(err)
	}
	raw := resp.ProtoReflect().GetUnknown()
	num, typ, n := protowire.ConsumeTag(raw)
	if n < 0 || num != 1 || typ != protowire.BytesType {
		t.Fatalf("unexpected response %x", raw)
	}
	tb, _ := protowire.ConsumeBytes(raw[n:])
	tp := &pb.TokenProto{}
	if err := proto.Unmarshal(tb, tp); err != nil {
		t.Fatal(err)
	}
	tok := TokenFromProto(tp)
	t.Logf("got %v", tok)
	tc := newTestConn(t, ConnOptions{Addr: addr, Protocol: clientProtocol, ProtocolVersion: 1, Auth: AuthToken, Token: &tok})
	if err := tc.Call(ctx, "getClusterMetrics", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatalf("TOKEN call with a real delegation token: %v", err)
	}
	bad := tok.Clone()
	bad.Password[0] ^= 0xFF
	bc := newTestConn(t, ConnOptions{Addr: addr, Protocol: clientProtocol, ProtocolVersion: 1, Auth: AuthToken, Token: &bad})
	err := bc.Call(ctx, "getClusterMetrics", &emptypb.Empty{}, &emptypb.Empty{})
	var re *RemoteError
	if !errors.As(err, &re) || !re.Fatal {
		t.Fatalf("wrong password: %v", err)
	}
	t.Logf("wrong password: %v", err)
}
