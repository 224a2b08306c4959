package yarnrpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
)

// YARN protocol names (declaringClassProtocolName and the connection
// context's protocol); every YARN protocol is version 1.
const (
	ProtocolApplicationClient   = "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB"
	ProtocolApplicationMaster   = "org.apache.hadoop.yarn.api.ApplicationMasterProtocolPB"
	ProtocolContainerManagement = "org.apache.hadoop.yarn.api.ContainerManagementProtocolPB"
	yarnProtocolVersion         = 1
)

// DefaultCallTimeout bounds one typed-client call (including reconnects)
// when the caller's context has no earlier deadline.
const DefaultCallTimeout = 60 * time.Second

// appPollInterval is how often Submit and Kill poll the RM, as Java's
// yarn.client.app-submission.poll-interval (200 ms).
const appPollInterval = 200 * time.Millisecond

// RMClientOptions configures an RMClient.
type RMClientOptions struct {
	// Hadoop supplies the RM client address(es) (yarn.resourcemanager.address,
	// per HA id when HA is on) and the authentication method.
	Hadoop *conf.Hadoop
	// Addrs overrides the addresses from Hadoop (host:port, failover order).
	Addrs []string
	// User is the SIMPLE user; "" means $HADOOP_USER_NAME or the OS user.
	User string
	// Kerberos is required when Hadoop's authentication is "kerberos",
	// unless Token is set.
	Kerberos *KerberosAuth
	// Token, on a Kerberos cluster, authenticates with an RM delegation
	// token instead (an ApplicationMaster without a keytab).
	Token *Token
	// DialTimeout bounds connecting plus the handshake (Conn default).
	DialTimeout time.Duration
	// CallTimeout bounds each call when ctx has no earlier deadline
	// (default DefaultCallTimeout).
	CallTimeout time.Duration
	Logger      zerolog.Logger
	// Caller replaces the dialled connection (tests, or a shared Failover).
	Caller Caller
}

// RMClient speaks ApplicationClientProtocol to the ResourceManager: new
// application ids, submission, reports, kill, cluster nodes, metrics and
// queues. It is safe for concurrent use.
type RMClient struct {
	c           Caller
	callTimeout time.Duration
	log         zerolog.Logger
}

// NewRMClient validates opts and returns a client. It does not dial; the
// first call does.
func NewRMClient(ctx context.Context, opts RMClientOptions) (*RMClient, error) {
	_ = ctx // dialing is lazy; ctx is kept for symmetry with New(ctx, opts)
	c := &RMClient{callTimeout: opts.CallTimeout, log: opts.Logger.With().Str("component", "rmclient").Logger()}
	if c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	if opts.Caller != nil {
		c.c = opts.Caller
		return c, nil
	}
	addrs, err := rmAddrs(opts.Hadoop, opts.Addrs, false)
	if err != nil {
		return nil, err
	}
	copts := ConnOptions{
		Protocol:        ProtocolApplicationClient,
		ProtocolVersion: yarnProtocolVersion,
		Auth:            AuthSimple,
		User:            opts.User,
		DialTimeout:     opts.DialTimeout,
		Logger:          opts.Logger,
	}
	if opts.Hadoop != nil && opts.Hadoop.Authentication() == "kerberos" {
		switch {
		case opts.Kerberos != nil:
			copts.Auth, copts.Kerberos = AuthKerberos, opts.Kerberos
		case opts.Token != nil:
			copts.Auth, copts.Token = AuthToken, opts.Token
		default:
			return nil, errors.New("rmclient: hadoop.security.authentication is kerberos but RMClientOptions has neither Kerberos nor Token")
		}
	}
	if c.c, err = dialRM(addrs, copts, opts.Logger); err != nil {
		return nil, err
	}
	return c, nil
}

// rmAddrs lists the RM client (or scheduler) addresses: explicit ones, else
// one per HA id from the Hadoop configuration, else the single address.
func rmAddrs(h *conf.Hadoop, explicit []string, scheduler bool) ([]string, error) {
	if len(explicit) > 0 {
		return append([]string(nil), explicit...), nil
	}
	if h == nil {
		return nil, errors.New("yarnrpc: neither Addrs nor a Hadoop configuration was given")
	}
	addr := h.RMAddress
	if scheduler {
		addr = h.RMSchedulerAddress
	}
	ids := h.RMHAIDs()
	if len(ids) == 0 {
		return []string{addr("")}, nil
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, addr(id))
	}
	return out, nil
}

// dialRM returns a Conn for one address, a Failover for several.
func dialRM(addrs []string, copts ConnOptions, log zerolog.Logger) (Caller, error) {
	if len(addrs) == 1 {
		copts.Addr = addrs[0]
		return NewConn(copts)
	}
	return NewFailover(FailoverOptions{Addrs: addrs, Conn: copts, Logger: log})
}

