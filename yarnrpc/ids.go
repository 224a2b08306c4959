package yarnrpc

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
)

// ApplicationID names a YARN application: the ResourceManager's start time
// (cluster timestamp, ms) and a sequence number. It mirrors Hadoop's
// ApplicationId; its text form is "application_<clusterTimestamp>_<id>" with
// the id zero-padded to at least 4 digits.
type ApplicationID struct {
	ClusterTimestamp int64
	ID               int32
}

// String returns Hadoop's text form, e.g. "application_1700000000000_0001".
func (a ApplicationID) String() string {
	return fmt.Sprintf("application_%d_%04d", a.ClusterTimestamp, a.ID)
}

// IsZero reports whether a is the zero value (no application).
func (a ApplicationID) IsZero() bool { return a == ApplicationID{} }

// ParseApplicationID parses "application_<clusterTimestamp>_<id>".
func ParseApplicationID(s string) (ApplicationID, error) {
	f, ok := idFields(s, "application_", 2)
	if !ok {
		return ApplicationID{}, fmt.Errorf("invalid application id %q", s)
	}
	ts, err1 := strconv.ParseInt(f[0], 10, 64)
	id, err2 := strconv.ParseInt(f[1], 10, 32)
	if err1 != nil || err2 != nil || ts < 0 || id < 0 {
		return ApplicationID{}, fmt.Errorf("invalid application id %q", s)
	}
	return ApplicationID{ClusterTimestamp: ts, ID: int32(id)}, nil
}

// ApplicationAttemptID names one attempt of an application (attempts count
// from 1). Text form: "appattempt_<clusterTimestamp>_<id 4+>_<attempt 6+>".
type ApplicationAttemptID struct {
	App     ApplicationID
	Attempt int32
}

// String returns Hadoop's text form, e.g.
// "appattempt_1700000000000_0001_000001".
func (a ApplicationAttemptID) String() string {
	return fmt.Sprintf("appattempt_%d_%04d_%06d", a.App.ClusterTimestamp, a.App.ID, a.Attempt)
}

// IsZero reports whether a is the zero value.
func (a ApplicationAttemptID) IsZero() bool { return a == ApplicationAttemptID{} }

// ParseApplicationAttemptID parses "appattempt_<ts>_<id>_<attempt>".
func ParseApplicationAttemptID(s string) (ApplicationAttemptID, error) {
	f, ok := idFields(s, "appattempt_", 3)
	if !ok {
		return ApplicationAttemptID{}, fmt.Errorf("invalid application attempt id %q", s)
	}
	app, attempt, err := parseAppAttempt(f[0], f[1], f[2])
	if err != nil {
		return ApplicationAttemptID{}, fmt.Errorf("invalid application attempt id %q", s)
	}
	return ApplicationAttemptID{App: app, Attempt: attempt}, nil
}

// containerSeqBits is how many low bits of the container id hold the
// sequence number; the ResourceManager epoch (its restart count under
// work-preserving recovery) sits above them.
const containerSeqBits = 40

// ContainerID names a container of an application attempt. ID packs the RM
// epoch (high bits) and the sequence number (low 40 bits), as Hadoop's
// ContainerId does. Text form:
// "container_[e<epoch 2+>_]<ts>_<app 4+>_<attempt 2+>_<seq 6+>"; containers
// allocated after a ResourceManager restart carry the "e<epoch>" field.
type ContainerID struct {
	Attempt ApplicationAttemptID
	ID      int64
}

// NewContainerID builds an id from its parts.
func NewContainerID(attempt ApplicationAttemptID, epoch, seq int64) ContainerID {
	return ContainerID{Attempt: attempt, ID: epoch<<containerSeqBits | seq&(1<<containerSeqBits-1)}
}

// Epoch is the ResourceManager epoch the container was allocated in.
func (c ContainerID) Epoch() int64 { return c.ID >> containerSeqBits }

// Sequence is the container's number within its attempt and epoch.
func (c ContainerID) Sequence() int64 { return c.ID & (1<<containerSeqBits - 1) }

// App is the application the container belongs to.
func (c ContainerID) App() ApplicationID { return c.Attempt.App }

// IsZero reports whether c is the zero value.
func (c ContainerID) IsZero() bool { return c == ContainerID{} }

// String returns Hadoop's text form, e.g.
// "container_1700000000000_0001_01_000001" or, after an RM restart,
// "container_e01_1700000000000_0001_01_000007".
func (c ContainerID) String() string {
	var b strings.Builder
	b.WriteString("container_")
	if e := c.Epoch(); e > 0 {
		fmt.Fprintf(&b, "e%02d_", e)
	}
	a := c.Attempt
	fmt.Fprintf(&b, "%d_%04d_%02d_%06d", a.App.ClusterTimestamp, a.App.ID, a.Attempt, c.Sequence())
	return b.String()
}

