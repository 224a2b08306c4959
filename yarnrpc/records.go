package yarnrpc

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"google.golang.org/protobuf/proto"
)

// Resource is a container size: memory in MiB and virtual cores (Hadoop's
// Resource / ResourceProto).
type Resource struct {
	MemoryMB int64
	VCores   int32
}

func (r Resource) String() string { return fmt.Sprintf("<memory:%d, vCores:%d>", r.MemoryMB, r.VCores) }

func (r Resource) proto() *pb.ResourceProto {
	return &pb.ResourceProto{Memory: proto.Int64(r.MemoryMB), VirtualCores: proto.Int32(r.VCores)}
}

func resourceFromProto(p *pb.ResourceProto) Resource {
	return Resource{MemoryMB: p.GetMemory(), VCores: p.GetVirtualCores()}
}

// LocalResourceType says how a NodeManager localizes a resource.
type LocalResourceType int32

// Resource types (LocalResourceTypeProto).
const (
	ResourceFile    LocalResourceType = LocalResourceType(pb.LocalResourceTypeProto_FILE)
	ResourceArchive LocalResourceType = LocalResourceType(pb.LocalResourceTypeProto_ARCHIVE)
	ResourcePattern LocalResourceType = LocalResourceType(pb.LocalResourceTypeProto_PATTERN)
)

// LocalResourceVisibility says who may share a localized copy.
type LocalResourceVisibility int32

// Visibilities (LocalResourceVisibilityProto). Public resources must be
// world-readable with world-executable parent folders.
const (
	VisibilityApplication LocalResourceVisibility = LocalResourceVisibility(pb.LocalResourceVisibilityProto_APPLICATION)
	VisibilityPrivate     LocalResourceVisibility = LocalResourceVisibility(pb.LocalResourceVisibilityProto_PRIVATE)
	VisibilityPublic      LocalResourceVisibility = LocalResourceVisibility(pb.LocalResourceVisibilityProto_PUBLIC)
)

// LocalResource is a file the NodeManager downloads into the container's
// work folder before launch. Timestamp must be the source file's
// modification time in ms exactly as the file system reports it (the NM
// refuses the resource otherwise); Size is only used for disk accounting.
type LocalResource struct {
	// URL is the full source URL, e.g. "hdfs://nn:8020/user/u/.floe/app/bin".
	URL        string
	Size       int64
	Timestamp  int64
	Type       LocalResourceType       // zero means ResourceFile
	Visibility LocalResourceVisibility // zero means VisibilityApplication
	Pattern    string                  // ResourcePattern only
}

func (r LocalResource) proto() (*pb.LocalResourceProto, error) {
	u, err := urlProto(r.URL)
	if err != nil {
		return nil, err
	}
	typ, vis := r.Type, r.Visibility
	if typ == 0 {
		typ = ResourceFile
	}
	if vis == 0 {
		vis = VisibilityApplication
	}
	p := &pb.LocalResourceProto{
		Resource:   u,
		Size:       proto.Int64(r.Size),
		Timestamp:  proto.Int64(r.Timestamp),
		Type:       pb.LocalResourceTypeProto(typ).Enum(),
		Visibility: pb.LocalResourceVisibilityProto(vis).Enum(),
	}
	if r.Pattern != "" {
		p.Pattern = proto.String(r.Pattern)
	}
	return p, nil
}

// urlProto splits a URL the way Java's URL.fromURI does: port -1 when the
// URL names none (0 would make the NM fetch scheme://host:0/...).
func urlProto(s string) (*pb.URLProto, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("local resource url %q: %w", s, err)
	}
	if u.Scheme == "" || u.Path == "" {
		return nil, fmt.Errorf("local resource url %q: need scheme and absolute path", s)
	}
	p := &pb.URLProto{Scheme: proto.String(u.Scheme), File: proto.String(u.Path), Port: proto.Int32(-1)}
	if h := u.Hostname(); h != "" {
		p.Host = proto.String(h)
	}
	if ps := u.Port(); ps != "" {
		n, err := strconv.ParseInt(ps, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("local resource url %q: bad port", s)
		}
		p.Port = proto.Int32(int32(n))
	}
	if u.User != nil {
		p.UserInfo = proto.String(u.User.String())
	}
	return p, nil
}