// call runs one RPC under the client's call timeout.
func (c *RMClient) call(ctx context.Context, method string, req, resp proto.Message) error {
	ctx, cancel := withCallTimeout(ctx, c.callTimeout)
	defer cancel()
	return c.c.Call(ctx, method, req, resp)
}

// withCallTimeout applies d unless ctx already ends sooner.
func withCallTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// Close closes the connection(s).
func (c *RMClient) Close() error { return c.c.Close() }

// NewApplication asks the RM for a new application id; it also returns the
// largest container the scheduler will grant.
func (c *RMClient) NewApplication(ctx context.Context) (ApplicationID, Resource, error) {
	resp := &pb.GetNewApplicationResponseProto{}
	if err := c.call(ctx, "getNewApplication", &pb.GetNewApplicationRequestProto{}, resp); err != nil {
		return ApplicationID{}, Resource{}, fmt.Errorf("get new application: %w", err)
	}
	return appIDFromProto(resp.GetApplicationId()), resourceFromProto(resp.GetMaximumCapability()), nil
}

// Submit submits the application and, like Java's YarnClient, waits until
// the RM has accepted it (state past SUBMITTED). A rejection (unknown
// queue, resources over the maximum, ...) comes back as an error holding the
// RM's diagnostics. If the RM forgets the application (failover before the
// submission was stored), Submit submits it again.
func (c *RMClient) Submit(ctx context.Context, sc ApplicationSubmissionContext) error {
	if sc.ID.IsZero() {
		return errors.New("submit application: no application id (call NewApplication)")
	}
	p, err := sc.proto()
	if err != nil {
		return fmt.Errorf("submit %s: %w", sc.ID, err)
	}
	req := &pb.SubmitApplicationRequestProto{ApplicationSubmissionContext: p}
	if err := c.call(ctx, "submitApplication", req, &pb.SubmitApplicationResponseProto{}); err != nil {
		return fmt.Errorf("submit %s: %w", sc.ID, err)
	}
	for {
		r, err := c.ApplicationReport(ctx, sc.ID)
		switch {
		case errors.Is(err, ErrApplicationNotFound):
			c.log.Warn().Str("app_id", sc.ID.String()).Msg("RM lost the submitted application; submitting again")
			if err := c.call(ctx, "submitApplication", req, &pb.SubmitApplicationResponseProto{}); err != nil {
				return fmt.Errorf("resubmit %s: %w", sc.ID, err)
			}
		case err != nil:
			return fmt.Errorf("submit %s: wait for acceptance: %w", sc.ID, err)
		case r.State == StateFailed || r.State == StateKilled:
			return &SubmitError{App: sc.ID, State: r.State, Diagnostics: r.Diagnostics}
		case r.State != StateNew && r.State != StateNewSaving && r.State != StateSubmitted:
			return nil
		}
		if err := sleepCtx(ctx, appPollInterval); err != nil {
			return fmt.Errorf("submit %s: wait for acceptance: %w", sc.ID, err)
		}
	}
}

// SubmitError is a submission the RM rejected; Diagnostics is the RM's own
// text (e.g. "... submitted by user u to unknown queue: q").
type SubmitError struct {
	App         ApplicationID
	State       ApplicationState
	Diagnostics string
}

func (e *SubmitError) Error() string {
	return fmt.Sprintf("submit %s: application %s: %s", e.App, e.State, e.Diagnostics)
}

// ApplicationReport returns the RM's report of one application; an unknown
// id gives an error that errors.Is ErrApplicationNotFound.
func (c *RMClient) ApplicationReport(ctx context.Context, id ApplicationID) (ApplicationReport, error) {
	resp := &pb.GetApplicationReportResponseProto{}
	req := &pb.GetApplicationReportRequestProto{ApplicationId: id.proto()}
	if err := c.call(ctx, "getApplicationReport", req, resp); err != nil {
		return ApplicationReport{}, fmt.Errorf("application report %s: %w", id, err)
	}
	return appReportFromProto(resp.GetApplicationReport()), nil
}

// ApplicationAttemptReport returns the RM's report of attempt id.
func (c *RMClient) ApplicationAttemptReport(ctx context.Context, id ApplicationAttemptID) (ApplicationAttemptReport, error) {
	resp := &pb.GetApplicationAttemptReportResponseProto{}
	req := &pb.GetApplicationAttemptReportRequestProto{ApplicationAttemptId: id.proto()}
	if err := c.call(ctx, "getApplicationAttemptReport", req, resp); err != nil {
		return ApplicationAttemptReport{}, fmt.Errorf("application attempt report %s: %w", id, err)
	}
	r := resp.GetApplicationAttemptReport()
	return ApplicationAttemptReport{ID: attemptIDFromProto(r.GetApplicationAttemptId()), AMContainer: containerIDFromProto(r.GetAmContainerId()),
		Diagnostics: r.GetDiagnostics(), State: AttemptState(r.GetYarnApplicationAttemptState()), StartTime: msTime(r.GetStartTime()), FinishTime: msTime(r.GetFinishTime())}, nil
}

