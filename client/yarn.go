package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
)

// ErrBadInput marks a problem found before anything was submitted: a missing
// or foreign job binary, an unknown queue, memory above the maximum, a
// provided lib dir without floe. Nothing is left on YARN or HDFS.
var ErrBadInput = errors.New("bad input")

// RM is the part of yarnrpc.RMClient the client uses; tests pass fakes.
type RM interface {
	NewApplication(ctx context.Context) (yarnrpc.ApplicationID, yarnrpc.Resource, error)
	Submit(ctx context.Context, sc yarnrpc.ApplicationSubmissionContext) error
	ApplicationReport(ctx context.Context, id yarnrpc.ApplicationID) (yarnrpc.ApplicationReport, error)
	Applications(ctx context.Context, f yarnrpc.ApplicationFilter) ([]yarnrpc.ApplicationReport, error)
	Kill(ctx context.Context, id yarnrpc.ApplicationID, diagnostics string) error
	Nodes(ctx context.Context, states ...yarnrpc.NodeState) ([]yarnrpc.NodeReport, error)
	QueueInfo(ctx context.Context, queue string, o yarnrpc.QueueInfoOptions) (yarnrpc.QueueInfo, error)
}

// YarnOptions configures a YarnDescriptor.
type YarnOptions struct {
	// Config is the effective Floe configuration (-D applied).
	Config *conf.Config
	// RM reaches the ResourceManager.
	RM RM
	// Store reaches HDFS (the staging root lives on fs.defaultFS).
	Store *hdfsstore.Store
	// Hadoop is the client's Hadoop configuration; its
	// yarn.resourcemanager.am.max-attempts caps yarn.application-attempts
	// (nil: no cap, the RM caps silently).
	Hadoop *conf.Hadoop
	// Framework is the local floe binary shipped as the AM; empty means
	// this process's executable.
	Framework string
	// Platform is what the NodeManagers run (default linux/amd64).
	Platform Platform
	// Out receives the user-facing progress and status lines; nil discards.
	Out io.Writer
	// Logger receives debug events.
	Logger zerolog.Logger
	// PollInterval is how often application reports are polled (default 250 ms).
	PollInterval time.Duration
	// HTTPTimeout bounds each NodeManager web-service call (default 5 s).
	HTTPTimeout time.Duration
	// Tokens, on a Kerberos cluster, obtains the application's delegation
	// tokens (KerberosTokens); nil on a SIMPLE cluster.
	Tokens TokenSource
}

// YarnDescriptor deploys Floe clusters on YARN and reaches running ones,
// like Flink's YarnClusterDescriptor.
//
// It deploys (Deploy), waits for an application (WaitRunning, WaitEnd),
// reaches a running one (Retrieve) and submits to a session
// (SubmitToSession); the staging root (Staging) and the NodeManager logs
// (NodeLogs) are their own types.
type YarnDescriptor struct {
	opts    YarnOptions
	staging Staging
	logs    *NodeLogs
}

// NewYarnDescriptor validates opts and fills defaults. It does not connect.
func NewYarnDescriptor(ctx context.Context, opts YarnOptions) (*YarnDescriptor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Config == nil {
		opts.Config = conf.New()
	}
	if opts.RM == nil || opts.Store == nil {
		return nil, errors.New("yarn descriptor: RM and Store are required")
	}
	if opts.Framework == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("yarn descriptor: locate the floe binary: %w", err)
		}
		opts.Framework = exe
	}
	if opts.Platform == (Platform{}) {
		opts.Platform = ClusterPlatform("")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	if opts.HTTPTimeout <= 0 {
		opts.HTTPTimeout = 5 * time.Second
	}
	logs := NewNodeLogs(opts.RM, opts.HTTPTimeout)
	logs.agg = newAggregatedLogs(opts.Store, opts.Hadoop)
	return &YarnDescriptor{opts: opts,
		staging: Staging{Store: opts.Store, Root: StagingRoot(opts.Config, opts.Store.User())},
		logs:    logs}, nil
}

// Staging returns the staging root the descriptor deploys under.
func (d *YarnDescriptor) Staging() Staging { return d.staging }

// Logs returns the reader of containers' logs on the NodeManagers (and,
// once aggregated, on HDFS).
func (d *YarnDescriptor) Logs() *NodeLogs { return d.logs }

// joinURI joins path elements onto base like path.Join, keeping a
// scheme://authority prefix intact (path.Join would fold its "//").
func joinURI(base string, elem ...string) string {
	prefix := ""
	if i := strings.Index(base, "://"); i >= 0 {
		rest := base[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			j = len(rest)
		}
		prefix, base = base[:i+3+j], rest[j:]
		if base == "" {
			base = "/"
		}
	}
	return prefix + path.Join(append([]string{base}, elem...)...)
}