// ParseContainerID parses both the plain and the epoch form.
func ParseContainerID(s string) (ContainerID, error) {
	rest, ok := strings.CutPrefix(s, "container_")
	bad := fmt.Errorf("invalid container id %q", s)
	if !ok {
		return ContainerID{}, bad
	}
	f := strings.Split(rest, "_")
	var epoch int64
	if len(f) == 5 && strings.HasPrefix(f[0], "e") {
		e, err := strconv.ParseInt(f[0][1:], 10, 64)
		if err != nil || e < 0 || e >= 1<<(63-containerSeqBits) {
			return ContainerID{}, bad
		}
		epoch, f = e, f[1:]
	}
	if len(f) != 4 {
		return ContainerID{}, bad
	}
	app, attempt, err := parseAppAttempt(f[0], f[1], f[2])
	if err != nil {
		return ContainerID{}, bad
	}
	seq, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil || seq < 0 || seq >= 1<<containerSeqBits {
		return ContainerID{}, bad
	}
	return NewContainerID(ApplicationAttemptID{App: app, Attempt: attempt}, epoch, seq), nil
}

// NodeID names a NodeManager by its host and IPC port ("host:port"), the
// address AMs dial for ContainerManagementProtocol.
type NodeID struct {
	Host string
	Port int32
}

// String returns "host:port", Hadoop's NodeId text form.
func (n NodeID) String() string { return net.JoinHostPort(n.Host, strconv.Itoa(int(n.Port))) }

// ParseNodeID parses "host:port".
func ParseNodeID(s string) (NodeID, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil || h == "" {
		return NodeID{}, fmt.Errorf("invalid node id %q", s)
	}
	port, err := strconv.ParseInt(p, 10, 32)
	if err != nil || port < 0 {
		return NodeID{}, fmt.Errorf("invalid node id %q", s)
	}
	return NodeID{Host: h, Port: int32(port)}, nil
}

// idFields strips prefix and splits the rest into exactly n "_" fields.
func idFields(s, prefix string, n int) ([]string, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, false
	}
	f := strings.Split(rest, "_")
	return f, len(f) == n
}

func parseAppAttempt(ts, id, attempt string) (ApplicationID, int32, error) {
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || t < 0 {
		return ApplicationID{}, 0, fmt.Errorf("bad cluster timestamp")
	}
	i, err := strconv.ParseInt(id, 10, 32)
	if err != nil || i < 0 {
		return ApplicationID{}, 0, fmt.Errorf("bad application number")
	}
	a, err := strconv.ParseInt(attempt, 10, 32)
	if err != nil || a < 0 {
		return ApplicationID{}, 0, fmt.Errorf("bad attempt number")
	}
	return ApplicationID{ClusterTimestamp: t, ID: int32(i)}, int32(a), nil
}

// ---- protobuf conversions (pb types stay inside yarnrpc) ----

func (a ApplicationID) proto() *pb.ApplicationIdProto {
	return &pb.ApplicationIdProto{Id: &a.ID, ClusterTimestamp: &a.ClusterTimestamp}
}

func appIDFromProto(p *pb.ApplicationIdProto) ApplicationID {
	return ApplicationID{ClusterTimestamp: p.GetClusterTimestamp(), ID: p.GetId()}
}

func (a ApplicationAttemptID) proto() *pb.ApplicationAttemptIdProto {
	return &pb.ApplicationAttemptIdProto{ApplicationId: a.App.proto(), AttemptId: &a.Attempt}
}

func attemptIDFromProto(p *pb.ApplicationAttemptIdProto) ApplicationAttemptID {
	return ApplicationAttemptID{App: appIDFromProto(p.GetApplicationId()), Attempt: p.GetAttemptId()}
}

func (c ContainerID) proto() *pb.ContainerIdProto {
	return &pb.ContainerIdProto{AppId: c.Attempt.App.proto(), AppAttemptId: c.Attempt.proto(), Id: &c.ID}
}

func containerIDFromProto(p *pb.ContainerIdProto) ContainerID {
	att := attemptIDFromProto(p.GetAppAttemptId())
	if p.GetAppAttemptId().GetApplicationId() == nil && p.GetAppId() != nil {
		att.App = appIDFromProto(p.GetAppId())
	}
	return ContainerID{Attempt: att, ID: p.GetId()}
}

func (n NodeID) proto() *pb.NodeIdProto {
	return &pb.NodeIdProto{Host: &n.Host, Port: &n.Port}
}

func nodeIDFromProto(p *pb.NodeIdProto) NodeID {
	return NodeID{Host: p.GetHost(), Port: p.GetPort()}
}