// ApplicationFilter selects applications; empty fields match everything.
type ApplicationFilter struct {
	Types  []string // application types, e.g. "Floe"
	States []ApplicationState
	Tags   []string // any of the tags
	Queues []string
	Users  []string
	Limit  int64 // 0 = no limit
}

// Applications lists the applications matching f.
func (c *RMClient) Applications(ctx context.Context, f ApplicationFilter) ([]ApplicationReport, error) {
	req := &pb.GetApplicationsRequestProto{
		ApplicationTypes: f.Types,
		ApplicationTags:  f.Tags,
		Queues:           f.Queues,
		Users:            f.Users,
	}
	for _, s := range f.States {
		req.ApplicationStates = append(req.ApplicationStates, pb.YarnApplicationStateProto(s))
	}
	if f.Limit > 0 {
		req.Limit = proto.Int64(f.Limit)
	}
	resp := &pb.GetApplicationsResponseProto{}
	if err := c.call(ctx, "getApplications", req, resp); err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	out := make([]ApplicationReport, 0, len(resp.GetApplications()))
	for _, a := range resp.GetApplications() {
		out = append(out, appReportFromProto(a))
	}
	return out, nil
}

// Kill asks the RM to kill the application and polls until the RM reports
// the kill complete (its final state stored). Killing an application that
// already ended is not an error.
func (c *RMClient) Kill(ctx context.Context, id ApplicationID, diagnostics string) error {
	req := &pb.KillApplicationRequestProto{ApplicationId: id.proto()}
	if diagnostics != "" {
		req.Diagnostics = proto.String(diagnostics)
	}
	for {
		resp := &pb.KillApplicationResponseProto{}
		if err := c.call(ctx, "forceKillApplication", req, resp); err != nil {
			return fmt.Errorf("kill %s: %w", id, err)
		}
		if resp.GetIsKillCompleted() {
			return nil
		}
		if err := sleepCtx(ctx, appPollInterval); err != nil {
			return fmt.Errorf("kill %s: wait for completion: %w", id, err)
		}
	}
}

// ClusterMetrics returns NodeManager counts.
func (c *RMClient) ClusterMetrics(ctx context.Context) (ClusterMetrics, error) {
	resp := &pb.GetClusterMetricsResponseProto{}
	if err := c.call(ctx, "getClusterMetrics", &pb.GetClusterMetricsRequestProto{}, resp); err != nil {
		return ClusterMetrics{}, fmt.Errorf("cluster metrics: %w", err)
	}
	return clusterMetricsFromProto(resp.GetClusterMetrics()), nil
}

// Nodes lists NodeManagers in the given states (none = all states).
func (c *RMClient) Nodes(ctx context.Context, states ...NodeState) ([]NodeReport, error) {
	req := &pb.GetClusterNodesRequestProto{}
	for _, s := range states {
		req.NodeStates = append(req.NodeStates, pb.NodeStateProto(s))
	}
	resp := &pb.GetClusterNodesResponseProto{}
	if err := c.call(ctx, "getClusterNodes", req, resp); err != nil {
		return nil, fmt.Errorf("cluster nodes: %w", err)
	}
	out := make([]NodeReport, 0, len(resp.GetNodeReports()))
	for _, n := range resp.GetNodeReports() {
		out = append(out, nodeReportFromProto(n))
	}
	return out, nil
}

// QueueInfoOptions selects what QueueInfo includes.
type QueueInfoOptions struct {
	Applications bool
	Children     bool
	Recursive    bool
}

// QueueInfo describes a scheduler queue ("default", "root", ...).
func (c *RMClient) QueueInfo(ctx context.Context, queue string, o QueueInfoOptions) (QueueInfo, error) {
	req := &pb.GetQueueInfoRequestProto{
		QueueName:           proto.String(queue),
		IncludeApplications: proto.Bool(o.Applications),
		IncludeChildQueues:  proto.Bool(o.Children),
		Recursive:           proto.Bool(o.Recursive),
	}
	resp := &pb.GetQueueInfoResponseProto{}
	if err := c.call(ctx, "getQueueInfo", req, resp); err != nil {
		return QueueInfo{}, fmt.Errorf("queue info %q: %w", queue, err)
	}
	return queueInfoFromProto(resp.GetQueueInfo()), nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
