package yarnrpc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/yarnrpc/internal/pb"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
)

// ErrAMShutdown is returned by Allocate when an old ResourceManager sends
// the AM_SHUTDOWN command: the attempt must exit.
var ErrAMShutdown = errors.New("resourcemanager told the application master to shut down")

// EnvTokenFile names the container's token file; the NodeManager sets it
// for every container.

// finishPollInterval is the pause between finishApplicationMaster calls
// while the RM stores the final state (Java's AMRMClientImpl uses 100 ms).
const finishPollInterval = 100 * time.Millisecond

// AMRMClientOptions configures an AMRMClient.
type AMRMClientOptions struct {
	// Hadoop supplies the RM scheduler address(es)
	// (yarn.resourcemanager.scheduler.address, per HA id).
	Hadoop *conf.Hadoop
	// Addrs overrides the scheduler addresses from Hadoop.
	Addrs []string
	// Token is the AMRMToken. Nil means: read the token file named by
	// $HADOOP_TOKEN_FILE_LOCATION and take the YARN_AM_RM_TOKEN kind.
	Token *Token
	// Host, RPCPort and TrackingURL are registered with the RM (shown in
	// the application report; clients reach the AM through them).
	Host        string
	RPCPort     int32
	TrackingURL string
	DialTimeout time.Duration
	// CallTimeout bounds each call when ctx has no earlier deadline
	// (default DefaultCallTimeout).
	CallTimeout time.Duration
	Logger      zerolog.Logger
	// Dial replaces dialing the scheduler with token t (tests).
	Dial func(t Token) (Caller, error)
}

// AMRMClient is an ApplicationMaster's side of ApplicationMasterProtocol:
// register, the allocate heartbeat and unregister. It keeps the asks as
// desired outstanding totals per (priority, resource name, capability),
// tracks response ids, rolls the AMRMToken, caches NMTokens per node and,
// after a ResourceManager restart (ApplicationMasterNotRegistered),
// re-registers and re-sends every outstanding ask and release.
//
// AddRequest, RemoveRequest, Release and NMToken may be called from any
// goroutine; Register, Allocate and Finish are meant for one loop.
type AMRMClient struct {
	opts        AMRMClientOptions
	c           Caller
	callTimeout time.Duration
	log         zerolog.Logger

	callMu sync.Mutex // serialises register/allocate/finish

	mu         sync.Mutex
	token      Token
	responseID int32
	registered bool
	asks       map[askKey]*askEntry
	changed    map[askKey]bool // asks to send in the next allocate
	fullResend bool            // resend every ask and release (after resync)
	releases   map[ContainerID]bool
	unsent     map[ContainerID]bool // releases not yet sent
	nmTokens   map[NodeID]Token
	rackOf     map[string]string // host -> rack, from node requests
	blacklist  map[string]bool   // nodes/racks the AM wants none on
	blAdd      map[string]bool   // blacklist changes not yet sent
	blRemove   map[string]bool
}

type askKey struct {
	priority int32
	name     string
	cap      Resource
}

type askEntry struct {
	num   int32
	relax bool
	label string
}

// NewAMRMClient validates opts, finds the AMRMToken and returns a client.
// It does not dial; Register does.
func NewAMRMClient(ctx context.Context, opts AMRMClientOptions) (*AMRMClient, error) {
	_ = ctx
	c := &AMRMClient{
		opts:        opts,
		callTimeout: opts.CallTimeout,
		log:         opts.Logger.With().Str("component", "amrmclient").Logger(),
		asks:        map[askKey]*askEntry{},
		changed:     map[askKey]bool{},
		releases:    map[ContainerID]bool{},
		unsent:      map[ContainerID]bool{},
		nmTokens:    map[NodeID]Token{},
		rackOf:      map[string]string{},
		blacklist:   map[string]bool{},
		blAdd:       map[string]bool{},
		blRemove:    map[string]bool{},
	}
	if c.callTimeout <= 0 {
		c.callTimeout = DefaultCallTimeout
	}
	if opts.Token != nil {
		c.token = opts.Token.Clone()
	} else {
		t, err := AMRMTokenFromEnv()
		if err != nil {
			return nil, err
		}
		c.token = t
	}
	var err error
	if opts.Dial != nil {
		c.c, err = opts.Dial(c.token.Clone())
	} else {
		var addrs []string
		if addrs, err = rmAddrs(opts.Hadoop, opts.Addrs, true); err != nil {
			return nil, err
		}
		t := c.token.Clone()
		c.c, err = dialRM(addrs, ConnOptions{
			Protocol:        ProtocolApplicationMaster,
			ProtocolVersion: yarnProtocolVersion,
			Auth:            AuthToken,
			Token:           &t,
			DialTimeout:     opts.DialTimeout,
			Logger:          opts.Logger,
		}, opts.Logger)
	}
	if err != nil {
		return nil, fmt.Errorf("amrmclient: %w", err)
	}
	return c, nil
}