// ApplicationAccessType is an application ACL kind.
type ApplicationAccessType int32

// ACL kinds (ApplicationAccessTypeProto).
const (
	AccessViewApp   ApplicationAccessType = ApplicationAccessType(pb.ApplicationAccessTypeProto_APPACCESS_VIEW_APP)
	AccessModifyApp ApplicationAccessType = ApplicationAccessType(pb.ApplicationAccessTypeProto_APPACCESS_MODIFY_APP)
)

// ContainerLaunchContext is what a NodeManager needs to start a process:
// files, environment and command (Hadoop's ContainerLaunchContext).
type ContainerLaunchContext struct {
	// LocalResources maps the link name in the container's work folder to
	// its source.
	LocalResources map[string]LocalResource
	// Env is exported before Commands run. Values arrive literally: the NM
	// writes `export K="value"` into its launch script without quoting, so
	// the encoding escapes \, ", $ and ` (escapeLaunchEnv). To expand
	// another variable, write {{VAR}} (the NM turns it into $VAR after the
	// escaping); <CPS> becomes ':'.
	Env map[string]string
	// Commands are joined with spaces and run by bash -c; add redirections
	// like "1><LOG_DIR>/stdout" yourself.
	Commands []string
	// Tokens is a token-storage ("HDTS") blob, e.g. Credentials.Marshal();
	// nil omits the field (an empty but present field is refused by YARN).
	Tokens []byte
	// ServiceData is passed to NM auxiliary services by name.
	ServiceData map[string][]byte
	// ACLs are application ACLs (user/group lists), AM contexts only.
	ACLs map[ApplicationAccessType]string
}