// AMRMTokenFromEnv reads the container's token file
// ($HADOOP_TOKEN_FILE_LOCATION) and returns its YARN_AM_RM_TOKEN. The token
// is selected by kind: its alias and service are empty.
func AMRMTokenFromEnv() (Token, error) {
	path := os.Getenv(EnvTokenFile)
	if path == "" {
		return Token{}, fmt.Errorf("amrmclient: %s is not set (not running in a YARN container?)", EnvTokenFile)
	}
	creds, err := ReadCredentialsFile(path)
	if err != nil {
		return Token{}, fmt.Errorf("amrmclient: read token file: %w", err)
	}
	t, ok := creds.TokenByKind(KindAMRMToken)
	if !ok {
		return Token{}, fmt.Errorf("amrmclient: token file %s holds no %s", path, KindAMRMToken)
	}
	return t, nil
}

// Token returns the current AMRMToken (it changes when the RM rolls its
// master key).
func (c *AMRMClient) Token() Token {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token.Clone()
}

// Close closes the connection to the RM (it does not unregister).
func (c *AMRMClient) Close() error { return c.c.Close() }

// RegisterResponse is what the RM tells a registering AM.
type RegisterResponse struct {
	MaxCapability Resource
	Queue         string
	// PreviousAttemptContainers are still-running containers of earlier
	// attempts (keep_containers_across_application_attempts).
	PreviousAttemptContainers []Container
}

// Register registers the AM with the RM (host, port and tracking URL from
// the options). NMTokens for previous attempts' nodes are cached.
func (c *AMRMClient) Register(ctx context.Context) (RegisterResponse, error) {
	c.callMu.Lock()
	defer c.callMu.Unlock()
	return c.register(ctx)
}

func (c *AMRMClient) register(ctx context.Context) (RegisterResponse, error) {
	req := &pb.RegisterApplicationMasterRequestProto{
		Host:        proto.String(c.opts.Host),
		RpcPort:     proto.Int32(c.opts.RPCPort),
		TrackingUrl: proto.String(c.opts.TrackingURL),
	}
	resp := &pb.RegisterApplicationMasterResponseProto{}
	if err := c.call(ctx, "registerApplicationMaster", req, resp); err != nil {
		return RegisterResponse{}, fmt.Errorf("register application master: %w", err)
	}
	c.mu.Lock()
	c.registered = true
	c.responseID = 0
	for _, t := range resp.GetNmTokensFromPreviousAttempts() {
		c.nmTokens[nodeIDFromProto(t.GetNodeId())] = TokenFromProto(t.GetToken())
	}
	c.mu.Unlock()
	out := RegisterResponse{MaxCapability: resourceFromProto(resp.GetMaximumCapability()), Queue: resp.GetQueue()}
	for _, p := range resp.GetContainersFromPreviousAttempts() {
		out.PreviousAttemptContainers = append(out.PreviousAttemptContainers, containerFromProto(p))
	}
	return out, nil
}

func (c *AMRMClient) call(ctx context.Context, method string, req, resp proto.Message) error {
	ctx, cancel := withCallTimeout(ctx, c.callTimeout)
	defer cancel()
	return c.c.Call(ctx, method, req, resp)
}

// Finish unregisters the AM with its final status, repeating
// finishApplicationMaster until the RM confirms (it first stores the final
// state). If the RM restarted and forgot the registration, Finish
// registers again and retries.
func (c *AMRMClient) Finish(ctx context.Context, status FinalStatus, diagnostics, trackingURL string) error {
	c.callMu.Lock()
	defer c.callMu.Unlock()
	req := &pb.FinishApplicationMasterRequestProto{
		FinalApplicationStatus: pb.FinalApplicationStatusProto(status).Enum(),
		Diagnostics:            proto.String(diagnostics),
	}
	if trackingURL != "" {
		req.TrackingUrl = proto.String(trackingURL)
	}
	for {
		resp := &pb.FinishApplicationMasterResponseProto{}
		err := c.call(ctx, "finishApplicationMaster", req, resp)
		switch {
		case errors.Is(err, ErrAMNotRegistered):
			c.log.Warn().Msg("RM forgot the registration before unregister; registering again")
			if _, err := c.register(ctx); err != nil {
				return fmt.Errorf("finish application master: %w", err)
			}
			continue
		case err != nil:
			return fmt.Errorf("finish application master: %w", err)
		case resp.GetIsUnregistered():
			c.mu.Lock()
			c.registered = false
			c.mu.Unlock()
			return nil
		}
		if err := sleepCtx(ctx, finishPollInterval); err != nil {
			return fmt.Errorf("finish application master: wait for unregistration: %w", err)
		}
	}
}

// Attempt returns the application attempt the AMRMToken was issued to
// (decoded from its identifier, Hadoop's AMRMTokenIdentifierProto). It is
// the identity the RM and NMs know this AM by.
func (c *AMRMClient) Attempt() (ApplicationAttemptID, error) {
	c.mu.Lock()
	id := c.token.Identifier
	c.mu.Unlock()
	var p pb.AMRMTokenIdentifierProto
	if err := proto.Unmarshal(id, &p); err != nil || p.GetAppAttemptId() == nil {
		return ApplicationAttemptID{}, fmt.Errorf("amrmclient: AMRMToken identifier is not an AMRMTokenIdentifierProto (Hadoop < 2.6?): %v", err)
	}
	return attemptIDFromProto(p.GetAppAttemptId()), nil
}