func (c ContainerLaunchContext) proto() (*pb.ContainerLaunchContextProto, error) {
	p := &pb.ContainerLaunchContextProto{Command: append([]string(nil), c.Commands...)}
	for _, k := range sortedKeys(c.LocalResources) {
		lr, err := c.LocalResources[k].proto()
		if err != nil {
			return nil, fmt.Errorf("local resource %q: %w", k, err)
		}
		p.LocalResources = append(p.LocalResources, &pb.StringLocalResourceMapProto{Key: proto.String(k), Value: lr})
	}
	for _, k := range sortedKeys(c.Env) {
		p.Environment = append(p.Environment, &pb.StringStringMapProto{Key: proto.String(k), Value: proto.String(escapeLaunchEnv(c.Env[k]))})
	}
	for _, k := range sortedKeys(c.ServiceData) {
		p.ServiceData = append(p.ServiceData, &pb.StringBytesMapProto{Key: proto.String(k), Value: c.ServiceData[k]})
	}
	if c.Tokens != nil {
		if len(c.Tokens) < 5 || string(c.Tokens[:4]) != "HDTS" {
			return nil, fmt.Errorf("launch context tokens are not a token-storage blob (want HDTS header)")
		}
		p.Tokens = c.Tokens
	}
	for _, t := range []ApplicationAccessType{AccessViewApp, AccessModifyApp} {
		if acl, ok := c.ACLs[t]; ok {
			p.Application_ACLs = append(p.Application_ACLs, &pb.ApplicationACLMapProto{
				AccessType: pb.ApplicationAccessTypeProto(t).Enum(), Acl: proto.String(acl)})
		}
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ApplicationSubmissionContext describes an application to submit
// (Hadoop's ApplicationSubmissionContext). Zero values take YARN's defaults.
type ApplicationSubmissionContext struct {
	ID   ApplicationID // from RMClient.NewApplication
	Name string
	// Queue "" means YARN's "default".
	Queue string
	// Type "" means "YARN"; clients filter on it (e.g. "Floe").
	Type     string
	Tags     []string
	Priority int32
	// AM is the ApplicationMaster's launch context; AMResource its size.
	AM         ContainerLaunchContext
	AMResource Resource
	// MaxAttempts 0 means the RM's yarn.resourcemanager.am.max-attempts.
	MaxAttempts int32
	// AttemptFailuresValidity counts only failures within this window
	// (0 = all failures count).
	AttemptFailuresValidity time.Duration
	// KeepContainers keeps running containers across AM attempts.
	KeepContainers bool
	// Unmanaged: the AM runs outside YARN (not launched by an NM).
	Unmanaged           bool
	NodeLabelExpression string
	// Lifetime kills the application after this long (0 = unlimited).
	Lifetime time.Duration
}

func (s ApplicationSubmissionContext) proto() (*pb.ApplicationSubmissionContextProto, error) {
	clc, err := s.AM.proto()
	if err != nil {
		return nil, err
	}
	p := &pb.ApplicationSubmissionContextProto{
		ApplicationId:   s.ID.proto(),
		AmContainerSpec: clc,
		Resource:        s.AMResource.proto(),
		Priority:        &pb.PriorityProto{Priority: proto.Int32(s.Priority)},
		ApplicationTags: append([]string(nil), s.Tags...),
	}
	if s.Name != "" {
		p.ApplicationName = proto.String(s.Name)
	}
	if s.Queue != "" {
		p.Queue = proto.String(s.Queue)
	}
	if s.Type != "" {
		p.ApplicationType = proto.String(s.Type)
	}
	if s.MaxAttempts != 0 {
		p.MaxAppAttempts = proto.Int32(s.MaxAttempts)
	}
	if s.AttemptFailuresValidity > 0 {
		p.AttemptFailuresValidityInterval = proto.Int64(s.AttemptFailuresValidity.Milliseconds())
	}
	if s.KeepContainers {
		p.KeepContainersAcrossApplicationAttempts = proto.Bool(true)
	}
	if s.Unmanaged {
		p.UnmanagedAm = proto.Bool(true)
	}
	if s.NodeLabelExpression != "" {
		p.NodeLabelExpression = proto.String(s.NodeLabelExpression)
	}
	if s.Lifetime > 0 {
		secs := int64((s.Lifetime + time.Second - 1) / time.Second)
		p.ApplicationTimeouts = []*pb.ApplicationTimeoutMapProto{{
			ApplicationTimeoutType: pb.ApplicationTimeoutTypeProto_APP_TIMEOUT_LIFETIME.Enum(),
			Timeout:                proto.Int64(secs),
		}}
	}
	return p, nil
}

// ApplicationState is the RM's state of an application.
type ApplicationState int32

// Application states (YarnApplicationStateProto).
const (
	StateNew       ApplicationState = ApplicationState(pb.YarnApplicationStateProto_NEW)
	StateNewSaving ApplicationState = ApplicationState(pb.YarnApplicationStateProto_NEW_SAVING)
	StateSubmitted ApplicationState = ApplicationState(pb.YarnApplicationStateProto_SUBMITTED)
	StateAccepted  ApplicationState = ApplicationState(pb.YarnApplicationStateProto_ACCEPTED)
	StateRunning   ApplicationState = ApplicationState(pb.YarnApplicationStateProto_RUNNING)
	StateFinished  ApplicationState = ApplicationState(pb.YarnApplicationStateProto_FINISHED)
	StateFailed    ApplicationState = ApplicationState(pb.YarnApplicationStateProto_FAILED)
	StateKilled    ApplicationState = ApplicationState(pb.YarnApplicationStateProto_KILLED)
)

// String returns YARN's name ("RUNNING").
func (s ApplicationState) String() string { return enumName(pb.YarnApplicationStateProto(s).String()) }

// Terminal reports whether the application has ended.
func (s ApplicationState) Terminal() bool {
	return s == StateFinished || s == StateFailed || s == StateKilled
}

// FinalStatus is the outcome an AM reports when it unregisters.
type FinalStatus int32

// Final statuses (FinalApplicationStatusProto).
const (
	FinalUndefined FinalStatus = FinalStatus(pb.FinalApplicationStatusProto_APP_UNDEFINED)
	FinalSucceeded FinalStatus = FinalStatus(pb.FinalApplicationStatusProto_APP_SUCCEEDED)
	FinalFailed    FinalStatus = FinalStatus(pb.FinalApplicationStatusProto_APP_FAILED)
	FinalKilled    FinalStatus = FinalStatus(pb.FinalApplicationStatusProto_APP_KILLED)
	FinalEnded     FinalStatus = FinalStatus(pb.FinalApplicationStatusProto_APP_ENDED)
)

// String returns YARN's name without the APP_ prefix ("SUCCEEDED").
func (s FinalStatus) String() string {
	n := enumName(pb.FinalApplicationStatusProto(s).String())
	if len(n) > 4 && n[:4] == "APP_" {
		return n[4:]
	}
	return n
}

// enumName turns an unknown protobuf enum number (printed as a number) into
// a readable name and passes known names through.
func enumName(s string) string {
	if _, err := strconv.Atoi(s); err == nil {
		return "UNKNOWN(" + s + ")"
	}
	return s
}

// ResourceUsage is an application's current and accumulated use.
type ResourceUsage struct {
	UsedContainers     int32
	ReservedContainers int32
	Used               Resource
	Reserved           Resource
	Needed             Resource
	MemorySeconds      int64
	VCoreSeconds       int64
}

// ApplicationReport is the RM's view of an application.
type ApplicationReport struct {
	ID          ApplicationID
	Attempt     ApplicationAttemptID // current attempt
	User        string
	Queue       string
	Name        string
	Type        string
	Tags        []string
	Host        string // AM host, once registered ("N/A" before)
	RPCPort     int32  // AM RPC port, once registered
	State       ApplicationState
	FinalStatus FinalStatus
	Diagnostics string
	TrackingURL string
	// OriginalTrackingURL is what the AM registered (TrackingURL may be the
	// RM proxy).
	OriginalTrackingURL string
	Progress            float32
	Priority            int32
	SubmitTime          time.Time
	LaunchTime          time.Time
	StartTime           time.Time
	FinishTime          time.Time
	Usage               ResourceUsage
}

// ApplicationAttemptReport is the RM's report of one application attempt.
type ApplicationAttemptReport struct {
	ID          ApplicationAttemptID
	AMContainer ContainerID
	// Diagnostics says how the attempt ended (for a failed one, the AM
	// container's exit code and the NodeManager's message).
	Diagnostics string
	State       AttemptState
	StartTime   time.Time
	FinishTime  time.Time
}

// AttemptState is the RM's state of an application attempt
// (YarnApplicationAttemptStateProto; while the RM saves a final state it
// reports the state before).
type AttemptState int32

// Attempt states this code tells apart.
const (
	AttemptRunning  AttemptState = AttemptState(pb.YarnApplicationAttemptStateProto_APP_ATTEMPT_RUNNING)
	AttemptFailed   AttemptState = AttemptState(pb.YarnApplicationAttemptStateProto_APP_ATTEMPT_FAILED)
	AttemptFinished AttemptState = AttemptState(pb.YarnApplicationAttemptStateProto_APP_ATTEMPT_FINISHED)
	// AttemptKilled: the application was killed (yarn application -kill,
	// forceKillApplication); no other attempt follows.
	AttemptKilled AttemptState = AttemptState(pb.YarnApplicationAttemptStateProto_APP_ATTEMPT_KILLED)
)

// String returns YARN's name without its prefix ("KILLED").
func (s AttemptState) String() string {
	if s == 0 {
		return "unknown"
	}
	return strings.TrimPrefix(pb.YarnApplicationAttemptStateProto(s).String(), "APP_ATTEMPT_")
}

func appReportFromProto(p *pb.ApplicationReportProto) ApplicationReport {
	u := p.GetAppResource_Usage()
	return ApplicationReport{
		ID:                  appIDFromProto(p.GetApplicationId()),
		Attempt:             attemptIDFromProto(p.GetCurrentApplicationAttemptId()),
		User:                p.GetUser(),
		Queue:               p.GetQueue(),
		Name:                p.GetName(),
		Type:                p.GetApplicationType(),
		Tags:                append([]string(nil), p.GetApplicationTags()...),
		Host:                p.GetHost(),
		RPCPort:             p.GetRpcPort(),
		State:               ApplicationState(p.GetYarnApplicationState()),
		FinalStatus:         FinalStatus(p.GetFinalApplicationStatus()),
		Diagnostics:         p.GetDiagnostics(),
		TrackingURL:         p.GetTrackingUrl(),
		OriginalTrackingURL: p.GetOriginalTrackingUrl(),
		Progress:            p.GetProgress(),
		Priority:            p.GetPriority().GetPriority(),
		SubmitTime:          msTime(p.GetSubmitTime()),
		LaunchTime:          msTime(p.GetLaunchTime()),
		StartTime:           msTime(p.GetStartTime()),
		FinishTime:          msTime(p.GetFinishTime()),
		Usage: ResourceUsage{
			UsedContainers:     u.GetNumUsedContainers(),
			ReservedContainers: u.GetNumReservedContainers(),
			Used:               resourceFromProto(u.GetUsedResources()),
			Reserved:           resourceFromProto(u.GetReservedResources()),
			Needed:             resourceFromProto(u.GetNeededResources()),
			MemorySeconds:      u.GetMemorySeconds(),
			VCoreSeconds:       u.GetVcoreSeconds(),
		},
	}
}

// msTime converts ms since the epoch; 0 and negatives (unset) give the zero
// time.
func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// NodeState is a NodeManager's state as the RM sees it.
type NodeState int32

// Node states (NodeStateProto).
const (
	NodeNew             NodeState = NodeState(pb.NodeStateProto_NS_NEW)
	NodeRunning         NodeState = NodeState(pb.NodeStateProto_NS_RUNNING)
	NodeUnhealthy       NodeState = NodeState(pb.NodeStateProto_NS_UNHEALTHY)
	NodeDecommissioned  NodeState = NodeState(pb.NodeStateProto_NS_DECOMMISSIONED)
	NodeLost            NodeState = NodeState(pb.NodeStateProto_NS_LOST)
	NodeRebooted        NodeState = NodeState(pb.NodeStateProto_NS_REBOOTED)
	NodeDecommissioning NodeState = NodeState(pb.NodeStateProto_NS_DECOMMISSIONING)
	NodeShutdown        NodeState = NodeState(pb.NodeStateProto_NS_SHUTDOWN)
)

// String returns YARN's name without the NS_ prefix ("RUNNING").
func (s NodeState) String() string {
	n := enumName(pb.NodeStateProto(s).String())
	if len(n) > 3 && n[:3] == "NS_" {
		return n[3:]
	}
	return n
}

// NodeReport describes a NodeManager.
type NodeReport struct {
	ID               NodeID
	HTTPAddress      string
	Rack             string
	Used             Resource
	Capability       Resource
	NumContainers    int32
	State            NodeState
	HealthReport     string
	LastHealthReport time.Time
	Labels           []string
}

func nodeReportFromProto(p *pb.NodeReportProto) NodeReport {
	return NodeReport{
		ID:               nodeIDFromProto(p.GetNodeId()),
		HTTPAddress:      p.GetHttpAddress(),
		Rack:             p.GetRackName(),
		Used:             resourceFromProto(p.GetUsed()),
		Capability:       resourceFromProto(p.GetCapability()),
		NumContainers:    p.GetNumContainers(),
		State:            NodeState(p.GetNodeState()),
		HealthReport:     p.GetHealthReport(),
		LastHealthReport: msTime(p.GetLastHealthReportTime()),
		Labels:           append([]string(nil), p.GetNodeLabels()...),
	}
}

// ClusterMetrics counts NodeManagers by state.
type ClusterMetrics struct {
	NodeManagers   int32
	Active         int32
	Decommissioned int32
	Lost           int32
	Unhealthy      int32
	Rebooted       int32
}

func clusterMetricsFromProto(p *pb.YarnClusterMetricsProto) ClusterMetrics {
	return ClusterMetrics{
		NodeManagers:   p.GetNumNodeManagers(),
		Active:         p.GetNumActiveNms(),
		Decommissioned: p.GetNumDecommissionedNms(),
		Lost:           p.GetNumLostNms(),
		Unhealthy:      p.GetNumUnhealthyNms(),
		Rebooted:       p.GetNumRebootedNms(),
	}
}

// QueueState is a scheduler queue's state.
type QueueState int32

// Queue states (QueueStateProto).
const (
	QueueStopped  QueueState = QueueState(pb.QueueStateProto_Q_STOPPED)
	QueueRunning  QueueState = QueueState(pb.QueueStateProto_Q_RUNNING)
	QueueDraining QueueState = QueueState(pb.QueueStateProto_Q_DRAINING)
)

// String returns YARN's name without the Q_ prefix ("RUNNING").
func (s QueueState) String() string {
	n := enumName(pb.QueueStateProto(s).String())
	if len(n) > 2 && n[:2] == "Q_" {
		return n[2:]
	}
	return n
}

// QueueInfo describes a scheduler queue. Capacities are fractions (0..1).
type QueueInfo struct {
	Name            string
	Capacity        float32
	MaximumCapacity float32
	CurrentCapacity float32
	State           QueueState
	Children        []QueueInfo
	Applications    []ApplicationReport
}

func queueInfoFromProto(p *pb.QueueInfoProto) QueueInfo {
	q := QueueInfo{
		Name:            p.GetQueueName(),
		Capacity:        p.GetCapacity(),
		MaximumCapacity: p.GetMaximumCapacity(),
		CurrentCapacity: p.GetCurrentCapacity(),
		State:           QueueState(p.GetState()),
	}
	for _, c := range p.GetChildQueues() {
		q.Children = append(q.Children, queueInfoFromProto(c))
	}
	for _, a := range p.GetApplications() {
		q.Applications = append(q.Applications, appReportFromProto(a))
	}
	return q
}

// ContainerState is a container's lifecycle state.
type ContainerState int32

// Container states (ContainerStateProto).
const (
	ContainerNew       ContainerState = ContainerState(pb.ContainerStateProto_C_NEW)
	ContainerRunning   ContainerState = ContainerState(pb.ContainerStateProto_C_RUNNING)
	ContainerComplete  ContainerState = ContainerState(pb.ContainerStateProto_C_COMPLETE)
	ContainerScheduled ContainerState = ContainerState(pb.ContainerStateProto_C_SCHEDULED)
)

// String returns YARN's name without the C_ prefix ("COMPLETE").
func (s ContainerState) String() string {
	n := enumName(pb.ContainerStateProto(s).String())
	if len(n) > 2 && n[:2] == "C_" {
		return n[2:]
	}
	return n
}

// Special container exit statuses (Hadoop's ContainerExitStatus). Any other
// value is the process's own exit code; NodeManagers report 137 (SIGKILL)
// and 143 (SIGTERM) for containers they stopped.
const (
	ExitSuccess                  = 0
	ExitInvalid                  = -1000 // not set, e.g. localization failed
	ExitAborted                  = -100  // released by the AM or lost with its node
	ExitDisksFailed              = -101
	ExitPreempted                = -102
	ExitKilledExceededVMem       = -103
	ExitKilledExceededPMem       = -104
	ExitKilledByAppMaster        = -105
	ExitKilledByResourceManager  = -106
	ExitKilledAfterAppCompletion = -107
)

// ContainerStatus is a container's state and, once complete, its exit
// status and the NM's diagnostics.
type ContainerStatus struct {
	ID          ContainerID
	State       ContainerState
	ExitStatus  int32
	Diagnostics string
	Capability  Resource
}

func containerStatusFromProto(p *pb.ContainerStatusProto) ContainerStatus {
	return ContainerStatus{
		ID:          containerIDFromProto(p.GetContainerId()),
		State:       ContainerState(p.GetState()),
		ExitStatus:  p.GetExitStatus(),
		Diagnostics: p.GetDiagnostics(),
		Capability:  resourceFromProto(p.GetCapability()),
	}
}

// Container is a container the RM allocated to the AM. Token is the
// container token the NM checks at start; pass the Container unchanged to
// NMClient.StartContainer.
type Container struct {
	ID              ContainerID
	Node            NodeID
	NodeHTTPAddress string
	Resource        Resource
	Priority        int32
	// AllocationRequestID echoes the request's id (-1 when none).
	AllocationRequestID int64
	Token               Token
}

func containerFromProto(p *pb.ContainerProto) Container {
	return Container{
		ID:                  containerIDFromProto(p.GetId()),
		Node:                nodeIDFromProto(p.GetNodeId()),
		NodeHTTPAddress:     p.GetNodeHttpAddress(),
		Resource:            resourceFromProto(p.GetResource()),
		Priority:            p.GetPriority().GetPriority(),
		AllocationRequestID: p.GetAllocationRequestId(),
		Token:               TokenFromProto(p.GetContainerToken()),
	}
}

// escapeLaunchEnv protects a value from the NodeManager's launch script,
// which exports it inside double quotes where the shell would interpret \,
// ", $ and `: each gets a backslash.
func escapeLaunchEnv(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch r {
		case '\\', '"', '$', '`':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
